//! `PATCH /users/{id}`: every UpdateUser field, applied to the stored user in one transaction.

use roster_model::users::{IdentificationKind, User};
use roster_store::RowUpdateOutcome;

use super::{Users, identifiers, invalid, replace_metadata};
use crate::error::{DomainError, DomainResult, FieldError, FieldErrorKind};
use crate::metadata::MetadataChanges;
use crate::mfa::SecondFactorsInput;
use crate::passwords::{self, PasswordFields, PasswordUse};
use crate::validate;

/// The changes of one update. For nullable fields the outer `Option` says whether the field
/// was sent and the inner one whether it was `null`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UserChanges {
    pub external_id: Option<Option<String>>,
    pub first_name: Option<Option<String>>,
    pub last_name: Option<Option<String>>,
    pub locale: Option<Option<String>>,
    /// `Some(None)` (sent as `null` or `""`) removes the username.
    pub username: Option<Option<String>>,
    pub primary_email_address_id: Option<String>,
    pub primary_phone_number_id: Option<String>,
    pub primary_web3_wallet_id: Option<String>,
    /// Whole-tier replacement, as API versions before 2026-05-12 allow on this endpoint.
    pub metadata: MetadataChanges,
    pub delete_self_enabled: Option<bool>,
    pub create_organization_enabled: Option<bool>,
    pub create_organizations_limit: Option<Option<i64>>,
    pub legal_accepted_at: Option<Option<String>>,
    pub created_at: Option<String>,
    pub bypass_client_trust: Option<bool>,
    pub totp_secret: Option<String>,
    /// Replaces every backup code; an empty list removes them all.
    pub backup_codes: Option<Vec<String>>,
    pub password: PasswordFields,
    /// With a new `password`: end every other session of the user.
    pub sign_out_of_other_sessions: bool,
    /// Tell the previous primary email address when `primary_email_address_id` changes it.
    pub notify_primary_email_address_changed: bool,
    /// Parameters whose capability is not available yet; each is refused by name.
    pub unsupported: Vec<&'static str>,
}

impl Users {
    pub async fn update(&self, id: &str, changes: UserChanges) -> DomainResult<User> {
        if let Some(param) = changes.unsupported.first() {
            return Err(DomainError::field(*param, FieldErrorKind::NotSupported));
        }
        let created_at = changes
            .created_at
            .as_deref()
            .map(|value| validate::timestamp("created_at", value, true))
            .transpose()
            .map_err(|error| DomainError::Invalid(vec![error]))?;
        let legal_accepted_at = match &changes.legal_accepted_at {
            Some(Some(value)) => Some(Some(
                validate::timestamp("legal_accepted_at", value, true)
                    .map_err(|error| DomainError::Invalid(vec![error]))?,
            )),
            Some(None) => Some(None),
            None => None,
        };
        let username = match &changes.username {
            Some(Some(name)) if !name.is_empty() => Some(Some(name.clone())),
            Some(_) => Some(None),
            None => None,
        };
        let external_id = changes
            .external_id
            .clone()
            .map(|value| value.filter(|v| !v.is_empty()));
        self.check_fields(&changes, username.as_ref())?;
        let mut second_factors = SecondFactorsInput::prepare(
            id,
            changes.totp_secret.as_deref(),
            changes.backup_codes.as_deref(),
            self.secret_keys(),
        )
        .map_err(DomainError::Invalid)?;
        if changes.sign_out_of_other_sessions && changes.password.password.is_none() {
            return Err(DomainError::field(
                "sign_out_of_other_sessions",
                FieldErrorKind::ConditionalDisallowed {
                    requires: "password".to_owned(),
                },
            ));
        }
        let password = if changes.password.is_given() || changes.password.skip_password_checks {
            // The identifiers a password may not equal: the stored ones and a new username.
            let mut identifiers = match self.store.get_user(id).await? {
                Some(user) => passwords::identifiers_of(&user),
                None => return Err(DomainError::user_not_found(id)),
            };
            identifiers.extend(username.clone().flatten());
            self.prepare_password(&changes.password, &identifiers, PasswordUse::Update)
                .await?
        } else {
            None
        };

        let settings = self.settings.clone();
        // A change to the users row alone reads the user outside the write lock and commits
        // only if nobody changed it since (update_user's version check), so the lock is held
        // for the write only. A change that writes other rows first (second factors, password,
        // sessions, a primary identifier) reads under the lock, keeping every writer's order
        // "the user before its other rows"; so does the retry after a conflict.
        let users_row_only = second_factors.is_empty()
            && password.is_none()
            && !changes.notify_primary_email_address_changed
            && changes.primary_email_address_id.is_none()
            && changes.primary_phone_number_id.is_none()
            && changes.primary_web3_wallet_id.is_none();
        let mut snapshot = if users_row_only {
            self.store.get_user(id).await?
        } else {
            None
        };
        // Nor does a change that needs no uniqueness check: its one write goes to the store
        // whole, to run beside the others queued with it, and comes back written, in
        // conflict (read again under the lock, below), or needing a transaction after all.
        if let Some(before) = &snapshot
            && username.is_none()
            && external_id.is_none()
        {
            let mut user = before.clone();
            apply(
                &mut user,
                &changes,
                None,
                None,
                legal_accepted_at,
                created_at,
            )?;
            let now = roster_model::time::now_millis();
            second_factors.apply_flags(&mut user, now);
            let event = self.events().map(|_| crate::events::USER_UPDATED);
            match super::write_row(&self.store, before, &mut user, now, event).await? {
                RowUpdateOutcome::Written => return Ok(self.present(user, now)),
                RowUpdateOutcome::Conflict => snapshot = None,
                RowUpdateOutcome::NeedsTransaction => {}
            }
        }
        loop {
            let optimistic = snapshot.is_some();
            let mut tx = self.store.begin().await?;
            let mut user = match snapshot.take() {
                Some(user) => {
                    tx.track_user(&user);
                    user
                }
                None => crate::users::load_for_update(&mut tx, id).await?,
            };

            if let Some(Some(external_id)) = &external_id {
                identifiers::ensure_external_id_available(&mut tx, external_id, id).await?;
            }
            match &username {
                Some(Some(name)) => {
                    if !settings.username.enabled {
                        return Err(DomainError::field(
                            "username",
                            FieldErrorKind::Unknown {
                                reason: Some("username is not enabled on this instance".to_owned()),
                            },
                        ));
                    }
                    identifiers::ensure_username_available(&mut tx, name, id).await?;
                }
                Some(None) if settings.username.required && user.username.is_some() => {
                    return Err(DomainError::field("username", FieldErrorKind::Nil));
                }
                _ => {}
            }
            let primaries = [
                (
                    "primary_email_address_id",
                    IdentificationKind::EmailAddress,
                    &changes.primary_email_address_id,
                ),
                (
                    "primary_phone_number_id",
                    IdentificationKind::PhoneNumber,
                    &changes.primary_phone_number_id,
                ),
                (
                    "primary_web3_wallet_id",
                    IdentificationKind::Web3Wallet,
                    &changes.primary_web3_wallet_id,
                ),
            ];
            for (param, kind, requested) in primaries {
                if let Some(requested) = requested {
                    check_primary(&user, param, kind, requested)?;
                }
            }

            let previous_primary_email = user
                .primary_email_address_id
                .as_deref()
                .and_then(|id| user.identification(id))
                .map(|i| i.value.clone());
            apply(
                &mut user,
                &changes,
                external_id.clone(),
                username.clone(),
                legal_accepted_at,
                created_at,
            )?;
            let now = roster_model::time::now_millis();
            second_factors.apply_flags(&mut user, now);
            // Taken because the loop may run again; it only does when nothing was requested
            // (`users_row_only`), so the first pass always writes the whole request.
            std::mem::take(&mut second_factors)
                .write(&mut tx, id, now)
                .await?;
            if let Some(password) = &password {
                tx.put_password_digest(id, password, now).await?;
                passwords::mark_password_set(&mut user, now);
            }
            if changes.notify_primary_email_address_changed {
                crate::identifications::notify_primary_changed(
                    &mut tx,
                    &user,
                    previous_primary_email.as_deref(),
                    now,
                    self.events(),
                )
                .await?;
            }
            let was_banned = user.banned;
            match super::write(&mut tx, &mut user, now).await {
                // Changed since it was read: the transaction rolls back and the next attempt
                // reads the user under the lock.
                Err(DomainError::Conflict) if optimistic => continue,
                written => written?,
            }
            if changes.sign_out_of_other_sessions {
                // The Backend API acts for no session of its own, so "other" means all of them.
                self.revoke_other_sessions(&mut tx, &user, None).await?;
            }
            self.updated(&mut tx, was_banned, &user, now).await?;
            tx.commit().await?;
            return Ok(self.present(user, now));
        }
    }

    /// Format checks that need no stored data.
    fn check_fields(
        &self,
        changes: &UserChanges,
        username: Option<&Option<String>>,
    ) -> DomainResult<()> {
        let mut errors = Vec::new();
        let text_fields = [
            ("external_id", &changes.external_id),
            ("first_name", &changes.first_name),
            ("last_name", &changes.last_name),
        ];
        for (param, value) in text_fields {
            if let Some(Some(value)) = value {
                errors.extend(validate::text(param, value).err());
            }
        }
        let names = [
            ("first_name", &changes.first_name),
            ("last_name", &changes.last_name),
        ];
        for (param, value) in names {
            if let Some(Some(value)) = value {
                errors.extend(validate::displayable(param, value).err());
            }
        }
        if let Some(Some(locale)) = &changes.locale {
            errors.extend(validate::locale(locale).err());
        }
        if let Some(Some(name)) = username {
            errors.extend(validate::username(name, &self.settings.username).err());
        }
        if let Some(Some(limit)) = changes.create_organizations_limit
            && limit < 0
        {
            errors.push(FieldError::new(
                "create_organizations_limit",
                FieldErrorKind::ValueInvalid {
                    reason: "must be zero (unlimited) or a positive number".to_owned(),
                },
            ));
        }
        invalid(errors)
    }
}

/// A new primary identifier must be one of this user's, of the right kind, and verified.
fn check_primary(
    user: &User,
    param: &str,
    kind: IdentificationKind,
    requested: &str,
) -> DomainResult<()> {
    match user.identification(requested) {
        Some(identification) if identification.kind == kind => {
            if identification.is_verified() {
                Ok(())
            } else {
                Err(DomainError::field(
                    param,
                    FieldErrorKind::VerificationNeeded,
                ))
            }
        }
        _ => Err(DomainError::field(param, FieldErrorKind::ResourceNotFound)),
    }
}

fn apply(
    user: &mut User,
    changes: &UserChanges,
    external_id: Option<Option<String>>,
    username: Option<Option<String>>,
    legal_accepted_at: Option<Option<i64>>,
    created_at: Option<i64>,
) -> DomainResult<()> {
    if let Some(value) = external_id {
        user.external_id = value;
    }
    if let Some(value) = username {
        user.username = value;
    }
    if let Some(value) = &changes.first_name {
        user.first_name.clone_from(value);
    }
    if let Some(value) = &changes.last_name {
        user.last_name.clone_from(value);
    }
    if let Some(value) = &changes.locale {
        user.locale.clone_from(value);
    }
    if let Some(id) = &changes.primary_email_address_id {
        user.primary_email_address_id = Some(id.clone());
    }
    if let Some(id) = &changes.primary_phone_number_id {
        user.primary_phone_number_id = Some(id.clone());
    }
    if let Some(id) = &changes.primary_web3_wallet_id {
        user.primary_web3_wallet_id = Some(id.clone());
    }
    if let Some(value) = changes.delete_self_enabled {
        user.delete_self_enabled = value;
    }
    if let Some(value) = changes.create_organization_enabled {
        user.create_organization_enabled = value;
    }
    if let Some(value) = changes.create_organizations_limit {
        user.create_organizations_limit = value;
    }
    if let Some(value) = legal_accepted_at {
        user.legal_accepted_at = value;
    }
    if let Some(value) = created_at {
        user.created_at = value;
    }
    if let Some(value) = changes.bypass_client_trust {
        user.bypass_client_trust = value;
    }
    replace_metadata(user, &changes.metadata)
}
