//! `PATCH /users/{id}`: every UpdateUser field, applied to the stored user in one write.
//!
//! `plan` checks what needs no stored data and chooses the `WritePath`; `update` then takes
//! that path, falling back to a slower one when the store asks for it.

use roster_model::Patch;
use roster_model::time::{Millis, now_millis};
use roster_model::users::{IdentificationKind, User};
use roster_store::{PasswordRecord, RowUpdateOutcome, Tx};

use crate::context::Context;
use crate::error::{DomainError, DomainResult, FieldErrorKind};
use crate::events::USER_UPDATED;
use crate::identifications::notify_primary_changed;
use crate::identifiers;
use crate::metadata::{self, MetadataChanges};
use crate::mfa::SecondFactorsInput;
use crate::passwords::{self, PasswordFields, PasswordUse, prepare_password};
use crate::user_record::{self, invalid, load_for_update, present};
use crate::users::rules::{self, UserFields};

/// The changes of one update; an `Absent` field stays as stored.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UserChanges {
    pub external_id: Patch<String>,
    pub first_name: Patch<String>,
    pub last_name: Patch<String>,
    pub locale: Patch<String>,
    /// `Null` (sent as `null` or `""`) removes the username.
    pub username: Patch<String>,
    pub primary_email_address_id: Option<String>,
    pub primary_phone_number_id: Option<String>,
    pub primary_web3_wallet_id: Option<String>,
    /// One of the user's uploaded images (`img_…`), to show as their picture.
    pub profile_image_id: Option<String>,
    /// Whole-tier replacement, as API versions before 2026-05-12 allow on this endpoint.
    pub metadata: MetadataChanges,
    pub delete_self_enabled: Option<bool>,
    pub create_organization_enabled: Option<bool>,
    pub create_organizations_limit: Patch<i64>,
    pub legal_accepted_at: Patch<String>,
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
}

/// How an update reaches the store; the fastest path its changes allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WritePath {
    /// The users row alone and no uniqueness check: the user is read outside the write lock
    /// and the one row update joins the store's group commit, beside the others queued with
    /// it. It comes back written, in conflict (then `Locked`), or needing a transaction after
    /// all (then `Optimistic`, with the same read).
    RowUpdate,
    /// The users row alone, with a uniqueness check (username, external id): a `Tx` over the
    /// user read outside the lock, committed only if nobody changed it since (the store's
    /// version check), so the lock is held for the write only. A conflict runs it `Locked`.
    Optimistic,
    /// Other rows are written first (second factors, password, sessions, a primary
    /// identifier, a notice): the user is read under the lock, keeping every writer's order
    /// "the user before its other rows".
    Locked,
}

impl WritePath {
    fn for_changes(changes: &UserChanges) -> Self {
        let writes_other_rows = changes.totp_secret.is_some()
            || changes.backup_codes.is_some()
            || changes.password.is_given()
            || changes.notify_primary_email_address_changed
            || changes.primary_email_address_id.is_some()
            || changes.primary_phone_number_id.is_some()
            || changes.primary_web3_wallet_id.is_some()
            || changes.profile_image_id.is_some();
        if writes_other_rows {
            WritePath::Locked
        } else if changes.username.is_given() || changes.external_id.is_given() {
            WritePath::Optimistic
        } else {
            WritePath::RowUpdate
        }
    }
}

/// An update that passed every check needing no stored data: the values to write, and how.
struct Plan {
    /// `""` is `Null`: an empty external id or username is none.
    external_id: Patch<String>,
    username: Patch<String>,
    legal_accepted_at: Patch<Millis>,
    created_at: Option<Millis>,
    second_factors: SecondFactorsInput,
    password: Option<PasswordRecord>,
    write_path: WritePath,
}

pub(crate) async fn update(cx: &Context, id: &str, changes: UserChanges) -> DomainResult<User> {
    let mut plan = plan(cx, id, &changes).await?;
    let mut snapshot = match plan.write_path {
        WritePath::Locked => None,
        WritePath::RowUpdate | WritePath::Optimistic => cx.store.get_user(id).await?,
    };
    if plan.write_path == WritePath::RowUpdate
        && let Some(before) = &snapshot
    {
        let mut user = before.clone();
        apply(&mut user, &changes, &plan)?;
        let now = now_millis();
        plan.second_factors.apply_flags(&mut user, now);
        let event = cx.events.as_ref().map(|_| USER_UPDATED);
        match user_record::write_row(&cx.store, before, &mut user, now, event).await? {
            RowUpdateOutcome::Written => return Ok(present(cx, user, now)),
            RowUpdateOutcome::Conflict => snapshot = None,
            RowUpdateOutcome::NeedsTransaction => {}
        }
    }
    loop {
        if let Some(user) =
            write_in_transaction(cx, id, &changes, &mut plan, snapshot.take()).await?
        {
            return Ok(user);
        }
    }
}

/// Checks the request, prepares its secrets, and chooses its write path.
async fn plan(cx: &Context, id: &str, changes: &UserChanges) -> DomainResult<Plan> {
    let username = changes.username.clone().empty_as_null();
    let fields = UserFields {
        external_id: changes.external_id.as_set().map(String::as_str),
        first_name: changes.first_name.as_set().map(String::as_str),
        last_name: changes.last_name.as_set().map(String::as_str),
        locale: changes.locale.as_set().map(String::as_str),
        username: username.as_set().map(String::as_str),
        create_organizations_limit: changes.create_organizations_limit.as_set().copied(),
        created_at: changes.created_at.as_deref(),
        legal_accepted_at: changes.legal_accepted_at.as_set().map(String::as_str),
    };
    let mut errors = Vec::new();
    let times = rules::check(&fields, &cx.settings.username, &mut errors, |_| {});
    invalid(errors)?;
    let legal_accepted_at = match changes.legal_accepted_at {
        Patch::Absent => Patch::Absent,
        Patch::Null => Patch::Null,
        Patch::Set(_) => Patch::from(times.legal_accepted_at),
    };
    let second_factors = SecondFactorsInput::prepare(
        id,
        changes.totp_secret.as_deref(),
        changes.backup_codes.as_deref(),
        &cx.encryption_keys,
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
        let mut identifiers = match cx.store.get_user(id).await? {
            Some(user) => passwords::identifiers_of(&user),
            None => return Err(DomainError::user_not_found(id)),
        };
        identifiers.extend(username.as_set().cloned());
        prepare_password(cx, &changes.password, &identifiers, PasswordUse::Update).await?
    } else {
        None
    };
    Ok(Plan {
        external_id: changes.external_id.clone().empty_as_null(),
        username,
        legal_accepted_at,
        created_at: times.created_at,
        second_factors,
        password,
        write_path: WritePath::for_changes(changes),
    })
}

/// One `Tx` over the user: `snapshot`, read outside the lock, makes it optimistic. `None`
/// means the optimistic write met a change made since the read, and nothing was written.
async fn write_in_transaction(
    cx: &Context,
    id: &str,
    changes: &UserChanges,
    plan: &mut Plan,
    snapshot: Option<User>,
) -> DomainResult<Option<User>> {
    let optimistic = snapshot.is_some();
    let mut tx = cx.store.begin().await?;
    let mut user = match snapshot {
        Some(user) => {
            tx.track_user(&user);
            user
        }
        None => load_for_update(&mut tx, id).await?,
    };
    check_against_stored(cx, &mut tx, &user, changes, plan).await?;
    let previous_primary_email = user
        .primary_email_address_id
        .as_deref()
        .and_then(|id| user.identification(id))
        .map(|i| i.value.clone());
    apply(&mut user, changes, plan)?;
    let now = now_millis();
    plan.second_factors.apply_flags(&mut user, now);
    // Taken because a conflict runs this again; that only happens on the optimistic path,
    // which writes no other rows, so the first pass always writes the whole request.
    std::mem::take(&mut plan.second_factors)
        .write(&mut tx, id, now)
        .await?;
    if let Some(password) = &plan.password {
        tx.put_password_digest(id, password, now).await?;
        passwords::mark_password_set(&mut user, now);
    }
    if changes.notify_primary_email_address_changed {
        let previous = previous_primary_email.as_deref();
        notify_primary_changed(&mut tx, &user, previous, now, cx.events.as_ref()).await?;
    }
    let was_banned = user.banned;
    match user_record::write(&mut tx, &mut user, now).await {
        // The transaction rolls back; the next one reads the user under the lock.
        Err(DomainError::Conflict) if optimistic => return Ok(None),
        written => written?,
    }
    if changes.sign_out_of_other_sessions {
        user_record::revoke_sessions(cx, &mut tx, &user).await?;
    }
    user_record::updated(cx, &mut tx, was_banned, &user, now).await?;
    tx.commit().await?;
    Ok(Some(present(cx, user, now)))
}

/// The checks that need the stored user: uniqueness, the username setting, the primaries.
async fn check_against_stored(
    cx: &Context,
    tx: &mut Tx,
    user: &User,
    changes: &UserChanges,
    plan: &Plan,
) -> DomainResult<()> {
    if let Patch::Set(external_id) = &plan.external_id {
        identifiers::ensure_external_id_available(tx, external_id, &user.id).await?;
    }
    match &plan.username {
        Patch::Set(name) => {
            if !cx.settings.username.enabled {
                return Err(DomainError::field(
                    "username",
                    FieldErrorKind::Unknown {
                        reason: Some("username is not enabled on this instance".to_owned()),
                    },
                ));
            }
            identifiers::ensure_username_available(tx, name, &user.id).await?;
        }
        Patch::Null if cx.settings.username.required && user.username.is_some() => {
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
            check_primary(user, param, kind, requested)?;
        }
    }
    if let Some(image_id) = &changes.profile_image_id {
        crate::images::ensure_image_of(tx, &user.id, image_id).await?;
    }
    Ok(())
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

fn apply(user: &mut User, changes: &UserChanges, plan: &Plan) -> DomainResult<()> {
    plan.external_id.clone().apply_to(&mut user.external_id);
    plan.username.clone().apply_to(&mut user.username);
    changes.first_name.clone().apply_to(&mut user.first_name);
    changes.last_name.clone().apply_to(&mut user.last_name);
    changes.locale.clone().apply_to(&mut user.locale);
    if let Some(id) = &changes.primary_email_address_id {
        user.primary_email_address_id = Some(id.clone());
    }
    if let Some(id) = &changes.primary_phone_number_id {
        user.primary_phone_number_id = Some(id.clone());
    }
    if let Some(id) = &changes.primary_web3_wallet_id {
        user.primary_web3_wallet_id = Some(id.clone());
    }
    if let Some(id) = &changes.profile_image_id {
        user.profile_image_id = Some(id.clone());
    }
    if let Some(value) = changes.delete_self_enabled {
        user.delete_self_enabled = value;
    }
    if let Some(value) = changes.create_organization_enabled {
        user.create_organization_enabled = value;
    }
    changes
        .create_organizations_limit
        .apply_to(&mut user.create_organizations_limit);
    plan.legal_accepted_at.apply_to(&mut user.legal_accepted_at);
    if let Some(value) = plan.created_at {
        user.created_at = value;
    }
    if let Some(value) = changes.bypass_client_trust {
        user.bypass_client_trust = value;
    }
    metadata::replace_tiers(user, &changes.metadata)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_of(changes: UserChanges) -> WritePath {
        WritePath::for_changes(&changes)
    }

    #[test]
    fn a_change_to_the_users_row_alone_is_a_row_update() {
        let changes = UserChanges {
            first_name: Patch::Set("Ada".to_owned()),
            locale: Patch::Null,
            create_organizations_limit: Patch::Set(3),
            legal_accepted_at: Patch::Null,
            delete_self_enabled: Some(false),
            metadata: MetadataChanges {
                public_metadata: Some(serde_json::json!({"a": 1})),
                ..MetadataChanges::default()
            },
            ..UserChanges::default()
        };
        assert_eq!(path_of(changes), WritePath::RowUpdate);
        assert_eq!(path_of(UserChanges::default()), WritePath::RowUpdate);
    }

    #[test]
    fn a_uniqueness_check_makes_it_optimistic() {
        let username = UserChanges {
            username: Patch::Set("ada".to_owned()),
            ..UserChanges::default()
        };
        assert_eq!(path_of(username), WritePath::Optimistic);
        let removed = UserChanges {
            username: Patch::Null,
            ..UserChanges::default()
        };
        assert_eq!(path_of(removed), WritePath::Optimistic);
        let external_id = UserChanges {
            external_id: Patch::Set("ext-1".to_owned()),
            first_name: Patch::Set("Ada".to_owned()),
            ..UserChanges::default()
        };
        assert_eq!(path_of(external_id), WritePath::Optimistic);
    }

    #[test]
    fn writing_other_rows_takes_the_lock_first() {
        let cases = [
            UserChanges {
                totp_secret: Some("secret".to_owned()),
                ..UserChanges::default()
            },
            UserChanges {
                backup_codes: Some(Vec::new()),
                ..UserChanges::default()
            },
            UserChanges {
                password: PasswordFields {
                    password: Some("a long password".to_owned()),
                    ..PasswordFields::default()
                },
                sign_out_of_other_sessions: true,
                ..UserChanges::default()
            },
            UserChanges {
                password: PasswordFields {
                    password_digest: Some("digest".to_owned()),
                    password_hasher: Some("bcrypt".to_owned()),
                    ..PasswordFields::default()
                },
                ..UserChanges::default()
            },
            UserChanges {
                primary_email_address_id: Some("idn_1".to_owned()),
                ..UserChanges::default()
            },
            UserChanges {
                primary_phone_number_id: Some("idn_2".to_owned()),
                ..UserChanges::default()
            },
            UserChanges {
                primary_web3_wallet_id: Some("idn_3".to_owned()),
                username: Patch::Set("ada".to_owned()),
                ..UserChanges::default()
            },
            UserChanges {
                notify_primary_email_address_changed: true,
                ..UserChanges::default()
            },
            UserChanges {
                profile_image_id: Some("img_1".to_owned()),
                ..UserChanges::default()
            },
        ];
        for changes in cases {
            let shown = format!("{changes:?}");
            assert_eq!(path_of(changes), WritePath::Locked, "{shown}");
        }
    }
}
