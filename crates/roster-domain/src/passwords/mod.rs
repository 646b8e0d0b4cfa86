//! Passwords: setting one on create and update (a plain password checked against the policy
//! and the breach lists and hashed with argon2id, or a digest imported from another system),
//! `verify_password` with the upgrade of old digests to argon2id, removal, and the
//! compromised flag.
//!
//! A password or digest never reaches a log line or an error message: the types that carry
//! them print redacted, and every failure names the rule, not the value.

mod policy;

use std::fmt;
use std::sync::Arc;

use roster_model::ids::UserId;
use roster_model::time::{Millis, now_millis};
use roster_model::users::{CredentialClass, IdentificationKind, User};
use roster_password::{Digest, DigestError, Hasher};
use roster_store::PasswordRecord;

pub use crate::breached::RangeApi;

use crate::breached;
use crate::context::Context;
use crate::error::{DomainError, DomainResult, FieldErrorKind};
use crate::lockout::{attempt_abandoned, attempt_failed, attempt_succeeded, begin_attempt};
use crate::user_record::{self, load_for_update, present};

/// `verify_password`, the removal of a password and its compromised flag; setting one is
/// part of creating or updating a user (`prepare_password`).
#[derive(Clone)]
pub struct Passwords {
    cx: Arc<Context>,
}

/// The password parameters of a create or update request.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PasswordFields {
    pub password: Option<String>,
    pub password_digest: Option<String>,
    pub password_hasher: Option<String>,
    pub skip_password_checks: bool,
}

impl fmt::Debug for PasswordFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordFields")
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field(
                "password_digest",
                &self.password_digest.as_ref().map(|_| "[redacted]"),
            )
            .field("password_hasher", &self.password_hasher)
            .field("skip_password_checks", &self.skip_password_checks)
            .finish()
    }
}

impl PasswordFields {
    pub fn is_given(&self) -> bool {
        self.password.is_some() || self.password_digest.is_some()
    }
}

/// Whether the request creates a user or updates one: `skip_password_checks` alone is
/// harmless on create but a mistake on update.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum PasswordUse {
    Create,
    Update,
}

/// The user's identifiers, which a password may be forbidden to equal.
pub(crate) fn identifiers_of(user: &User) -> Vec<String> {
    let mut values: Vec<String> = user
        .identifications
        .iter()
        .filter(|i| i.kind != IdentificationKind::Web3Wallet)
        .map(|i| i.value.clone())
        .collect();
    values.extend(user.username.clone());
    values
}

/// Marks the user as having a password set at `now`. A new password also ends a forced reset.
pub(crate) fn mark_password_set(user: &mut User, now: Millis) {
    user.password_enabled = true;
    user.password_last_updated_at = Some(now);
    user.requires_password_reset = false;
}

fn hasher_names() -> String {
    Hasher::ALL
        .iter()
        .map(Hasher::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks the password parameters and turns them into the digest to store, or `None` when
/// the request sets no password. Hashing happens here, before any transaction opens, so a
/// slow hash never holds the writer.
pub(crate) async fn prepare_password(
    cx: &Context,
    fields: &PasswordFields,
    identifiers: &[String],
    use_: PasswordUse,
) -> DomainResult<Option<PasswordRecord>> {
    if fields.password.is_some() && fields.password_digest.is_some() {
        return Err(DomainError::field(
            "password_digest",
            FieldErrorKind::ParamConflict {
                other: "password".to_owned(),
            },
        ));
    }
    match (&fields.password_digest, &fields.password_hasher) {
        (Some(_), None) => {
            return Err(DomainError::field(
                "password_hasher",
                FieldErrorKind::ConditionalMissing {
                    with: "password_digest".to_owned(),
                },
            ));
        }
        (None, Some(_)) => {
            return Err(DomainError::field(
                "password_digest",
                FieldErrorKind::ConditionalMissing {
                    with: "password_hasher".to_owned(),
                },
            ));
        }
        _ => {}
    }
    if use_ == PasswordUse::Update && fields.skip_password_checks && fields.password.is_none() {
        return Err(DomainError::field(
            "skip_password_checks",
            FieldErrorKind::ConditionalDisallowed {
                requires: "password".to_owned(),
            },
        ));
    }
    if fields.is_given() && !cx.settings().password.enabled {
        let param = if fields.password.is_some() {
            "password"
        } else {
            "password_digest"
        };
        return Err(DomainError::field(
            param,
            FieldErrorKind::Unknown {
                reason: Some("passwords are not enabled on this instance".to_owned()),
            },
        ));
    }
    if let (Some(digest), Some(hasher)) = (&fields.password_digest, &fields.password_hasher) {
        return import_digest(hasher, digest).map(Some);
    }
    let Some(password) = &fields.password else {
        return Ok(None);
    };
    policy::check_size(password).map_err(|kind| DomainError::field("password", kind))?;
    if !fields.skip_password_checks {
        let policy = &cx.settings().password_policy;
        policy::check(password, policy, identifiers)
            .map_err(|kind| DomainError::field("password", kind))?;
        if policy.check_breached && is_breached(cx, password).await {
            return Err(DomainError::field(
                "password",
                FieldErrorKind::PasswordPwned,
            ));
        }
    }
    let digest = cx.hashing.hash(password.clone()).await?;
    Ok(Some(record_of(digest)))
}

/// Looks in every configured breach list. A list that cannot be read is logged and
/// skipped: an unreachable optional source must not stop every sign-up.
async fn is_breached(cx: &Context, password: &str) -> bool {
    if breached::in_compiled_list(password) {
        return true;
    }
    let policy = &cx.settings().password_policy;
    if let Some(path) = policy.breached_file.clone() {
        let given = password.to_owned();
        let found = tokio::task::spawn_blocking(move || {
            breached::in_sorted_file(&path, &given)
                .map_err(|error| (path.display().to_string(), error))
        })
        .await;
        match found {
            Ok(Ok(true)) => return true,
            Ok(Ok(false)) => {}
            Ok(Err((path, error))) => {
                tracing::warn!(%path, %error, "the breached-password file could not be searched");
            }
            Err(_) => tracing::warn!("the breached-password file search was interrupted"),
        }
    }
    if let Some(api) = cx.breached_range_api.as_deref() {
        match breached::in_range_api(api, password).await {
            Ok(found) => return found,
            Err(error) => {
                tracing::warn!(%error, "the breached-password range API did not answer");
            }
        }
    }
    false
}

impl Passwords {
    pub fn new(cx: Arc<Context>) -> Self {
        Passwords { cx }
    }

    /// `POST /users/{id}/verify_password`. Counted against the lockout limit; a locked user is
    /// refused even with the right password. An unknown user or one without a password costs
    /// the same hash as a real check, so timing tells nothing.
    pub async fn verify(&self, user_id: &UserId, password: &str) -> DomainResult<()> {
        let user_id = user_id.as_str();
        check_candidate_size(password)?;
        let user = self.cx.store().get_user(user_id).await?;
        let exists = user.is_some();
        let found = match user {
            Some(user) if user.password_enabled => self
                .cx
                .store()
                .password_digest(user_id)
                .await?
                .map(|record| (user, record)),
            _ => None,
        };
        let Some((user, record)) = found else {
            self.cx.hashing.verify(None, password.to_owned()).await?;
            return Err(if exists {
                DomainError::NoPasswordSet
            } else {
                DomainError::user_not_found(user_id)
            });
        };
        let digest = stored_digest(&record)?;
        // Queue first, so a full queue refuses before an attempt is counted; wait for a thread
        // only after counting, so no thread idles while the count is written. An attempt that
        // times out in the queue was never checked and is given back.
        let admission = self.cx.hashing.admit()?;
        let attempt = begin_attempt(&self.cx, &user.id, CredentialClass::Password).await?;
        let slot = match admission.start().await {
            Ok(slot) => slot,
            Err(error) => {
                attempt_abandoned(&self.cx, attempt).await?;
                return Err(error);
            }
        };
        let current = digest.is_current(self.cx.hashing.params());
        let matched = self
            .cx
            .hashing
            .verify_on(slot, Some(digest), password.to_owned())
            .await?;
        if !matched {
            attempt_failed(&self.cx, attempt).await?;
            return Err(DomainError::IncorrectPassword);
        }
        attempt_succeeded(&self.cx, attempt).await?;
        if !current {
            // The check succeeded: a busy pool or a failed write only postpones the upgrade to
            // the next check.
            if let Err(error) = self.upgrade_digest(&user.id, &record, password).await {
                tracing::warn!(user_id, %error, "password digest not upgraded this time");
            }
        }
        Ok(())
    }

    /// Re-hashes a verified password with argon2id at the current parameters, replacing the
    /// old digest unless the password changed meanwhile.
    async fn upgrade_digest(
        &self,
        user_id: &str,
        old: &PasswordRecord,
        password: &str,
    ) -> DomainResult<()> {
        let new = record_of(self.cx.hashing.hash(password.to_owned()).await?);
        let mut tx = self.cx.store().begin().await?;
        let upgraded = tx
            .upgrade_password_digest(user_id, old, &new, now_millis())
            .await?;
        tx.commit().await?;
        tracing::debug!(user_id, from = %old.hasher, upgraded, "password digest upgraded to argon2id");
        Ok(())
    }

    /// `POST /users/{id}/remove_password`. A user without a password comes back unchanged.
    /// `sign_out` revokes the sessions active now.
    pub async fn remove(&self, user_id: &UserId, sign_out: bool) -> DomainResult<User> {
        let user_id = user_id.as_str();
        let now = now_millis();
        let mut tx = self.cx.store().begin().await?;
        let mut user = load_for_update(&mut tx, user_id).await?;
        if !user.password_enabled {
            return Ok(present(&self.cx, user, now));
        }
        tx.delete_password_digest(user_id).await?;
        user.password_enabled = false;
        user.password_last_updated_at = None;
        user.requires_password_reset = false;
        user_record::write(&mut tx, &mut user, now).await?;
        if sign_out {
            user_record::revoke_sessions(&self.cx, &mut tx, &user).await?;
        }
        user_record::updated(&self.cx, &mut tx, user.banned, &user, now).await?;
        tx.commit().await?;
        Ok(present(&self.cx, user, now))
    }

    /// `POST /users/{id}/password/set_compromised` and `/unset_compromised`: whether the user
    /// must reset the password at the next sign-in; `revoke_sessions` also ends every session.
    pub async fn set_compromised(
        &self,
        user_id: &UserId,
        compromised: bool,
        revoke_sessions: bool,
    ) -> DomainResult<User> {
        let user_id = user_id.as_str();
        let now = now_millis();
        let mut tx = self.cx.store().begin().await?;
        let mut user = load_for_update(&mut tx, user_id).await?;
        if compromised && !user.password_enabled {
            return Err(DomainError::NoPasswordSet);
        }
        user.requires_password_reset = compromised;
        user_record::write(&mut tx, &mut user, now).await?;
        if revoke_sessions {
            user_record::revoke_sessions(&self.cx, &mut tx, &user).await?;
        }
        user_record::updated(&self.cx, &mut tx, user.banned, &user, now).await?;
        tx.commit().await?;
        Ok(present(&self.cx, user, now))
    }
}

/// The byte cap of new passwords, so that no check can cost more than one of the longest
/// password Roster would store: phpass and Symfony hash the whole password once per round.
/// Refused before any hashing, lookup or counted attempt.
fn check_candidate_size(password: &str) -> DomainResult<()> {
    policy::check_size(password).map_err(|kind| DomainError::field("password", kind))
}

/// Parses an imported digest; the reason for a refusal never quotes the digest.
fn import_digest(hasher: &str, digest: &str) -> DomainResult<PasswordRecord> {
    let hasher: Hasher = hasher.parse().map_err(|_| {
        DomainError::field(
            "password_hasher",
            FieldErrorKind::ValueInvalid {
                reason: format!("must be one of {}", hasher_names()),
            },
        )
    })?;
    let parsed = Digest::parse(hasher, digest).map_err(|error| {
        let reason = match error {
            DigestError::NeedsExternalVerification => "awscognito digests name a Cognito user \
                 pool to ask at sign-in, which this server does not call; verify the users \
                 against Cognito while exporting them, or import them with a password reset"
                .to_owned(),
            other => other.to_string(),
        };
        DomainError::field(
            "password_digest",
            FieldErrorKind::PasswordDigestInvalid { reason },
        )
    })?;
    Ok(record_of(parsed))
}

/// The stored form of a digest: its hasher's wire name and its encoded string.
fn record_of(digest: Digest) -> PasswordRecord {
    PasswordRecord {
        hasher: digest.hasher().as_str().to_owned(),
        digest: digest.into_encoded(),
    }
}

/// A stored digest, which was validated when it was stored; failing to parse it now means the
/// data or the parser changed, which is an internal fault, never the caller's.
fn stored_digest(record: &PasswordRecord) -> DomainResult<Digest> {
    let hasher: Hasher = record
        .hasher
        .parse()
        .map_err(|_| DomainError::Internal("a stored password names an unknown hasher"))?;
    Digest::parse(hasher, &record.digest)
        .map_err(|_| DomainError::Internal("a stored password digest no longer parses"))
}
