//! `POST /users`: a new user with its first identifiers, checked against the instance
//! settings and for uniqueness, written in one transaction.

use std::collections::HashSet;

use roster_model::ids::{IdPrefix, new_id};
use roster_model::time::{Millis, now_millis};
use roster_model::users::{
    FailedAttempts, Identification, IdentificationKind, LockState, LockoutView, User, Verification,
};

use crate::context::Context;
use crate::error::{DomainError, DomainResult, FieldError, FieldErrorKind};
use crate::identifiers;
use crate::metadata::{self, MetadataChanges};
use crate::mfa::SecondFactorsInput;
use crate::passwords::{self, PasswordFields, PasswordUse, prepare_password};
use crate::settings::Attribute;
use crate::user_record::{self, invalid, lock_expiry, present};
use crate::users::rules::{self, UserFields};
use crate::validate;
use roster_store::{PasswordRecord, Tx};

/// How an identifier given at creation starts out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdentificationStatus {
    /// Verified by the operator's say-so.
    Verified,
    /// Held for this user and usable to sign in, but not verified.
    Reserved,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct NewUser {
    pub external_id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub locale: Option<String>,
    pub username: Option<String>,
    pub email_addresses: Vec<String>,
    pub email_address_statuses: Vec<IdentificationStatus>,
    pub phone_numbers: Vec<String>,
    pub phone_number_statuses: Vec<IdentificationStatus>,
    pub web3_wallets: Vec<String>,
    pub metadata: MetadataChanges,
    pub delete_self_enabled: Option<bool>,
    pub create_organization_enabled: Option<bool>,
    pub create_organizations_limit: Option<i64>,
    pub legal_accepted_at: Option<String>,
    pub skip_legal_checks: bool,
    pub skip_user_requirement: bool,
    pub created_at: Option<String>,
    pub bypass_client_trust: Option<bool>,
    pub banned: bool,
    pub locked: bool,
    pub totp_secret: Option<String>,
    pub backup_codes: Option<Vec<String>>,
    pub password: PasswordFields,
    /// Create the user without a password even where the instance requires one.
    pub skip_password_requirement: bool,
}

pub(crate) async fn create(cx: &Context, input: NewUser) -> DomainResult<User> {
    let now = now_millis();
    let prepared = prepare(cx, &input, now).await?;
    let mut tx = cx.store.begin().await?;
    let user = prepared.write(cx, &mut tx, Announce::Yes, now).await?;
    tx.commit().await?;
    Ok(present(cx, user, now))
}

/// Whether writing a new user fires `user.created`: a first bulk import may do without.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Announce {
    Yes,
    No,
}

/// A new user that passed every check that needs no storage, with its secrets prepared.
pub(crate) struct PreparedUser {
    pub(crate) user: User,
    second_factors: SecondFactorsInput,
    password: Option<PasswordRecord>,
}

/// Checks `input` and prepares the user it describes: fields, identifiers, second factors
/// and the password (hashed on the pool, or a digest checked and kept as given).
pub(crate) async fn prepare(
    cx: &Context,
    input: &NewUser,
    now: Millis,
) -> DomainResult<PreparedUser> {
    let mut user = build_user(cx, input, now)?;
    let second_factors = SecondFactorsInput::prepare(
        &user.id,
        input.totp_secret.as_deref(),
        input.backup_codes.as_deref(),
        &cx.encryption_keys,
    )
    .map_err(DomainError::Invalid)?;
    second_factors.apply_flags(&mut user, now);
    let password = prepare_password(
        cx,
        &input.password,
        &passwords::identifiers_of(&user),
        PasswordUse::Create,
    )
    .await?;
    if password.is_some() {
        passwords::mark_password_set(&mut user, now);
    }
    Ok(PreparedUser {
        user,
        second_factors,
        password,
    })
}

impl PreparedUser {
    /// Writes the user in `tx` once its identifiers are known to be free.
    pub(crate) async fn write(
        self,
        cx: &Context,
        tx: &mut Tx,
        announce: Announce,
        now: Millis,
    ) -> DomainResult<User> {
        let user = self.user;
        if let Some(external_id) = &user.external_id {
            identifiers::ensure_external_id_available(tx, external_id, &user.id).await?;
        }
        if let Some(username) = &user.username {
            identifiers::ensure_username_available(tx, username, &user.id).await?;
        }
        for identification in &user.identifications {
            identifiers::ensure_available(tx, identification.kind, &identification.value, &user.id)
                .await?;
        }
        tx.insert_user(&user)
            .await
            .map_err(identifiers::duplicate_to_field)?;
        self.second_factors.write(tx, &user.id, now).await?;
        if let Some(password) = &self.password {
            tx.put_password_digest(&user.id, password, now).await?;
        }
        if announce == Announce::Yes {
            user_record::created(cx, tx, &user, now).await?;
        }
        crate::organizations::accept_for_new_user(cx, tx, &user, now).await?;
        Ok(user)
    }
}

/// Validates the request and assembles the user it describes, without touching storage.
fn build_user(cx: &Context, input: &NewUser, now: i64) -> DomainResult<User> {
    let settings = &cx.settings;
    let fields = UserFields {
        external_id: input.external_id.as_deref(),
        first_name: input.first_name.as_deref(),
        last_name: input.last_name.as_deref(),
        locale: input.locale.as_deref(),
        username: input.username.as_deref(),
        create_organizations_limit: input.create_organizations_limit,
        created_at: input.created_at.as_deref(),
        legal_accepted_at: input.legal_accepted_at.as_deref(),
    };
    let mut errors = Vec::new();
    let times = rules::check(&fields, &settings.username, &mut errors, |errors| {
        check_identifiers(input, errors)
    });
    invalid(errors)?;
    check_requirements(cx, input, times.legal_accepted_at.is_some())?;
    if input.locked && !settings.lockout.enabled {
        return Err(DomainError::field(
            "locked",
            FieldErrorKind::Unknown {
                reason: Some("lockout is not enabled on this instance".to_owned()),
            },
        ));
    }

    let id = new_id(IdPrefix::User);
    let created_at = times.created_at.unwrap_or(now);
    let identifications = first_identifications(&id, input, now);
    // The first identifier of each kind is the primary one.
    let first_of = |kind| {
        identifications
            .iter()
            .find(|i: &&Identification| i.kind == kind)
            .map(|i| i.id.clone())
    };
    let mut user = User {
        primary_email_address_id: first_of(IdentificationKind::EmailAddress),
        primary_phone_number_id: first_of(IdentificationKind::PhoneNumber),
        primary_web3_wallet_id: first_of(IdentificationKind::Web3Wallet),
        profile_image_id: None,
        id,
        external_id: input.external_id.clone().filter(|v| !v.is_empty()),
        username: input.username.clone(),
        first_name: input.first_name.clone(),
        last_name: input.last_name.clone(),
        locale: input.locale.clone(),
        public_metadata: Default::default(),
        private_metadata: Default::default(),
        unsafe_metadata: Default::default(),
        password_enabled: false,
        password_last_updated_at: None,
        requires_password_reset: false,
        totp_enabled: false,
        backup_code_enabled: false,
        mfa_enabled_at: None,
        mfa_disabled_at: None,
        banned: input.banned,
        lock: LockState {
            locked_at: input.locked.then_some(now),
            expires_at: if input.locked {
                lock_expiry(&settings.lockout, now)
            } else {
                None
            },
            failed: FailedAttempts::default(),
        },
        delete_self_enabled: input.delete_self_enabled.unwrap_or(true),
        create_organization_enabled: input.create_organization_enabled.unwrap_or(true),
        create_organizations_limit: input.create_organizations_limit,
        bypass_client_trust: input.bypass_client_trust.unwrap_or(false),
        legal_accepted_at: times.legal_accepted_at,
        last_sign_in_at: None,
        last_active_at: None,
        created_at,
        updated_at: now,
        version: 1,
        identifications,
        lockout: LockoutView::default(),
    };
    metadata::replace_tiers(&mut user, &input.metadata)?;
    Ok(user)
}

/// The identifiers given at creation, in the order given, email addresses first.
fn first_identifications(user_id: &str, input: &NewUser, now: Millis) -> Vec<Identification> {
    let mut identifications = Vec::new();
    let mut add = |kind, values: &[String], statuses: &[IdentificationStatus]| {
        for (index, value) in values.iter().enumerate() {
            let reserved = statuses.get(index) == Some(&IdentificationStatus::Reserved);
            identifications.push(Identification {
                id: new_id(IdPrefix::Identification),
                user_id: user_id.to_owned(),
                kind,
                value: value.clone(),
                reserved,
                verification: (!reserved).then(Verification::admin),
                reserved_for_second_factor: false,
                default_second_factor: false,
                created_at: now,
                updated_at: now,
            });
        }
    };
    add(
        IdentificationKind::EmailAddress,
        &input.email_addresses,
        &input.email_address_statuses,
    );
    add(
        IdentificationKind::PhoneNumber,
        &input.phone_numbers,
        &input.phone_number_statuses,
    );
    add(IdentificationKind::Web3Wallet, &input.web3_wallets, &[]);
    identifications
}

/// Disabled attributes may not be given; required ones must be.
fn check_requirements(
    cx: &Context,
    input: &NewUser,
    has_legal_acceptance: bool,
) -> DomainResult<()> {
    let settings = &cx.settings;
    let username = Attribute {
        enabled: settings.username.enabled,
        required: settings.username.required,
    };
    let identifiers = [
        (
            "email_address",
            settings.email_address,
            !input.email_addresses.is_empty(),
        ),
        (
            "phone_number",
            settings.phone_number,
            !input.phone_numbers.is_empty(),
        ),
        (
            "web3_wallet",
            settings.web3_wallet,
            !input.web3_wallets.is_empty(),
        ),
        ("username", username, input.username.is_some()),
    ];
    let names = [
        (
            "first_name",
            settings.first_name,
            input.first_name.is_some(),
        ),
        ("last_name", settings.last_name, input.last_name.is_some()),
    ];
    for (param, attribute, given) in identifiers.iter().chain(names.iter()) {
        if *given && !attribute.enabled {
            return Err(DomainError::field(
                *param,
                FieldErrorKind::Unknown {
                    reason: Some(format!("{param} is not enabled on this instance")),
                },
            ));
        }
    }
    let mut missing: Vec<&str> = names
        .iter()
        .filter(|(_, attribute, given)| attribute.required && !given)
        .map(|(param, _, _)| *param)
        .collect();
    if input.skip_user_requirement {
        let enabled_given = identifiers
            .iter()
            .any(|(_, attribute, given)| attribute.enabled && *given);
        if !enabled_given {
            missing.push("identifier");
        }
    } else {
        missing.extend(
            identifiers
                .iter()
                .filter(|(_, attribute, given)| attribute.required && !given)
                .map(|(param, _, _)| *param),
        );
    }
    if settings.password.required && !input.password.is_given() && !input.skip_password_requirement
    {
        missing.push("password");
    }
    if settings.legal_consent_required && !has_legal_acceptance && !input.skip_legal_checks {
        missing.push("legal_accepted_at");
    }
    if let Some(param) = missing.first() {
        return Err(DomainError::field(*param, FieldErrorKind::DataMissing));
    }
    Ok(())
}

/// The identifier lists: each well-formed, and a status list as long as its values.
fn check_identifiers(input: &NewUser, errors: &mut Vec<FieldError>) {
    let lists = [
        (IdentificationKind::EmailAddress, &input.email_addresses),
        (IdentificationKind::PhoneNumber, &input.phone_numbers),
        (IdentificationKind::Web3Wallet, &input.web3_wallets),
    ];
    for (kind, values) in lists {
        errors.extend(check_identifier_list(kind, values).err());
    }
    let statuses = [
        (
            "email_address_identification_status",
            &input.email_address_statuses,
            &input.email_addresses,
            "email_address",
        ),
        (
            "phone_number_identification_status",
            &input.phone_number_statuses,
            &input.phone_numbers,
            "phone_number",
        ),
    ];
    for (param, statuses, values, other) in statuses {
        if !statuses.is_empty() && statuses.len() != values.len() {
            errors.push(FieldError::new(
                param,
                FieldErrorKind::ArrayLengthMismatch {
                    other: other.to_owned(),
                },
            ));
        }
    }
}

/// Each value well-formed, at most 100 of them, and none twice.
fn check_identifier_list(kind: IdentificationKind, values: &[String]) -> Result<(), FieldError> {
    let param = kind.as_str();
    validate::array_size(param, values.len())?;
    let mut seen = HashSet::new();
    for value in values {
        validate::identifier(param, kind, value)?;
        if !seen.insert(kind.normalize(value)) {
            return Err(FieldError::new(param, FieldErrorKind::Duplicate));
        }
    }
    Ok(())
}
