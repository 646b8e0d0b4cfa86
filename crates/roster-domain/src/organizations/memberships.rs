//! The `Memberships` service: add a user to an organization, list, change a role, merge
//! metadata, remove. Locks are taken user first, then organization (as deleting a user does),
//! so concurrent writes queue instead of deadlocking. A seat is taken by one conditional
//! `UPDATE` (`Tx::take_seat`), so `max_allowed_memberships` holds across nodes; the last member
//! able to manage memberships cannot be removed or demoted.

use std::sync::Arc;

use roster_model::ids::OrganizationMembershipId;
use roster_model::organizations::{
    MANAGE_MEMBERSHIPS, Membership, MembershipFilter, MembershipOrderField, PublicUserData,
};
use roster_model::time::{Millis, now_millis};
use roster_model::users::User;
use roster_store::{MembershipRecord, Tx};
use serde_json::Value;

use crate::context::Context;
use crate::error::{DomainError, DomainResult, FieldError, FieldErrorKind};
use crate::events::Change;
use crate::metadata::{self, MetadataChanges};
use crate::user_record::{invalid, load_for_update};

use super::{lock, merge_tiers, rules};

/// `POST /organizations/{id}/memberships` as given.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NewMembership {
    pub user_id: Option<String>,
    pub role: Option<String>,
    pub public_metadata: Option<Value>,
    pub private_metadata: Option<Value>,
}

/// A membership listing as parsed from the query string, before its bounds are checked.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ListMemberships {
    pub filter: MembershipFilter,
    pub order_by: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Clone)]
pub struct Memberships {
    cx: Arc<Context>,
}

impl Memberships {
    pub fn new(cx: Arc<Context>) -> Self {
        Memberships { cx }
    }

    pub async fn create(
        &self,
        organization: &str,
        input: NewMembership,
    ) -> DomainResult<Membership> {
        let mut errors = Vec::new();
        for (param, given) in [
            ("user_id", input.user_id.is_some()),
            ("role", input.role.is_some()),
        ] {
            if !given {
                errors.push(FieldError::new(param, FieldErrorKind::Missing));
            }
        }
        invalid(errors)?;
        let user_id = input.user_id.clone().unwrap_or_default();
        let now = now_millis();
        let mut tx = self.cx.store.begin().await?;
        let user = load_for_update(&mut tx, &user_id).await?;
        let organization = lock(&mut tx, organization).await?;
        let membership = add(&self.cx, &mut tx, &organization.id, &user, input, now).await?;
        tx.commit().await?;
        Ok(membership)
    }

    /// One organization's memberships (`GET /organizations/{id}/memberships`) and how many
    /// match in all.
    pub async fn list(
        &self,
        organization: &str,
        mut request: ListMemberships,
    ) -> DomainResult<(Vec<Membership>, i64)> {
        let organization = self
            .cx
            .store
            .get_organization(organization)
            .await?
            .ok_or_else(|| DomainError::organization_not_found(organization))?;
        request.filter.organization_id = Some(organization.id);
        self.page(request).await
    }

    /// Every membership of the instance, or of one user (their existence checked first).
    pub async fn list_all(&self, request: ListMemberships) -> DomainResult<(Vec<Membership>, i64)> {
        if let Some(user_id) = &request.filter.user_id
            && self.cx.store.get_user(user_id).await?.is_none()
        {
            return Err(DomainError::user_not_found(user_id));
        }
        self.page(request).await
    }

    async fn page(&self, request: ListMemberships) -> DomainResult<(Vec<Membership>, i64)> {
        let filter = &request.filter;
        let lists = [
            (
                "user_id",
                filter.user_ids.include.len() + filter.user_ids.exclude.len(),
            ),
            ("role", filter.roles.len()),
            ("email_address", filter.email_addresses.len()),
            ("phone_number", filter.phone_numbers.len()),
            ("web3_wallet", filter.web3_wallets.len()),
            ("username", filter.usernames.len()),
        ];
        invalid(
            lists
                .into_iter()
                .filter_map(|(param, len)| crate::validate::array_size(param, len).err())
                .collect(),
        )?;
        let page = rules::page(
            request.order_by.as_deref(),
            "-created_at",
            MembershipOrderField::parse,
            request.limit,
            request.offset,
        )?;
        let store = &self.cx.store;
        let memberships = store.list_memberships(&request.filter, &page).await?;
        let total = store.count_memberships(&request.filter).await?;
        Ok((memberships, total))
    }

    /// Gives the member another role; the last admin keeps theirs.
    pub async fn update(
        &self,
        organization: &str,
        user_id: &str,
        role: Option<String>,
    ) -> DomainResult<Membership> {
        let role = role.ok_or_else(|| DomainError::field("role", FieldErrorKind::Missing))?;
        let mut tx = self.cx.store.begin().await?;
        let mut membership = locked(&mut tx, organization, user_id).await?;
        let role = tx.role(&role).await?.ok_or_else(unknown_role)?;
        if membership.role.is_admin() && !role.is_admin() {
            ensure_another_admin(&mut tx, &membership).await?;
        }
        membership.role = role;
        self.save(tx, membership).await
    }

    /// `PATCH …/memberships/{user_id}/metadata`: deep-merges each given tier.
    pub async fn merge_metadata(
        &self,
        organization: &str,
        user_id: &str,
        changes: MetadataChanges,
    ) -> DomainResult<Membership> {
        let mut tx = self.cx.store.begin().await?;
        let mut membership = locked(&mut tx, organization, user_id).await?;
        merge_tiers(
            &mut membership.public_metadata,
            &mut membership.private_metadata,
            &changes,
        )?;
        self.save(tx, membership).await
    }

    /// Removes the member (not the last admin) and answers the membership as it was.
    pub async fn delete(&self, organization: &str, user_id: &str) -> DomainResult<Membership> {
        let mut tx = self.cx.store.begin().await?;
        let mut membership = locked(&mut tx, organization, user_id).await?;
        if membership.role.is_admin() {
            ensure_another_admin(&mut tx, &membership).await?;
        }
        remove(&self.cx, &mut tx, &mut membership).await?;
        tx.commit().await?;
        Ok(membership)
    }

    async fn save(&self, mut tx: Tx, mut membership: Membership) -> DomainResult<Membership> {
        membership.updated_at = now_millis().max(membership.updated_at);
        tx.update_membership(&record(&membership)).await?;
        if let Some(events) = &self.cx.events {
            events
                .membership(&mut tx, Change::Updated, &membership)
                .await?;
        }
        tx.commit().await?;
        Ok(membership)
    }
}

/// Adds `user` to the (locked) organization in `tx`, with its event.
pub(super) async fn add(
    cx: &Context,
    tx: &mut Tx,
    organization_id: &str,
    user: &User,
    input: NewMembership,
    now: Millis,
) -> DomainResult<Membership> {
    let mut errors = Vec::new();
    let mut tier = |param: &str, value: &Option<Value>| match value {
        Some(value) => metadata::replacement(param, value).unwrap_or_else(|error| {
            if let DomainError::Invalid(found) = error {
                errors.extend(found);
            }
            Default::default()
        }),
        None => Default::default(),
    };
    let public_metadata = tier("public_metadata", &input.public_metadata);
    let private_metadata = tier("private_metadata", &input.private_metadata);
    invalid(errors)?;
    let role_key = input
        .role
        .unwrap_or_else(|| cx.settings.organizations.default_role.clone());
    let role = tx.role(&role_key).await?.ok_or_else(unknown_role)?;
    let existing = MembershipFilter {
        organization_id: Some(organization_id.to_owned()),
        user_id: Some(user.id.clone()),
        ..MembershipFilter::default()
    };
    if !tx.memberships(&existing).await?.is_empty() {
        return Err(DomainError::AlreadyMember);
    }
    if !tx.take_seat(organization_id).await? {
        let organization = lock(tx, organization_id).await?;
        return Err(DomainError::MembershipQuotaExceeded {
            max: organization.max_allowed_memberships,
        });
    }
    let organization = lock(tx, organization_id).await?;
    let membership = Membership {
        id: OrganizationMembershipId::generate().into_string(),
        organization,
        user: public_user_data(user),
        role,
        public_metadata,
        private_metadata,
        created_at: now,
        updated_at: now,
    };
    tx.insert_membership(&record(&membership)).await?;
    if let Some(events) = &cx.events {
        events.membership(tx, Change::Created, &membership).await?;
    }
    Ok(membership)
}

/// Ends every membership of a user about to be deleted (the last-admin rule does not hold
/// here, as on Clerk), each with its event. The user is locked already; organizations are
/// locked in id order.
pub(crate) async fn end_memberships_of_user(
    cx: &Context,
    tx: &mut Tx,
    user_id: &str,
) -> DomainResult<()> {
    let filter = MembershipFilter {
        user_id: Some(user_id.to_owned()),
        ..MembershipFilter::default()
    };
    let mut memberships = tx.memberships(&filter).await?;
    memberships.sort_by(|a, b| a.organization.id.cmp(&b.organization.id));
    for mut membership in memberships {
        lock(tx, &membership.organization.id).await?;
        remove(cx, tx, &mut membership).await?;
    }
    Ok(())
}

/// Deletes a membership and frees its seat, with its event.
async fn remove(cx: &Context, tx: &mut Tx, membership: &mut Membership) -> DomainResult<()> {
    if !tx.delete_membership(&membership.id).await? {
        return Err(membership_not_found(&membership.user.user_id));
    }
    tx.free_seat(&membership.organization.id).await?;
    membership.organization.members_count -= 1;
    if let Some(events) = &cx.events {
        events.membership(tx, Change::Deleted, membership).await?;
    }
    Ok(())
}

/// The user's membership in the organization, which is locked.
async fn locked(tx: &mut Tx, organization: &str, user_id: &str) -> DomainResult<Membership> {
    let organization = lock(tx, organization).await?;
    let filter = MembershipFilter {
        organization_id: Some(organization.id.clone()),
        user_id: Some(user_id.to_owned()),
        ..MembershipFilter::default()
    };
    tx.memberships(&filter)
        .await?
        .pop()
        .ok_or_else(|| membership_not_found(user_id))
}

async fn ensure_another_admin(tx: &mut Tx, membership: &Membership) -> DomainResult<()> {
    let admins = tx
        .count_members_with_permission(&membership.organization.id, MANAGE_MEMBERSHIPS)
        .await?;
    if admins <= 1 {
        return Err(DomainError::LastAdmin);
    }
    Ok(())
}

/// What a membership shows of `user`.
fn public_user_data(user: &User) -> PublicUserData {
    let value = |id: &Option<String>| {
        id.as_deref()
            .and_then(|id| user.identification(id))
            .map(|identification| identification.value.clone())
    };
    PublicUserData {
        user_id: user.id.clone(),
        first_name: user.first_name.clone(),
        last_name: user.last_name.clone(),
        identifier: value(&user.primary_email_address_id)
            .or_else(|| value(&user.primary_phone_number_id))
            .or_else(|| user.username.clone()),
        username: user.username.clone(),
        banned: user.banned,
    }
}

fn record(membership: &Membership) -> MembershipRecord {
    MembershipRecord {
        id: membership.id.clone(),
        organization_id: membership.organization.id.clone(),
        user_id: membership.user.user_id.clone(),
        role: membership.role.key.clone(),
        public_metadata: membership.public_metadata.clone(),
        private_metadata: membership.private_metadata.clone(),
        created_at: membership.created_at,
        updated_at: membership.updated_at,
    }
}

pub(super) fn unknown_role() -> DomainError {
    DomainError::field(
        "role",
        FieldErrorKind::ValueInvalid {
            reason: "must name an existing role".to_owned(),
        },
    )
}

fn membership_not_found(user_id: &str) -> DomainError {
    DomainError::NotFound {
        resource: "organization membership",
        id: user_id.to_owned(),
    }
}
