//! The `Organizations` service: create (from the Backend API, or gated for a user), read,
//! list, update, merge metadata, delete. Memberships are `memberships.rs`; the rules of names,
//! slugs and pages are `rules.rs`.

mod invitations;
mod memberships;
mod roles;
mod rules;

pub use invitations::{Invitations, ListInvitations, NewInvitation};
pub use memberships::{ListMemberships, Memberships, NewMembership};
pub use roles::{ListRoles, RoleInput, Roles};

use std::sync::Arc;

use roster_model::organizations::{
    MembershipFilter, Organization, OrganizationFilter, OrganizationOrderField,
};
use roster_model::time::{Millis, now_millis};
use roster_model::users::User;
use roster_store::Tx;
use serde_json::Value;

use crate::context::Context;
use crate::error::{DomainError, DomainResult, FieldError, FieldErrorKind};
use crate::events::Change;
use crate::identifiers::duplicate_to_field;
use crate::metadata::{self, MetadataChanges};
use crate::user_record::{invalid, load_for_update};
use crate::validate;

pub(crate) use invitations::accept_for_new_user;
pub(crate) use memberships::end_memberships_of_user;

/// `POST /organizations` as given.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NewOrganization {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub created_by: Option<String>,
    pub max_allowed_memberships: Option<i64>,
    pub public_metadata: Option<Value>,
    pub private_metadata: Option<Value>,
    pub created_at: Option<String>,
}

/// `PATCH /organizations/{id}` as given; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OrganizationChanges {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub max_allowed_memberships: Option<i64>,
    pub admin_delete_enabled: Option<bool>,
    /// Each tier given replaces the stored one whole.
    pub public_metadata: Option<Value>,
    pub private_metadata: Option<Value>,
    pub created_at: Option<String>,
}

/// `GET /organizations` as parsed from the query string, before its bounds are checked.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ListOrganizations {
    pub filter: OrganizationFilter,
    pub order_by: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Clone)]
pub struct Organizations {
    cx: Arc<Context>,
}

impl Organizations {
    pub fn new(cx: Arc<Context>) -> Self {
        Organizations { cx }
    }

    /// A Backend API create: not gated by the creator's `create_organization_enabled` or
    /// limit, as on Clerk. A `created_by` user becomes the organization's first admin.
    pub async fn create(&self, input: NewOrganization) -> DomainResult<Organization> {
        let now = now_millis();
        let fields = rules::check_new(&input, self.default_max(), now)?;
        let mut tx = self.cx.store.begin().await?;
        let creator = match &input.created_by {
            Some(user_id) => Some(tx.load_user(user_id).await?.ok_or_else(|| {
                DomainError::field("created_by", FieldErrorKind::ResourceNotFound)
            })?),
            None => None,
        };
        let organization = self
            .create_in(&mut tx, fields, creator.as_ref(), now)
            .await?;
        tx.commit().await?;
        Ok(organization)
    }

    /// A create by the user themself (the Frontend API's): refused unless organizations are
    /// enabled on the instance and for the user, and the user is under their creation limit
    /// (their `create_organizations_limit`, else the instance's; 0 means unlimited).
    pub async fn create_by_user(
        &self,
        user_id: &str,
        mut input: NewOrganization,
    ) -> DomainResult<Organization> {
        let now = now_millis();
        input.created_by = Some(user_id.to_owned());
        let fields = rules::check_new(&input, self.default_max(), now)?;
        let mut tx = self.cx.store.begin().await?;
        // The user's lock makes their creations queue, so two at once cannot both pass the
        // limit.
        let user = load_for_update(&mut tx, user_id).await?;
        let settings = &self.cx.settings.organizations;
        if !settings.enabled || !user.create_organization_enabled {
            return Err(DomainError::OrganizationCreationNotAllowed);
        }
        let limit = user
            .create_organizations_limit
            .unwrap_or(settings.create_limit);
        if limit > 0 && tx.count_organizations_created_by(&user.id).await? >= limit {
            return Err(DomainError::OrganizationQuotaExceeded { limit });
        }
        let organization = self.create_in(&mut tx, fields, Some(&user), now).await?;
        tx.commit().await?;
        Ok(organization)
    }

    fn default_max(&self) -> i64 {
        self.cx.settings.organizations.max_allowed_memberships
    }

    async fn create_in(
        &self,
        tx: &mut Tx,
        mut organization: Organization,
        creator: Option<&User>,
        now: Millis,
    ) -> DomainResult<Organization> {
        if organization.slug.is_empty() {
            organization.slug = rules::free_slug(tx, &organization.name).await?;
        } else if tx.organization_slug_taken(&organization.slug).await? {
            return Err(slug_taken());
        }
        tx.insert_organization(&organization)
            .await
            .map_err(duplicate_to_field)?;
        if let Some(events) = &self.cx.events {
            events
                .organization(tx, Change::Created, &organization)
                .await?;
        }
        if let Some(creator) = creator {
            let role = self.cx.settings.organizations.creator_role.clone();
            let membership = NewMembership {
                user_id: Some(creator.id.clone()),
                role: Some(role),
                ..NewMembership::default()
            };
            let added =
                memberships::add(&self.cx, tx, &organization.id, creator, membership, now).await?;
            organization = added.organization;
        }
        Ok(organization)
    }

    pub async fn get(&self, id_or_slug: &str) -> DomainResult<Organization> {
        self.cx
            .store
            .get_organization(id_or_slug)
            .await?
            .ok_or_else(|| DomainError::organization_not_found(id_or_slug))
    }

    /// A page of organizations and how many match in all.
    pub async fn list(&self, request: ListOrganizations) -> DomainResult<(Vec<Organization>, i64)> {
        let page = rules::page(
            request.order_by.as_deref(),
            "-created_at",
            OrganizationOrderField::parse,
            request.limit,
            request.offset,
        )?;
        let ids = &request.filter.organization_ids;
        let mut errors = Vec::new();
        for (param, len) in [
            ("organization_id", ids.include.len() + ids.exclude.len()),
            (
                "user_id",
                request.filter.user_ids.include.len() + request.filter.user_ids.exclude.len(),
            ),
        ] {
            errors.extend(validate::array_size(param, len).err());
        }
        invalid(errors)?;
        let store = &self.cx.store;
        let organizations = store.list_organizations(&request.filter, &page).await?;
        let total = store.count_organizations(&request.filter).await?;
        Ok((organizations, total))
    }

    pub async fn update(
        &self,
        id_or_slug: &str,
        changes: OrganizationChanges,
    ) -> DomainResult<Organization> {
        let mut tx = self.cx.store.begin().await?;
        let mut organization = lock(&mut tx, id_or_slug).await?;
        rules::apply_changes(&mut tx, &mut organization, changes).await?;
        self.save(tx, organization).await
    }

    /// `PATCH /organizations/{id}/metadata`: deep-merges each given tier.
    pub async fn merge_metadata(
        &self,
        id_or_slug: &str,
        changes: MetadataChanges,
    ) -> DomainResult<Organization> {
        let mut tx = self.cx.store.begin().await?;
        let mut organization = lock(&mut tx, id_or_slug).await?;
        merge_tiers(
            &mut organization.public_metadata,
            &mut organization.private_metadata,
            &changes,
        )?;
        self.save(tx, organization).await
    }

    /// `PUT /organizations/{id}/metadata`: each given tier replaces the stored one whole.
    pub async fn replace_metadata(
        &self,
        id_or_slug: &str,
        changes: MetadataChanges,
    ) -> DomainResult<Organization> {
        let mut tx = self.cx.store.begin().await?;
        let mut organization = lock(&mut tx, id_or_slug).await?;
        let replace = OrganizationChanges {
            public_metadata: changes.public_metadata,
            private_metadata: changes.private_metadata,
            ..OrganizationChanges::default()
        };
        rules::apply_changes(&mut tx, &mut organization, replace).await?;
        self.save(tx, organization).await
    }

    /// Deletes the organization and ends every membership in it, each with its event.
    pub async fn delete(&self, id_or_slug: &str) -> DomainResult<Organization> {
        let mut tx = self.cx.store.begin().await?;
        let organization = lock(&mut tx, id_or_slug).await?;
        let filter = MembershipFilter {
            organization_id: Some(organization.id.clone()),
            ..MembershipFilter::default()
        };
        let members = tx.memberships(&filter).await?;
        invitations::end_invitations_of_organization(
            &self.cx,
            &mut tx,
            &organization.id,
            now_millis(),
        )
        .await?;
        if let Some(events) = &self.cx.events {
            for membership in &members {
                events
                    .membership(&mut tx, Change::Deleted, membership)
                    .await?;
            }
        }
        if !tx.delete_organization(&organization.id).await? {
            return Err(DomainError::organization_not_found(id_or_slug));
        }
        if let Some(events) = &self.cx.events {
            events
                .organization(&mut tx, Change::Deleted, &organization)
                .await?;
        }
        tx.commit().await?;
        Ok(organization)
    }

    /// Writes a changed organization back with `organization.updated`, and commits.
    async fn save(&self, mut tx: Tx, mut organization: Organization) -> DomainResult<Organization> {
        organization.updated_at = now_millis().max(organization.updated_at);
        tx.update_organization(&organization)
            .await
            .map_err(duplicate_to_field)?;
        if let Some(events) = &self.cx.events {
            events
                .organization(&mut tx, Change::Updated, &organization)
                .await?;
        }
        tx.commit().await?;
        Ok(organization)
    }
}

/// The organization a path names, locked for this transaction, or "not found".
pub(crate) async fn lock(tx: &mut Tx, id_or_slug: &str) -> DomainResult<Organization> {
    tx.lock_organization(id_or_slug)
        .await?
        .ok_or_else(|| DomainError::organization_not_found(id_or_slug))
}

/// Deep-merges the public and private tiers of `changes` (an organization's or a
/// membership's); an unsafe tier is not theirs.
pub(crate) fn merge_tiers(
    public: &mut roster_model::users::Metadata,
    private: &mut roster_model::users::Metadata,
    changes: &MetadataChanges,
) -> DomainResult<()> {
    if changes.unsafe_metadata.is_some() {
        return Err(DomainError::field(
            "unsafe_metadata",
            FieldErrorKind::Unknown { reason: None },
        ));
    }
    let mut errors = Vec::new();
    if let Some(patch) = &changes.public_metadata {
        match metadata::merged("public_metadata", public, patch) {
            Ok(merged) => *public = merged,
            Err(error) => errors.extend(field_errors(error)),
        }
    }
    if let Some(patch) = &changes.private_metadata {
        match metadata::merged("private_metadata", private, patch) {
            Ok(merged) => *private = merged,
            Err(error) => errors.extend(field_errors(error)),
        }
    }
    invalid(errors)
}

fn field_errors(error: DomainError) -> Vec<FieldError> {
    match error {
        DomainError::Invalid(errors) => errors,
        _ => Vec::new(),
    }
}

fn slug_taken() -> DomainError {
    DomainError::field("slug", FieldErrorKind::IdentifierExists)
}
