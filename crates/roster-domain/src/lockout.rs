//! Guarding a credential check with the lockout counter. Every check of a password, a TOTP or
//! backup code, or a one-time code goes through `begin_attempt`, naming the kind of
//! secret it checks; see `roster_store::lockout` for why the counting is done by the database
//! and why a success clears only its own kind's failures.

use roster_model::time::{Millis, now_millis};
use roster_model::users::CredentialClass;
use roster_store::AttemptSlot;

use crate::context::Context;
use crate::error::{DomainError, DomainResult};
use crate::user_record::lockout_view;

/// A verification in progress. Its outcome must be reported with `succeeded` or `failed`; if
/// neither is called (a crash, a dropped request) the attempt stays counted as failed.
#[must_use]
pub(crate) struct Attempt {
    user_id: String,
    class: CredentialClass,
    /// Whether the instance counts attempts at all.
    counted: bool,
}

/// Reserves one attempt at a secret of `class` for `user_id`, or refuses with `UserLocked`
/// when the user is locked or has no attempts left.
pub(crate) async fn begin_attempt(
    cx: &Context,
    user_id: &str,
    class: CredentialClass,
) -> DomainResult<Attempt> {
    let policy = cx.settings().lockout;
    let now = now_millis();
    if !policy.enabled {
        // Lockout off: only an operator's lock, which cannot be set then, could refuse.
        return Ok(Attempt {
            user_id: user_id.to_owned(),
            class,
            counted: false,
        });
    }
    match cx
        .store()
        .reserve_attempt(user_id, class, now, policy.max_attempts)
        .await?
    {
        AttemptSlot::Granted => Ok(Attempt {
            user_id: user_id.to_owned(),
            class,
            counted: true,
        }),
        AttemptSlot::NoSuchUser => Err(DomainError::user_not_found(user_id)),
        AttemptSlot::Refused => Err(locked_error(cx, user_id, now).await?),
    }
}

async fn locked_error(cx: &Context, user_id: &str, now: Millis) -> DomainResult<DomainError> {
    let user = cx
        .store()
        .get_user(user_id)
        .await?
        .ok_or_else(|| DomainError::user_not_found(user_id))?;
    let policy = cx.settings().lockout;
    let view = lockout_view(&user, &policy, now);
    // Not locked yet means the last attempts are still being checked; if they fail, the
    // lock starts about now and lasts the policy's duration.
    let expires_in_seconds = if view.locked {
        view.expires_in_seconds
    } else {
        (policy.duration_seconds > 0).then_some(policy.duration_seconds)
    };
    Ok(DomainError::UserLocked { expires_in_seconds })
}

/// Forgives the failures of the attempt's kind only: a right password says nothing about
/// who is guessing codes.
pub(crate) async fn attempt_succeeded(cx: &Context, attempt: Attempt) -> DomainResult<()> {
    if attempt.counted {
        cx.store()
            .clear_attempts(&attempt.user_id, attempt.class)
            .await?;
    }
    Ok(())
}

/// Gives back an attempt whose secret was never checked.
pub(crate) async fn attempt_abandoned(cx: &Context, attempt: Attempt) -> DomainResult<()> {
    if attempt.counted {
        cx.store()
            .refund_attempt(&attempt.user_id, attempt.class)
            .await?;
    }
    Ok(())
}

/// Keeps the attempt counted and locks the user once the limit is reached.
pub(crate) async fn attempt_failed(cx: &Context, attempt: Attempt) -> DomainResult<()> {
    if attempt.counted {
        let policy = cx.settings().lockout;
        let now = now_millis();
        let expires_at =
            (policy.duration_seconds > 0).then(|| now + policy.duration_seconds * 1000);
        cx.store()
            .lock_if_exhausted(&attempt.user_id, now, policy.max_attempts, expires_at)
            .await?;
    }
    Ok(())
}
