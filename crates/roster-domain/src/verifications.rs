//! One-time-code verification of an email address or phone number: `prepare` sends a
//! six-digit code (by e-mail or SMS, through the outbox), `attempt` checks one.
//!
//! The code is stored only as an HMAC under the instance's encryption key, bound to its
//! verification id, and compared in constant time. A verification allows a few attempts and
//! expires after a few minutes; its status moves from `unverified` to `verified`, `failed`
//! (attempts used up) or `expired`. Every check also counts against the user's lockout
//! counter, exactly as `verify_totp` does.

use std::sync::Arc;

use rand::Rng;
use roster_model::ids::{IdPrefix, IdentificationId, new_id};
use roster_model::messages::{Channel, CodeVerification};
use roster_model::time::now_millis;
use roster_model::users::{
    CredentialClass, IdentificationKind, Verification, VerificationStatus, VerificationStrategy,
};
use subtle::ConstantTimeEq;

use crate::context::Context;
use crate::error::{DomainError, DomainResult, FieldErrorKind};
use crate::identifications::{find, get_identification, load_owner, replace};
use crate::lockout::{attempt_failed, attempt_succeeded, begin_attempt};
use crate::messages::{self, Language};
use crate::user_record::{updated, write};

/// One-time codes that verify an email address or phone number.
#[derive(Clone)]
pub struct Verifications {
    cx: Arc<Context>,
}

fn strategy_for(kind: IdentificationKind) -> DomainResult<(VerificationStrategy, Channel)> {
    match kind {
        IdentificationKind::EmailAddress => Ok((VerificationStrategy::EmailCode, Channel::Email)),
        IdentificationKind::PhoneNumber => Ok((VerificationStrategy::PhoneCode, Channel::Sms)),
        IdentificationKind::Web3Wallet => Err(DomainError::Internal(
            "web3 wallets are not verified by code",
        )),
    }
}

fn digest_label(verification_id: &str) -> String {
    format!("verification code {verification_id}:")
}

impl Verifications {
    pub fn new(cx: Arc<Context>) -> Self {
        Verifications { cx }
    }

    /// Sends a fresh code to the identification and returns the pending verification.
    pub async fn prepare(
        &self,
        kind: IdentificationKind,
        identification_id: &IdentificationId,
    ) -> DomainResult<CodeVerification> {
        let identification_id = identification_id.as_str();
        let (strategy, channel) = strategy_for(kind)?;
        let policy = self.cx.settings().verification;
        let now = now_millis();
        let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
        let id = new_id(IdPrefix::Verification);
        let verification = CodeVerification {
            code_digest: self.cx.encryption_keys.digest(&digest_label(&id), &code),
            id,
            identification_id: identification_id.to_owned(),
            user_id: String::new(),
            strategy,
            status: VerificationStatus::Unverified,
            attempts: 0,
            max_attempts: policy.max_attempts.max(1),
            expire_at: now + policy.code_valid_seconds.max(1) * 1000,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.cx.store().begin().await?;
        let mut user = load_owner(&mut tx, kind, identification_id).await?;
        let mut identification = find(&user, kind, identification_id)?.clone();
        if let Some(last) = tx.last_verification_at(identification_id).await? {
            let wait_ms = last + policy.resend_interval_seconds * 1000 - now;
            if wait_ms > 0 {
                return Err(DomainError::TooManyCodeRequests {
                    retry_after_seconds: (wait_ms + 999) / 1000,
                });
            }
        }
        let verification = CodeVerification {
            user_id: user.id.clone(),
            ..verification
        };
        tx.insert_verification(&verification).await?;
        if !identification.is_verified() {
            identification.verification = Some(pending(&verification));
            identification.updated_at = now.max(identification.updated_at);
            tx.update_identification(&identification).await?;
            replace(&mut user, &identification);
        }
        let language = Language::for_locale(user.locale.as_deref());
        messages::verification_code(
            language,
            channel,
            &identification.value,
            &code,
            verification.expire_at,
            (policy.code_valid_seconds.max(1) + 59) / 60,
        )
        .enqueue(&mut tx, &user, now, self.cx.events.as_ref())
        .await?;
        write(&mut tx, &mut user, now).await?;
        updated(&self.cx, &mut tx, user.banned, &user, now).await?;
        tx.commit().await?;
        Ok(verification)
    }

    /// Checks `code` against verification `verification_id` of the identification. A wrong
    /// or late code is not an error: it shows in the returned status.
    pub async fn attempt(
        &self,
        kind: IdentificationKind,
        identification_id: &IdentificationId,
        verification_id: &str,
        code: &str,
    ) -> DomainResult<CodeVerification> {
        let identification_id = identification_id.as_str();
        let now = now_millis();
        // The identification must exist and be of this kind (404 otherwise).
        get_identification(&self.cx, kind, identification_id).await?;
        let stored = self.cx.store().verification(verification_id).await?;
        let stored = stored
            .filter(|v| v.identification_id == identification_id)
            .ok_or_else(|| {
                DomainError::field("verification_id", FieldErrorKind::ResourceNotFound)
            })?;
        match stored.status {
            VerificationStatus::Verified => return Err(DomainError::VerificationAlreadyVerified),
            VerificationStatus::Failed | VerificationStatus::Expired => return Ok(stored),
            VerificationStatus::Unverified if now >= stored.expire_at => {
                return self.finish_attempt(kind, stored, None, now).await;
            }
            VerificationStatus::Unverified => {}
        }

        let attempt =
            begin_attempt(&self.cx, &stored.user_id, CredentialClass::OneTimeCode).await?;
        let given = code.trim();
        let matches = self
            .cx
            .encryption_keys
            .digest_candidates(&digest_label(&stored.id), given)
            .iter()
            .any(|candidate| bool::from(candidate.as_bytes().ct_eq(stored.code_digest.as_bytes())));
        let result = self.finish_attempt(kind, stored, Some(matches), now).await;
        match &result {
            Ok(v) if v.status == VerificationStatus::Verified => {
                attempt_succeeded(&self.cx, attempt).await?
            }
            _ => attempt_failed(&self.cx, attempt).await?,
        }
        result
    }

    /// Records an attempt (`Some(matched)`) or an expiry (`None`) on the verification and on
    /// the identification, in one transaction.
    async fn finish_attempt(
        &self,
        kind: IdentificationKind,
        read: CodeVerification,
        matched: Option<bool>,
        now: i64,
    ) -> DomainResult<CodeVerification> {
        let mut tx = self.cx.store().begin().await?;
        // The owner is locked first, as every write that touches a user's rows does: the
        // deletion of an identification (which removes its verifications) locks the user and
        // then these rows, and the opposite order here could deadlock with it on PostgreSQL.
        let mut user = load_owner(&mut tx, kind, &read.identification_id).await?;
        // Re-read under the write lock: a concurrent attempt may have landed meanwhile.
        let mut verification = tx.load_verification(&read.id).await?.ok_or_else(|| {
            DomainError::field("verification_id", FieldErrorKind::ResourceNotFound)
        })?;
        match verification.status {
            VerificationStatus::Verified => return Err(DomainError::VerificationAlreadyVerified),
            VerificationStatus::Failed | VerificationStatus::Expired => return Ok(verification),
            VerificationStatus::Unverified => {}
        }
        let previous_attempts = verification.attempts;
        verification.updated_at = now;
        verification.status = match matched {
            None => VerificationStatus::Expired,
            Some(matched) => {
                verification.attempts += 1;
                if matched {
                    VerificationStatus::Verified
                } else if verification.attempts >= verification.max_attempts {
                    VerificationStatus::Failed
                } else {
                    VerificationStatus::Unverified
                }
            }
        };
        tx.record_verification_attempt(&verification, previous_attempts)
            .await?;
        let mut identification = find(&user, kind, &verification.identification_id)?.clone();
        if !identification.is_verified() {
            identification.verification = Some(Verification {
                status: verification.status,
                ..pending(&verification)
            });
            if verification.status == VerificationStatus::Verified {
                identification.reserved = false;
            }
            identification.updated_at = now.max(identification.updated_at);
            tx.update_identification(&identification).await?;
            replace(&mut user, &identification);
            write(&mut tx, &mut user, now).await?;
            updated(&self.cx, &mut tx, user.banned, &user, now).await?;
        }
        tx.commit().await?;
        Ok(verification)
    }
}

/// The identification's view of a code verification in progress.
fn pending(verification: &CodeVerification) -> Verification {
    Verification {
        strategy: verification.strategy,
        status: VerificationStatus::Unverified,
        attempts: Some(verification.attempts),
        expire_at: Some(verification.expire_at),
    }
}
