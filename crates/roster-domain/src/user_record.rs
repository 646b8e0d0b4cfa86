//! The user aggregate's shared steps, which every service that changes a user takes in the
//! same order: load it under the write lock, change it, `write` it, then `updated` (its event,
//! and what a new ban does to its sessions); and `present` it as clients see it.

use roster_model::sessions::SessionStatus;
use roster_model::time::Millis;
use roster_model::users::{LockoutView, User};
use roster_store::{RowUpdateOutcome, Store, Tx};

use crate::context::Context;
use crate::error::{DomainError, DomainResult, FieldError};
use crate::events::SessionEvent;
use crate::identifiers;
use crate::sessions::close_sessions_of;
use crate::settings::LockoutPolicy;

/// Reads a user inside a write transaction, or fails with "not found".
pub(crate) async fn load_for_update(tx: &mut Tx, id: &str) -> DomainResult<User> {
    tx.load_user(id)
        .await?
        .ok_or_else(|| DomainError::user_not_found(id))
}

/// Stamps and stores a modified user.
pub(crate) async fn write(tx: &mut Tx, user: &mut User, now: Millis) -> DomainResult<()> {
    user.updated_at = now.max(user.updated_at);
    tx.update_user(user)
        .await
        .map_err(identifiers::duplicate_to_field)?;
    user.version += 1;
    Ok(())
}

/// `write` without a `Tx`, for a change to the users row alone (`Store::update_user_row`):
/// `user` is `before` with the change applied; unless it comes back written, it is not stored.
pub(crate) async fn write_row(
    store: &Store,
    before: &User,
    user: &mut User,
    now: Millis,
    event_type: Option<&'static str>,
) -> DomainResult<RowUpdateOutcome> {
    user.updated_at = now.max(user.updated_at);
    let outcome = store
        .update_user_row(before, user, event_type)
        .await
        .map_err(identifiers::duplicate_to_field)?;
    if outcome == RowUpdateOutcome::Written {
        user.version += 1;
    }
    Ok(outcome)
}

/// The user as clients see it at `now`: the lock state derived from the policy.
pub(crate) fn present(cx: &Context, mut user: User, now: Millis) -> User {
    user.lockout = lockout_view(&user, &cx.settings.lockout, now);
    user
}

pub(crate) async fn created(
    cx: &Context,
    tx: &mut Tx,
    user: &User,
    now: Millis,
) -> DomainResult<()> {
    if let Some(events) = &cx.events {
        events
            .user_created(tx, &present(cx, user.clone(), now))
            .await?;
    }
    Ok(())
}

/// After a user was written: `user.updated`, and a new ban revokes every session.
pub(crate) async fn updated(
    cx: &Context,
    tx: &mut Tx,
    was_banned: bool,
    user: &User,
    now: Millis,
) -> DomainResult<()> {
    let presented = present(cx, user.clone(), now);
    if let Some(events) = &cx.events {
        events.user_updated(tx, &presented).await?;
    }
    if user.banned && !was_banned {
        close_sessions_of(
            tx,
            cx.events.as_ref(),
            &presented,
            None,
            SessionStatus::Revoked,
            SessionEvent::Revoked,
        )
        .await?;
    }
    Ok(())
}

/// Before a user is deleted: its sessions end, then `user.deleted`.
pub(crate) async fn deleting(
    cx: &Context,
    tx: &mut Tx,
    user: &User,
    now: Millis,
) -> DomainResult<()> {
    let presented = present(cx, user.clone(), now);
    close_sessions_of(
        tx,
        cx.events.as_ref(),
        &presented,
        None,
        SessionStatus::Ended,
        SessionEvent::Ended,
    )
    .await?;
    if let Some(events) = &cx.events {
        events.user_deleted(tx, &presented).await?;
    }
    Ok(())
}

/// Revokes every active session of `user`, emitting `session.revoked` for each, inside the
/// caller's transaction (a password change or removal that signs the user out). The Backend
/// API acts for no session of its own, so none is kept.
pub(crate) async fn revoke_sessions(cx: &Context, tx: &mut Tx, user: &User) -> DomainResult<usize> {
    close_sessions_of(
        tx,
        cx.events.as_ref(),
        user,
        None,
        SessionStatus::Revoked,
        SessionEvent::Revoked,
    )
    .await
}

pub(crate) fn lock_expiry(policy: &LockoutPolicy, now: Millis) -> Option<Millis> {
    (policy.duration_seconds > 0).then(|| now + policy.duration_seconds * 1000)
}

/// What the stored lock means at `now`: an expired lock is no lock, and its failed attempts
/// no longer count.
pub(crate) fn lockout_view(user: &User, policy: &LockoutPolicy, now: Millis) -> LockoutView {
    let lock = &user.lock;
    let expired = lock.expires_at.is_some_and(|end| end <= now);
    let locked = lock.locked_at.is_some() && !expired;
    let failed = if expired { 0 } else { lock.failed.total() };
    LockoutView {
        locked,
        expires_in_seconds: lock
            .expires_at
            .filter(|_| locked)
            .map(|end| (end - now + 999) / 1000),
        attempts_remaining: policy
            .enabled
            .then(|| (policy.max_attempts - failed).max(0)),
    }
}

pub(crate) fn invalid(errors: Vec<FieldError>) -> DomainResult<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(DomainError::Invalid(errors))
    }
}
