//! Second factors: TOTP secrets and backup codes given on create and update, `verify_totp`,
//! and turning them off. The flags on the user (`totp_enabled`, `backup_code_enabled`,
//! `mfa_enabled_at`, `mfa_disabled_at`) change in the same transaction as the secrets.

pub mod backup_codes;
pub mod totp;

use std::sync::Arc;

use roster_model::ids::UserId;
use roster_model::time::{Millis, now_millis};
use roster_model::users::{CredentialClass, User};
use roster_store::{BackupCodeRecord, SealedSecret, Tx};

use crate::context::Context;
use crate::encryption_keys::{EncryptionKeys, Sealed};
use crate::error::{DomainError, DomainResult, FieldError, FieldErrorKind};
use crate::identifications::{release_second_factor_numbers, stamp_two_factor};
use crate::lockout::{attempt_failed, attempt_succeeded, begin_attempt};
use crate::user_record::{self, load_for_update};

/// TOTP and backup codes: checking one, turning them off, re-sealing after a key rotation.
/// Setting them is part of creating or updating a user (`SecondFactorsInput`).
#[derive(Clone)]
pub struct SecondFactors {
    cx: Arc<Context>,
}

/// Which kind of code `verify_totp` accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeType {
    Totp,
    BackupCode,
}

/// Second factors requested on create or update, already sealed and hashed, so that the
/// transaction only stores them.
#[derive(Default)]
pub(crate) struct SecondFactorsInput {
    totp: Option<Sealed>,
    backup_codes: Option<Vec<BackupCodeRecord>>,
}

impl SecondFactorsInput {
    /// Checks and prepares `totp_secret` and `backup_codes` for `user_id`.
    pub(crate) fn prepare(
        user_id: &str,
        totp_secret: Option<&str>,
        backup_codes: Option<&[String]>,
        keys: &EncryptionKeys,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let totp = match totp_secret {
            Some(text) => match totp::parse_secret(text) {
                Some(secret) => Some(keys.seal(&secret, user_id)),
                None => {
                    errors.push(FieldError::new(
                        "totp_secret",
                        FieldErrorKind::InvalidTotpSecret,
                    ));
                    None
                }
            },
            None => None,
        };
        let backup_codes = match backup_codes {
            Some(codes) => match backup_codes::digests(codes, keys) {
                Ok(records) => Some(records),
                Err(error) => {
                    errors.push(error);
                    None
                }
            },
            None => None,
        };
        if errors.is_empty() {
            Ok(SecondFactorsInput { totp, backup_codes })
        } else {
            Err(errors)
        }
    }

    /// Sets the user's factor flags to what the stored secrets will be.
    pub(crate) fn apply_flags(&self, user: &mut User, now: Millis) {
        let totp = user.totp_enabled || self.totp.is_some();
        let backup_codes = match &self.backup_codes {
            Some(records) => !records.is_empty(),
            None => user.backup_code_enabled,
        };
        set_second_factors(user, totp, backup_codes, now);
    }

    /// Stores the prepared secrets, in the transaction that writes the user.
    pub(crate) async fn write(self, tx: &mut Tx, user_id: &str, now: Millis) -> DomainResult<()> {
        if let Some(sealed) = self.totp {
            tx.put_totp_secret(user_id, &sealed.key_id, &sealed.bytes, now)
                .await?;
        }
        if let Some(records) = self.backup_codes {
            tx.replace_backup_codes(user_id, &records, now).await?;
        }
        Ok(())
    }
}

/// Sets the factor flags, stamping `mfa_enabled_at` when the user gains a second factor and
/// `mfa_disabled_at` when the last one goes; neither stamp is ever cleared.
pub(crate) fn set_second_factors(user: &mut User, totp: bool, backup_codes: bool, now: Millis) {
    let before = user.two_factor_enabled();
    user.totp_enabled = totp;
    user.backup_code_enabled = backup_codes;
    let after = user.two_factor_enabled();
    if !before && after {
        user.mfa_enabled_at = Some(now);
    }
    if before && !after {
        user.mfa_disabled_at = Some(now);
    }
}

fn looks_like_totp(code: &str) -> bool {
    code.len() == totp::DIGITS && code.bytes().all(|b| b.is_ascii_digit())
}

impl SecondFactors {
    pub fn new(cx: Arc<Context>) -> Self {
        SecondFactors { cx }
    }

    /// `POST /users/{id}/verify_totp`: a current TOTP code or an unused backup code. Every
    /// check is counted against the lockout limit; a locked user is refused even with a right
    /// code.
    pub async fn verify_totp(&self, user_id: &UserId, code: &str) -> DomainResult<CodeType> {
        let user_id = user_id.as_str();
        let user = self
            .cx
            .store()
            .get_user(user_id)
            .await?
            .ok_or_else(|| DomainError::user_not_found(user_id))?;
        // SMS codes are checked by phone-number verification, not here.
        if !user.totp_enabled && !user.backup_code_enabled {
            return Err(DomainError::TotpDisabled);
        }
        let code = code.trim();
        if !looks_like_totp(code) && !user.backup_code_enabled {
            return Err(DomainError::TotpInvalidLength);
        }
        let attempt = begin_attempt(&self.cx, user_id, CredentialClass::SecondFactor).await?;
        match self.check_second_factor(&user, code).await? {
            Some(code_type) => {
                attempt_succeeded(&self.cx, attempt).await?;
                Ok(code_type)
            }
            None => {
                attempt_failed(&self.cx, attempt).await?;
                Err(DomainError::TotpIncorrectCode)
            }
        }
    }

    async fn check_second_factor(&self, user: &User, code: &str) -> DomainResult<Option<CodeType>> {
        if user.totp_enabled
            && looks_like_totp(code)
            && let Some(record) = self.cx.store().totp_secret(&user.id).await?
        {
            {
                let secret = self.cx.encryption_keys.open(
                    &record.key_id,
                    &record.sealed_secret,
                    &user.id,
                )?;
                let now_seconds = u64::try_from(now_millis() / 1000).unwrap_or_default();
                if let Some(step) = totp::matching_step(&secret, code, now_seconds) {
                    // A right code whose step was already used is a replay: refused like a
                    // wrong one.
                    let mut tx = self.cx.store().begin().await?;
                    let fresh = tx.use_totp_step(&user.id, step).await?;
                    tx.commit().await?;
                    return Ok(fresh.then_some(CodeType::Totp));
                }
            }
        }
        if user.backup_code_enabled && self.consume_backup_code(&user.id, code).await? {
            return Ok(Some(CodeType::BackupCode));
        }
        Ok(None)
    }

    /// Finds and deletes the matching backup code; the last one used turns backup codes off.
    async fn consume_backup_code(&self, user_id: &str, code: &str) -> DomainResult<bool> {
        let stored = self.cx.store().backup_codes(user_id).await?;
        let mut found = backup_codes::find_keyed(code, &stored, &self.cx.encryption_keys);
        if found.is_none() && backup_codes::any_bcrypt(&stored) {
            // Imported bcrypt digests cost up to a second or more together: they queue on the
            // hashing pool like passwords, so they share its bound and its 429.
            let given = code.to_owned();
            found = self
                .cx
                .hashing
                .run(move || backup_codes::find_bcrypt(&given, &stored))
                .await?;
        }
        let Some(code_id) = found else {
            return Ok(false);
        };
        let now = now_millis();
        let mut tx = self.cx.store().begin().await?;
        // The user is locked before its codes, the order every write to a user keeps (two
        // orders could deadlock on PostgreSQL); it also makes two requests that use the last
        // two codes at once take turns, so the second sees none left and turns them off.
        let Some(mut user) = tx.load_user(user_id).await? else {
            return Ok(false);
        };
        if !tx.consume_backup_code(&code_id).await? {
            // Used by a concurrent request a moment ago.
            return Ok(false);
        }
        if tx.count_backup_codes(user_id).await? == 0 {
            let totp = user.totp_enabled;
            set_second_factors(&mut user, totp, false, now);
            user_record::write(&mut tx, &mut user, now).await?;
            user_record::updated(&self.cx, &mut tx, user.banned, &user, now).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// `DELETE /users/{id}/totp`.
    pub async fn delete_totp(&self, user_id: &UserId) -> DomainResult<()> {
        self.remove_second_factors(user_id.as_str(), true, false)
            .await
    }

    /// `DELETE /users/{id}/backup_code`.
    pub async fn delete_backup_codes(&self, user_id: &UserId) -> DomainResult<()> {
        self.remove_second_factors(user_id.as_str(), false, true)
            .await
    }

    /// `DELETE /users/{id}/mfa`: every second factor at once.
    pub async fn disable_mfa(&self, user_id: &UserId) -> DomainResult<()> {
        self.remove_second_factors(user_id.as_str(), true, true)
            .await
    }

    async fn remove_second_factors(
        &self,
        user_id: &str,
        totp: bool,
        backup: bool,
    ) -> DomainResult<()> {
        let now = now_millis();
        let mut tx = self.cx.store().begin().await?;
        let mut user = load_for_update(&mut tx, user_id).await?;
        let had_two_factor = user.two_factor_enabled();
        if totp && backup {
            // Every second factor, SMS codes to reserved phone numbers included.
            release_second_factor_numbers(&mut tx, &mut user, now).await?;
        }
        if totp {
            tx.delete_totp_secret(user_id).await?;
        }
        if backup {
            tx.delete_backup_codes(user_id).await?;
        }
        let keep_totp = user.totp_enabled && !totp;
        let keep_backup = user.backup_code_enabled && !backup;
        set_second_factors(&mut user, keep_totp, keep_backup, now);
        stamp_two_factor(&mut user, had_two_factor, now);
        user_record::write(&mut tx, &mut user, now).await?;
        user_record::updated(&self.cx, &mut tx, user.banned, &user, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Re-seals every TOTP secret under the current key, after a key rotation. Returns how
    /// many were re-sealed.
    pub async fn reseal_totp_secrets(&self) -> DomainResult<usize> {
        let keys = &self.cx.encryption_keys;
        let mut count = 0;
        for (user_id, record) in self.cx.store().all_totp_secrets().await? {
            if record.key_id == keys.current_id() {
                continue;
            }
            let secret = keys.open(&record.key_id, &record.sealed_secret, &user_id)?;
            let sealed = keys.seal(&secret, &user_id);
            let mut tx = self.cx.store().begin().await?;
            if tx
                .reseal(
                    SealedSecret::Totp,
                    &user_id,
                    &record.key_id,
                    &sealed.key_id,
                    &sealed.bytes,
                )
                .await?
            {
                count += 1;
            }
            tx.commit().await?;
        }
        Ok(count)
    }
}
