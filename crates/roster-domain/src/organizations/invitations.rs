//! The `Invitations` service: invite an address to an organization (one or a batch), list
//! (per organization, per user, per instance), read, revoke. The invitation e-mail is queued
//! in the transaction that writes the invitation. An invitation is accepted when a user is
//! created with a verified address it names (`accept_for_new_user`); when the organization has
//! no seat left it stays pending, so creating the user never fails for it.

use std::sync::Arc;

use roster_model::ids::OrganizationInvitationId;
use roster_model::organizations::{
    Invitation, InvitationFilter, InvitationOrderField, InvitationStatus, MembershipFilter,
};
use roster_model::time::{Millis, now_millis};
use roster_model::users::{IdentificationKind, User};
use roster_store::{InvitationRecord, Tx};
use serde_json::Value;

use crate::context::Context;
use crate::error::{DomainError, DomainResult, FieldError, FieldErrorKind};
use crate::messages;
use crate::metadata;
use crate::user_record::invalid;
use crate::validate;

use super::memberships::{self, NewMembership, unknown_role};
use super::{lock, rules};

const DAY_MILLIS: i64 = 24 * 60 * 60 * 1000;
/// The most invitations one bulk request may carry, as on Clerk.
const BULK_MAX: usize = 10;

/// `POST /organizations/{id}/invitations` as given (also one item of the bulk form).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NewInvitation {
    pub email_address: Option<String>,
    pub inviter_user_id: Option<String>,
    pub role: Option<String>,
    pub public_metadata: Option<Value>,
    pub private_metadata: Option<Value>,
    pub redirect_url: Option<String>,
    pub expires_in_days: Option<i64>,
    pub notify: Option<bool>,
}

/// An invitation listing as parsed from the query string, before its values are checked.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ListInvitations {
    pub status: Option<String>,
    pub email_address: Option<String>,
    pub query: Option<String>,
    pub order_by: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Clone)]
pub struct Invitations {
    cx: Arc<Context>,
}

/// A request that passed the checks that need no storage.
struct Checked {
    input: NewInvitation,
    email_address: String,
    email_key: String,
    public_metadata: roster_model::users::Metadata,
    private_metadata: roster_model::users::Metadata,
    valid_days: i64,
}

impl Invitations {
    pub fn new(cx: Arc<Context>) -> Self {
        Invitations { cx }
    }

    pub async fn create(
        &self,
        organization: &str,
        input: NewInvitation,
    ) -> DomainResult<Invitation> {
        let mut created = self.create_many(organization, vec![input], false).await?;
        created
            .pop()
            .ok_or(DomainError::Internal("an invitation was not created"))
    }

    /// Up to ten invitations in one transaction: one refusal refuses them all.
    pub async fn create_bulk(
        &self,
        organization: &str,
        inputs: Vec<NewInvitation>,
    ) -> DomainResult<Vec<Invitation>> {
        self.create_many(organization, inputs, true).await
    }

    async fn create_many(
        &self,
        organization: &str,
        inputs: Vec<NewInvitation>,
        bulk: bool,
    ) -> DomainResult<Vec<Invitation>> {
        if bulk && (inputs.is_empty() || inputs.len() > BULK_MAX) {
            return Err(DomainError::field(
                "invitations",
                FieldErrorKind::ValueInvalid {
                    reason: format!("must hold 1 to {BULK_MAX} invitations"),
                },
            ));
        }
        let default_days = self.cx.settings.organizations.invitation_valid_days;
        let checked = inputs
            .into_iter()
            .map(|input| check(input, default_days))
            .collect::<DomainResult<Vec<_>>>()?;
        let now = now_millis();
        let mut tx = self.cx.store.begin().await?;
        let organization = lock(&mut tx, organization).await?;
        let mut created = Vec::with_capacity(checked.len());
        for request in checked {
            created.push(self.insert(&mut tx, &organization.id, request, now).await?);
        }
        tx.commit().await?;
        Ok(created)
    }

    /// Writes one checked invitation to the locked organization, with its event and mail.
    async fn insert(
        &self,
        tx: &mut Tx,
        organization_id: &str,
        request: Checked,
        now: Millis,
    ) -> DomainResult<Invitation> {
        if let Some(inviter) = &request.input.inviter_user_id {
            ensure_admin(tx, organization_id, inviter).await?;
        }
        let role_key = request.input.role.clone().unwrap_or_default();
        tx.role(&role_key).await?.ok_or_else(unknown_role)?;
        let members = MembershipFilter {
            organization_id: Some(organization_id.to_owned()),
            email_addresses: vec![request.email_address.clone()],
            ..MembershipFilter::default()
        };
        if !tx.memberships(&members).await?.is_empty() {
            return Err(DomainError::AlreadyMember);
        }
        let pending = InvitationFilter {
            organization_id: Some(organization_id.to_owned()),
            email_keys: Some(vec![request.email_key.clone()]),
            status: Some(InvitationStatus::Pending),
            now,
            ..InvitationFilter::default()
        };
        if !tx.invitations(&pending).await?.is_empty() {
            return Err(DomainError::AlreadyInvited);
        }
        let record = InvitationRecord {
            id: OrganizationInvitationId::generate().into_string(),
            organization_id: organization_id.to_owned(),
            email_address: request.email_address.clone(),
            email_key: request.email_key,
            role: role_key,
            inviter_id: request.input.inviter_user_id.clone(),
            public_metadata: request.public_metadata,
            private_metadata: request.private_metadata,
            redirect_url: request.input.redirect_url.clone(),
            expires_at: now + request.valid_days * DAY_MILLIS,
            created_at: now,
        };
        tx.insert_invitation(&record).await?;
        let invitation = read_one(tx, &record.id, now).await?;
        let events = self.cx.events.as_ref();
        if let Some(events) = events {
            events
                .invitation(tx, "organizationInvitation.created", &invitation)
                .await?;
        }
        if request.input.notify.unwrap_or(true) {
            messages::organization_invitation(
                &invitation.email_address,
                &invitation.organization.name,
                invitation.redirect_url.as_deref(),
                request.valid_days,
            )
            .enqueue_to_address(tx, now, events)
            .await?;
        }
        Ok(invitation)
    }

    pub async fn get(&self, organization: &str, id: &str) -> DomainResult<Invitation> {
        let organization = self
            .cx
            .store
            .get_organization(organization)
            .await?
            .ok_or_else(|| DomainError::organization_not_found(organization))?;
        let filter = InvitationFilter {
            organization_id: Some(organization.id),
            id: Some(id.to_owned()),
            now: now_millis(),
            ..InvitationFilter::default()
        };
        let page = rules::page(None, "created_at", InvitationOrderField::parse, None, None)?;
        self.cx
            .store
            .list_invitations(&filter, &page)
            .await?
            .pop()
            .ok_or_else(|| invitation_not_found(id))
    }

    /// Revokes a pending invitation; `requesting_user_id`, when given, must be an admin.
    pub async fn revoke(
        &self,
        organization: &str,
        id: &str,
        requesting_user_id: Option<String>,
    ) -> DomainResult<Invitation> {
        let now = now_millis();
        let mut tx = self.cx.store.begin().await?;
        let organization = lock(&mut tx, organization).await?;
        let filter = InvitationFilter {
            organization_id: Some(organization.id.clone()),
            id: Some(id.to_owned()),
            now,
            ..InvitationFilter::default()
        };
        let mut invitation = tx
            .invitations(&filter)
            .await?
            .pop()
            .ok_or_else(|| invitation_not_found(id))?;
        if let Some(user_id) = &requesting_user_id {
            ensure_admin(&mut tx, &organization.id, user_id).await?;
        }
        if invitation.status_at(now) != InvitationStatus::Pending {
            return Err(DomainError::InvitationNotPending);
        }
        settle(
            &self.cx,
            &mut tx,
            &mut invitation,
            InvitationStatus::Revoked,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(invitation)
    }

    /// One organization's invitations, and how many match in all.
    pub async fn list(
        &self,
        organization: &str,
        request: ListInvitations,
    ) -> DomainResult<(Vec<Invitation>, i64)> {
        let organization = self
            .cx
            .store
            .get_organization(organization)
            .await?
            .ok_or_else(|| DomainError::organization_not_found(organization))?;
        let mut filter = filter_of(&request)?;
        filter.organization_id = Some(organization.id);
        self.page(filter, &request).await
    }

    /// Every invitation of the instance.
    pub async fn list_all(&self, request: ListInvitations) -> DomainResult<(Vec<Invitation>, i64)> {
        let filter = filter_of(&request)?;
        self.page(filter, &request).await
    }

    /// The invitations to any of the user's email addresses.
    pub async fn list_for_user(
        &self,
        user_id: &str,
        request: ListInvitations,
    ) -> DomainResult<(Vec<Invitation>, i64)> {
        let user = self
            .cx
            .store
            .get_user(user_id)
            .await?
            .ok_or_else(|| DomainError::user_not_found(user_id))?;
        let mut filter = filter_of(&request)?;
        filter.email_keys = Some(email_keys(&user, false));
        self.page(filter, &request).await
    }

    async fn page(
        &self,
        filter: InvitationFilter,
        request: &ListInvitations,
    ) -> DomainResult<(Vec<Invitation>, i64)> {
        let page = rules::page(
            request.order_by.as_deref(),
            "-created_at",
            InvitationOrderField::parse,
            request.limit,
            request.offset,
        )?;
        let store = &self.cx.store;
        let invitations = store.list_invitations(&filter, &page).await?;
        let total = store.count_invitations(&filter).await?;
        Ok((invitations, total))
    }
}

/// Checks what needs no storage: the address, the role's presence, the validity, metadata.
fn check(input: NewInvitation, default_days: i64) -> DomainResult<Checked> {
    let mut errors = Vec::new();
    let email_address = input.email_address.as_deref().map(str::trim).unwrap_or("");
    match &input.email_address {
        None => errors.push(FieldError::new("email_address", FieldErrorKind::Missing)),
        Some(_) => errors.extend(
            validate::identifier(
                "email_address",
                IdentificationKind::EmailAddress,
                email_address,
            )
            .err(),
        ),
    }
    if input.role.is_none() {
        errors.push(FieldError::new("role", FieldErrorKind::Missing));
    }
    if let Some(days) = input.expires_in_days
        && !(1..=365).contains(&days)
    {
        errors.push(FieldError::new(
            "expires_in_days",
            FieldErrorKind::ValueInvalid {
                reason: "must be between 1 and 365".to_owned(),
            },
        ));
    }
    if let Some(url) = &input.redirect_url {
        errors.extend(validate::text("redirect_url", url).err());
    }
    let mut tier = |param: &str, value: &Option<Value>| match value {
        Some(Value::Null) | None => Default::default(),
        Some(value) => metadata::replacement(param, value).unwrap_or_else(|error| {
            if let DomainError::Invalid(found) = error {
                errors.extend(found);
            }
            Default::default()
        }),
    };
    let public_metadata = tier("public_metadata", &input.public_metadata);
    let private_metadata = tier("private_metadata", &input.private_metadata);
    invalid(errors)?;
    Ok(Checked {
        email_address: email_address.to_owned(),
        email_key: IdentificationKind::EmailAddress.normalize(email_address),
        public_metadata,
        private_metadata,
        valid_days: input.expires_in_days.unwrap_or(default_days),
        input,
    })
}

fn filter_of(request: &ListInvitations) -> DomainResult<InvitationFilter> {
    let status = match request.status.as_deref() {
        None => None,
        Some(value) => Some(InvitationStatus::parse(value).ok_or_else(|| {
            DomainError::field(
                "status",
                FieldErrorKind::ValueInvalid {
                    reason: "must be pending, accepted, revoked or expired".to_owned(),
                },
            )
        })?),
    };
    Ok(InvitationFilter {
        email_keys: request
            .email_address
            .as_deref()
            .map(|address| vec![IdentificationKind::EmailAddress.normalize(address)]),
        status,
        query: request.query.clone(),
        now: now_millis(),
        ..InvitationFilter::default()
    })
}

/// The identity keys of the user's email addresses (only the verified ones, if asked).
fn email_keys(user: &User, verified_only: bool) -> Vec<String> {
    user.identifications
        .iter()
        .filter(|i| i.kind == IdentificationKind::EmailAddress)
        .filter(|i| !verified_only || i.is_verified())
        .map(|i| IdentificationKind::EmailAddress.normalize(&i.value))
        .collect()
}

/// Refuses unless `user_id` is a member of the organization whose role manages memberships.
async fn ensure_admin(tx: &mut Tx, organization_id: &str, user_id: &str) -> DomainResult<()> {
    let filter = MembershipFilter {
        organization_id: Some(organization_id.to_owned()),
        user_id: Some(user_id.to_owned()),
        ..MembershipFilter::default()
    };
    let admin = tx
        .memberships(&filter)
        .await?
        .iter()
        .any(|membership| membership.role.is_admin());
    if admin {
        Ok(())
    } else {
        Err(DomainError::NotAnAdmin)
    }
}

async fn read_one(tx: &mut Tx, id: &str, now: Millis) -> DomainResult<Invitation> {
    let filter = InvitationFilter {
        id: Some(id.to_owned()),
        now,
        ..InvitationFilter::default()
    };
    tx.invitations(&filter)
        .await?
        .pop()
        .ok_or(DomainError::Internal("a written invitation was not found"))
}

/// Moves a pending invitation to accepted or revoked, with its event.
async fn settle(
    cx: &Context,
    tx: &mut Tx,
    invitation: &mut Invitation,
    status: InvitationStatus,
    now: Millis,
) -> DomainResult<()> {
    if !tx.settle_invitation(&invitation.id, status, now).await? {
        return Err(DomainError::InvitationNotPending);
    }
    invitation.status = status;
    invitation.updated_at = now;
    if let Some(events) = &cx.events {
        let event_type = match status {
            InvitationStatus::Accepted => "organizationInvitation.accepted",
            _ => "organizationInvitation.revoked",
        };
        events.invitation(tx, event_type, invitation).await?;
    }
    Ok(())
}

/// Accepts every pending invitation to a verified address of a user just written in `tx`:
/// each becomes a membership with the invited role and metadata. An organization without a
/// free seat keeps its invitation pending (Clerk refuses such an acceptance; here nobody
/// asked to accept, so the user is created and may be added later).
pub(crate) async fn accept_for_new_user(
    cx: &Context,
    tx: &mut Tx,
    user: &User,
    now: Millis,
) -> DomainResult<()> {
    let keys = email_keys(user, true);
    if keys.is_empty() {
        return Ok(());
    }
    let filter = InvitationFilter {
        email_keys: Some(keys),
        status: Some(InvitationStatus::Pending),
        now,
        ..InvitationFilter::default()
    };
    let mut pending = tx.invitations(&filter).await?;
    pending.sort_by(|a, b| a.organization.id.cmp(&b.organization.id));
    for mut invitation in pending {
        lock(tx, &invitation.organization.id).await?;
        let input = NewMembership {
            user_id: Some(user.id.clone()),
            role: Some(invitation.role.key.clone()),
            public_metadata: Some(Value::Object(invitation.public_metadata.clone())),
            private_metadata: Some(Value::Object(invitation.private_metadata.clone())),
        };
        let organization_id = invitation.organization.id.clone();
        match memberships::add(cx, tx, &organization_id, user, input, now).await {
            Ok(membership) => invitation.organization = membership.organization,
            Err(DomainError::MembershipQuotaExceeded { .. } | DomainError::AlreadyMember) => {
                continue;
            }
            Err(error) => return Err(error),
        }
        settle(cx, tx, &mut invitation, InvitationStatus::Accepted, now).await?;
    }
    Ok(())
}

/// Ends the pending invitations of an organization about to be deleted, each with
/// `organizationInvitation.revoked`; the rows go with the organization.
pub(crate) async fn end_invitations_of_organization(
    cx: &Context,
    tx: &mut Tx,
    organization_id: &str,
    now: Millis,
) -> DomainResult<()> {
    let filter = InvitationFilter {
        organization_id: Some(organization_id.to_owned()),
        status: Some(InvitationStatus::Pending),
        now,
        ..InvitationFilter::default()
    };
    for mut invitation in tx.invitations(&filter).await? {
        settle(cx, tx, &mut invitation, InvitationStatus::Revoked, now).await?;
    }
    Ok(())
}

fn invitation_not_found(id: &str) -> DomainError {
    DomainError::NotFound {
        resource: "organization invitation",
        id: id.to_owned(),
    }
}
