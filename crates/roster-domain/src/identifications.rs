//! Email addresses and phone numbers managed one at a time (`/email_addresses`,
//! `/phone_numbers`, `PUT /users/{id}/email_address|phone_number`, and the web3 wallet delete
//! under `/users/{id}`). The rules: one primary per kind, and a primary must be verified; the
//! primary is not deleted while others of its kind remain; a user keeps at least one
//! identifier, and one of each kind the instance requires; only a verified phone number is a
//! second factor. Each change is one transaction, checked before anything is written.

use std::sync::Arc;

use roster_model::ids::{IdPrefix, IdentificationId, new_id};
use roster_model::time::{Millis, now_millis};
use roster_model::users::{Identification, IdentificationKind, User, Verification};
use roster_store::Tx;

use crate::context::Context;
use crate::error::{DomainError, DomainResult, FieldErrorKind};
use crate::events::Events;
use crate::identifiers;
use crate::messages::{self, Language};
use crate::user_record::{load_for_update, updated, write};
use crate::validate;

#[derive(Clone)]
pub struct Identifications {
    cx: Arc<Context>,
}

/// `POST /email_addresses` or `POST /phone_numbers`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewIdentification {
    pub user_id: String,
    pub value: String,
    pub verified: Option<bool>,
    pub primary: Option<bool>,
    pub reserved_for_second_factor: Option<bool>,
    pub notify_primary_email_address_changed: bool,
}

/// `PATCH /email_addresses/{id}` or `PATCH /phone_numbers/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdentificationChanges {
    pub verified: Option<bool>,
    pub primary: Option<bool>,
    pub reserved_for_second_factor: Option<bool>,
    pub notify_primary_email_address_changed: bool,
}

/// How the identifier given to `PUT /users/{id}/email_address|phone_number` starts out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReplacementStatus {
    /// Verified by the operator's say-so.
    #[default]
    Verified,
    /// Not verified, but held for this user and usable to sign in.
    Reserved,
    /// Neither verified nor held.
    Unverified,
}

/// The answer for an identification of this kind that does not exist.
pub fn not_found(kind: IdentificationKind, id: &str) -> DomainError {
    DomainError::NotFound {
        resource: kind.as_str(),
        id: id.to_owned(),
    }
}

impl Identifications {
    pub fn new(cx: Arc<Context>) -> Self {
        Identifications { cx }
    }

    pub async fn create(
        &self,
        kind: IdentificationKind,
        input: NewIdentification,
    ) -> DomainResult<Identification> {
        let param = kind.as_str();
        validate::identifier(param, kind, &input.value)
            .map_err(|error| DomainError::Invalid(vec![error]))?;
        self.ensure_kind_enabled(kind)?;
        let verified = input.verified.unwrap_or(false);
        if input.primary == Some(true) && !verified {
            return Err(DomainError::field(
                "primary",
                FieldErrorKind::VerificationNeeded,
            ));
        }
        let second_factor = input.reserved_for_second_factor == Some(true);
        if second_factor && !verified {
            return Err(DomainError::SecondFactorUnverified { creating: true });
        }

        let now = now_millis();
        let mut tx = self.cx.store().begin().await?;
        let mut user = tx
            .load_user(&input.user_id)
            .await?
            .ok_or_else(|| DomainError::user_not_found(&input.user_id))?;
        identifiers::ensure_available(&mut tx, kind, &input.value, &user.id).await?;
        let had_two_factor = user.two_factor_enabled();
        let first_of_kind = user.identifications_of(kind).next().is_none();
        let identification = Identification {
            id: new_id(IdPrefix::Identification),
            user_id: user.id.clone(),
            kind,
            value: input.value.clone(),
            reserved: false,
            verification: verified.then(Verification::admin),
            reserved_for_second_factor: second_factor,
            // The first number reserved for second factor becomes the default one.
            default_second_factor: second_factor && !has_default_second_factor(&user),
            created_at: now,
            updated_at: now,
        };
        add(&mut tx, &mut user, &identification).await?;
        if input.primary.unwrap_or(first_of_kind) {
            let notify = input.notify_primary_email_address_changed;
            let id = identification.id.clone();
            set_primary(&self.cx, &mut tx, &mut user, kind, &id, notify, now).await?;
        }
        save(&self.cx, tx, user, had_two_factor, now).await?;
        Ok(identification)
    }

    pub async fn get(
        &self,
        kind: IdentificationKind,
        id: &IdentificationId,
    ) -> DomainResult<Identification> {
        get_identification(&self.cx, kind, id.as_str()).await
    }

    pub async fn update(
        &self,
        kind: IdentificationKind,
        id: &IdentificationId,
        changes: IdentificationChanges,
    ) -> DomainResult<Identification> {
        let id = id.as_str();
        let now = now_millis();
        let mut tx = self.cx.store().begin().await?;
        let mut user = load_owner(&mut tx, kind, id).await?;
        let mut identification = find(&user, kind, id)?.clone();
        let is_primary = primary_of(&user, kind) == Some(id);
        let had_two_factor = user.two_factor_enabled();

        match changes.verified {
            Some(true) if !identification.is_verified() => {
                identification.verification = Some(Verification::admin());
                identification.reserved = false;
            }
            Some(false) if identification.is_verified() => {
                if is_primary {
                    return Err(DomainError::field(
                        "verified",
                        FieldErrorKind::ValueInvalid {
                            reason: "cannot be false for the primary identification, which must \
                                     stay verified; make another one primary first"
                                .to_owned(),
                        },
                    ));
                }
                if identification.reserved_for_second_factor {
                    return Err(DomainError::SecondFactorUnverified { creating: false });
                }
                identification.verification = None;
            }
            _ => {}
        }
        let make_it_primary = match changes.primary {
            Some(true) if !identification.is_verified() => {
                return Err(DomainError::field(
                    "primary",
                    FieldErrorKind::VerificationNeeded,
                ));
            }
            Some(true) => !is_primary,
            Some(false) if is_primary => {
                return Err(DomainError::field(
                    "primary",
                    FieldErrorKind::ValueInvalid {
                        reason: "cannot be false for the primary identification; make another \
                                 one primary instead"
                            .to_owned(),
                    },
                ));
            }
            _ => false,
        };
        match changes.reserved_for_second_factor {
            Some(true) if !identification.reserved_for_second_factor => {
                if !identification.is_verified() {
                    return Err(DomainError::SecondFactorUnverified { creating: false });
                }
                identification.reserved_for_second_factor = true;
                identification.default_second_factor = !has_default_second_factor(&user);
            }
            Some(false) if identification.reserved_for_second_factor => {
                identification.reserved_for_second_factor = false;
                identification.default_second_factor = false;
            }
            _ => {}
        }

        identification.updated_at = now.max(identification.updated_at);
        tx.update_identification(&identification).await?;
        replace(&mut user, &identification);
        promote_default_second_factor(&mut tx, &mut user, now).await?;
        if make_it_primary {
            let notify = changes.notify_primary_email_address_changed;
            set_primary(&self.cx, &mut tx, &mut user, kind, id, notify, now).await?;
        }
        let user = save(&self.cx, tx, user, had_two_factor, now).await?;
        Ok(find(&user, kind, id)?.clone())
    }

    /// Deletes an identification; with `owner`, only if it belongs to that user (the routes
    /// under `/users/{id}`).
    pub async fn delete(
        &self,
        kind: IdentificationKind,
        id: &str,
        owner: Option<&str>,
    ) -> DomainResult<()> {
        let now = now_millis();
        let mut tx = self.cx.store().begin().await?;
        if let Some(owner) = owner
            && tx.load_user(owner).await?.is_none()
        {
            return Err(DomainError::user_not_found(owner));
        }
        let mut user = load_owner(&mut tx, kind, id).await?;
        if owner.is_some_and(|owner| owner != user.id) {
            return Err(not_found(kind, id));
        }
        find(&user, kind, id)?;
        let others_of_kind = user.identifications_of(kind).filter(|i| i.id != id).count();
        if primary_of(&user, kind) == Some(id) && others_of_kind > 0 {
            return Err(DomainError::IdentificationDeletionFailed {
                reason: "it is the primary one; make another one primary first",
            });
        }
        if others_of_kind == 0 && self.kind_required(kind) {
            return Err(DomainError::LastRequiredIdentificationDeletionFailed);
        }
        if user.identifications.len() == 1 && user.username.is_none() {
            return Err(DomainError::IdentificationDeletionFailed {
                reason: "it is the user's last identifier",
            });
        }
        let had_two_factor = user.two_factor_enabled();
        tx.delete_identification(id).await?;
        user.identifications.retain(|i| i.id != id);
        clear_primary_if(&mut user, kind, id);
        promote_default_second_factor(&mut tx, &mut user, now).await?;
        save(&self.cx, tx, user, had_two_factor, now).await?;
        Ok(())
    }

    /// `PUT /users/{id}/email_address|phone_number`: every identifier of the kind is replaced
    /// by this one, which becomes primary.
    pub async fn replace(
        &self,
        kind: IdentificationKind,
        user_id: &str,
        value: &str,
        status: ReplacementStatus,
        notify_primary_email_address_changed: bool,
    ) -> DomainResult<Identification> {
        let param = kind.as_str();
        validate::identifier(param, kind, value)
            .map_err(|error| DomainError::Invalid(vec![error]))?;
        self.ensure_kind_enabled(kind)?;
        let now = now_millis();
        let mut tx = self.cx.store().begin().await?;
        let mut user = load_for_update(&mut tx, user_id).await?;
        identifiers::ensure_available(&mut tx, kind, value, &user.id).await?;
        let previous_primary = primary_of(&user, kind)
            .and_then(|id| user.identification(id))
            .map(|i| i.value.clone());
        let had_two_factor = user.two_factor_enabled();
        let replaced: Vec<String> = user
            .identifications_of(kind)
            .map(|i| i.id.clone())
            .collect();
        for id in &replaced {
            tx.delete_identification(id).await?;
        }
        user.identifications.retain(|i| i.kind != kind);
        let identification = Identification {
            id: new_id(IdPrefix::Identification),
            user_id: user.id.clone(),
            kind,
            value: value.to_owned(),
            reserved: status == ReplacementStatus::Reserved,
            verification: (status == ReplacementStatus::Verified).then(Verification::admin),
            reserved_for_second_factor: false,
            default_second_factor: false,
            created_at: now,
            updated_at: now,
        };
        add(&mut tx, &mut user, &identification).await?;
        make_primary(&mut user, kind, &identification.id);
        // notify_primary_changed itself stays silent when the address is the same as before.
        if kind == IdentificationKind::EmailAddress && notify_primary_email_address_changed {
            notify_primary_changed(
                &mut tx,
                &user,
                previous_primary.as_deref(),
                now,
                self.cx.events.as_ref(),
            )
            .await?;
        }
        // A replaced number that was a second factor takes SMS codes away with it.
        save(&self.cx, tx, user, had_two_factor, now).await?;
        Ok(identification)
    }

    fn ensure_kind_enabled(&self, kind: IdentificationKind) -> DomainResult<()> {
        let settings = self.cx.settings();
        let attribute = match kind {
            IdentificationKind::EmailAddress => settings.email_address,
            IdentificationKind::PhoneNumber => settings.phone_number,
            IdentificationKind::Web3Wallet => settings.web3_wallet,
        };
        if attribute.enabled {
            Ok(())
        } else {
            Err(DomainError::field(
                kind.as_str(),
                FieldErrorKind::Unknown {
                    reason: Some(format!("{} is not enabled on this instance", kind.as_str())),
                },
            ))
        }
    }

    fn kind_required(&self, kind: IdentificationKind) -> bool {
        let settings = self.cx.settings();
        match kind {
            IdentificationKind::EmailAddress => settings.email_address.required,
            IdentificationKind::PhoneNumber => settings.phone_number.required,
            IdentificationKind::Web3Wallet => settings.web3_wallet.required,
        }
    }
}

/// Stores a new identifier of `user`; a value another user holds is refused by its unique key.
async fn add(tx: &mut Tx, user: &mut User, identification: &Identification) -> DomainResult<()> {
    tx.insert_identification(identification)
        .await
        .map_err(identifiers::duplicate_to_field)?;
    user.identifications.push(identification.clone());
    Ok(())
}

/// Makes `id` the primary of its kind; for an email address, and when asked, the previous
/// primary address is told of the change.
async fn set_primary(
    cx: &Context,
    tx: &mut Tx,
    user: &mut User,
    kind: IdentificationKind,
    id: &str,
    notify_previous: bool,
    now: Millis,
) -> DomainResult<()> {
    let previous = make_primary(user, kind, id);
    if kind == IdentificationKind::EmailAddress && notify_previous {
        notify_primary_changed(tx, user, previous.as_deref(), now, cx.events.as_ref()).await?;
    }
    Ok(())
}

/// The last steps of every change to a user's identifiers: the two-factor stamp follows the
/// identifiers, then the user is written, announced and committed.
async fn save(
    cx: &Context,
    mut tx: Tx,
    mut user: User,
    had_two_factor: bool,
    now: Millis,
) -> DomainResult<User> {
    stamp_two_factor(&mut user, had_two_factor, now);
    write(&mut tx, &mut user, now).await?;
    updated(cx, &mut tx, user.banned, &user, now).await?;
    tx.commit().await?;
    Ok(user)
}

/// The identification `id`, if it is of `kind`, read outside any transaction.
pub(crate) async fn get_identification(
    cx: &Context,
    kind: IdentificationKind,
    id: &str,
) -> DomainResult<Identification> {
    let user_id = cx
        .store()
        .identification_user(id)
        .await?
        .ok_or_else(|| not_found(kind, id))?;
    let user = cx
        .store()
        .get_user(&user_id)
        .await?
        .ok_or_else(|| not_found(kind, id))?;
    find(&user, kind, id).cloned()
}

/// Loads, for writing, the user owning identification `id`.
pub(crate) async fn load_owner(
    tx: &mut Tx,
    kind: IdentificationKind,
    id: &str,
) -> DomainResult<User> {
    let user_id = tx
        .identification_user(id)
        .await?
        .ok_or_else(|| not_found(kind, id))?;
    tx.load_user(&user_id)
        .await?
        .ok_or_else(|| not_found(kind, id))
}

/// The identification `id` of `user`, if it is of `kind`.
pub(crate) fn find<'u>(
    user: &'u User,
    kind: IdentificationKind,
    id: &str,
) -> DomainResult<&'u Identification> {
    user.identification(id)
        .filter(|i| i.kind == kind)
        .ok_or_else(|| not_found(kind, id))
}

pub(crate) fn replace(user: &mut User, identification: &Identification) {
    if let Some(slot) = user
        .identifications
        .iter_mut()
        .find(|i| i.id == identification.id)
    {
        *slot = identification.clone();
    }
}

fn primary_slot(user: &mut User, kind: IdentificationKind) -> &mut Option<String> {
    match kind {
        IdentificationKind::EmailAddress => &mut user.primary_email_address_id,
        IdentificationKind::PhoneNumber => &mut user.primary_phone_number_id,
        IdentificationKind::Web3Wallet => &mut user.primary_web3_wallet_id,
    }
}

fn primary_of(user: &User, kind: IdentificationKind) -> Option<&str> {
    match kind {
        IdentificationKind::EmailAddress => user.primary_email_address_id.as_deref(),
        IdentificationKind::PhoneNumber => user.primary_phone_number_id.as_deref(),
        IdentificationKind::Web3Wallet => user.primary_web3_wallet_id.as_deref(),
    }
}

/// Makes `id` the primary of its kind; returns the previous primary's value.
fn make_primary(user: &mut User, kind: IdentificationKind, id: &str) -> Option<String> {
    let previous = primary_of(user, kind)
        .filter(|previous| *previous != id)
        .and_then(|previous| user.identification(previous))
        .map(|i| i.value.clone());
    *primary_slot(user, kind) = Some(id.to_owned());
    previous
}

fn clear_primary_if(user: &mut User, kind: IdentificationKind, id: &str) {
    let slot = primary_slot(user, kind);
    if slot.as_deref() == Some(id) {
        *slot = None;
    }
}

fn has_default_second_factor(user: &User) -> bool {
    user.identifications.iter().any(|i| i.default_second_factor)
}

/// After the default second factor went away, the oldest remaining reserved number takes its
/// place.
async fn promote_default_second_factor(
    tx: &mut Tx,
    user: &mut User,
    now: Millis,
) -> DomainResult<()> {
    if has_default_second_factor(user) {
        return Ok(());
    }
    let Some(next) = user
        .identifications
        .iter_mut()
        .find(|i| i.reserved_for_second_factor)
    else {
        return Ok(());
    };
    next.default_second_factor = true;
    next.updated_at = now.max(next.updated_at);
    tx.update_identification(next).await?;
    Ok(())
}

/// Stamps `mfa_enabled_at` when the user gained its first second factor and `mfa_disabled_at`
/// when it lost its last one; neither stamp is ever cleared.
pub(crate) fn stamp_two_factor(user: &mut User, had_two_factor: bool, now: Millis) {
    match (had_two_factor, user.two_factor_enabled()) {
        (false, true) => user.mfa_enabled_at = Some(now),
        (true, false) => user.mfa_disabled_at = Some(now),
        _ => {}
    }
}

/// Stops every phone number of the user from being a second factor (`DELETE …/mfa`).
pub(crate) async fn release_second_factor_numbers(
    tx: &mut Tx,
    user: &mut User,
    now: Millis,
) -> DomainResult<()> {
    for identification in user
        .identifications
        .iter_mut()
        .filter(|i| i.reserved_for_second_factor)
    {
        identification.reserved_for_second_factor = false;
        identification.default_second_factor = false;
        identification.updated_at = now.max(identification.updated_at);
        tx.update_identification(identification).await?;
    }
    Ok(())
}

/// Queues the notice to the previous primary address, in the user's language.
pub(crate) async fn notify_primary_changed(
    tx: &mut Tx,
    user: &User,
    previous: Option<&str>,
    now: Millis,
    events: Option<&Events>,
) -> DomainResult<()> {
    let Some(previous) = previous else {
        return Ok(());
    };
    let Some(current) = user
        .primary_email_address_id
        .as_deref()
        .and_then(|id| user.identification(id))
    else {
        return Ok(());
    };
    if IdentificationKind::EmailAddress.normalize(previous)
        == IdentificationKind::EmailAddress.normalize(&current.value)
    {
        return Ok(());
    }
    let language = Language::for_locale(user.locale.as_deref());
    messages::primary_email_address_changed(language, previous, &current.value)
        .enqueue(tx, user, now, events)
        .await
}
