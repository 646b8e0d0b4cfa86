//! The `/organizations` family: the Organization and OrganizationMembership objects, their
//! pages, request bodies and listing queries.

use roster_model::organizations::{
    Membership, MembershipFilter, Organization as ModelOrganization, OrganizationFilter,
    PublicUserData as ModelPublicUserData,
};
use roster_model::users::IncludeExclude;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

use crate::list_query::{
    FromPairs, ListQuery, QueryError, first, first_parsed, parse_bool, parse_integer, restore_plus,
};

#[derive(Clone, Debug, Serialize, PartialEq, ToSchema)]
pub struct Organization {
    #[schema(schema_with = crate::schema::organization)]
    pub object: &'static str,
    pub id: String,
    pub name: String,
    pub slug: String,
    pub image_url: String,
    pub has_image: bool,
    /// Only when the request asks for it (`include_members_count`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members_count: Option<i64>,
    pub max_allowed_memberships: i64,
    pub admin_delete_enabled: bool,
    #[schema(value_type = Object)]
    pub public_metadata: Map<String, Value>,
    #[schema(value_type = Object)]
    pub private_metadata: Map<String, Value>,
    /// The creator's user id; empty for an organization created without one.
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Organization {
    /// `image_url` is the default logo's address; `with_members_count` adds the count.
    pub fn from_model(
        organization: &ModelOrganization,
        image_url: String,
        with_members_count: bool,
    ) -> Self {
        Organization {
            object: "organization",
            id: organization.id.clone(),
            name: organization.name.clone(),
            slug: organization.slug.clone(),
            image_url,
            has_image: false,
            members_count: with_members_count.then_some(organization.members_count),
            max_allowed_memberships: organization.max_allowed_memberships,
            admin_delete_enabled: organization.admin_delete_enabled,
            public_metadata: organization.public_metadata.clone(),
            private_metadata: organization.private_metadata.clone(),
            created_by: organization.created_by.clone().unwrap_or_default(),
            created_at: organization.created_at,
            updated_at: organization.updated_at,
        }
    }
}

/// A page of organizations.
#[derive(Clone, Debug, Serialize, PartialEq, ToSchema)]
pub struct Organizations {
    pub data: Vec<Organization>,
    pub total_count: i64,
}

/// What a membership shows of its user.
#[derive(Clone, Debug, Serialize, PartialEq, ToSchema)]
pub struct PublicUserData {
    pub user_id: String,
    #[schema(required = true)]
    pub first_name: Option<String>,
    #[schema(required = true)]
    pub last_name: Option<String>,
    pub profile_image_url: String,
    pub image_url: String,
    pub has_image: bool,
    #[schema(required = true)]
    pub identifier: Option<String>,
    #[schema(required = true)]
    pub username: Option<String>,
    pub banned: bool,
}

impl PublicUserData {
    pub fn from_model(user: &ModelPublicUserData, image_url: String) -> Self {
        PublicUserData {
            user_id: user.user_id.clone(),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            profile_image_url: image_url.clone(),
            image_url,
            has_image: false,
            identifier: user.identifier.clone(),
            username: user.username.clone(),
            banned: user.banned,
        }
    }
}

#[derive(Clone, Debug, Serialize, PartialEq, ToSchema)]
pub struct OrganizationMembership {
    pub id: String,
    #[schema(schema_with = crate::schema::organization_membership)]
    pub object: &'static str,
    pub role: String,
    pub role_name: String,
    pub permissions: Vec<String>,
    #[schema(value_type = Object)]
    pub public_metadata: Map<String, Value>,
    #[schema(value_type = Object)]
    pub private_metadata: Map<String, Value>,
    pub organization: Organization,
    pub public_user_data: PublicUserData,
    pub created_at: i64,
    pub updated_at: i64,
}

impl OrganizationMembership {
    pub fn from_model(
        membership: &Membership,
        organization: Organization,
        public_user_data: PublicUserData,
    ) -> Self {
        OrganizationMembership {
            id: membership.id.clone(),
            object: "organization_membership",
            role: membership.role.key.clone(),
            role_name: membership.role.name.clone(),
            permissions: membership.role.permissions.clone(),
            public_metadata: membership.public_metadata.clone(),
            private_metadata: membership.private_metadata.clone(),
            organization,
            public_user_data,
            created_at: membership.created_at,
            updated_at: membership.updated_at,
        }
    }
}

/// A page of memberships.
#[derive(Clone, Debug, Serialize, PartialEq, ToSchema)]
pub struct OrganizationMemberships {
    pub data: Vec<OrganizationMembership>,
    pub total_count: i64,
}

/// `POST /organizations`. For creation `null` and absent mean the same.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, ToSchema)]
pub struct CreateOrganizationRequest {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub created_by: Option<String>,
    pub max_allowed_memberships: Option<i64>,
    #[schema(value_type = Option<Object>)]
    pub public_metadata: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub private_metadata: Option<Value>,
    pub created_at: Option<String>,
}

/// `PATCH /organizations/{organization_id}`; `null` leaves a field as it is.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, ToSchema)]
pub struct UpdateOrganizationRequest {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub max_allowed_memberships: Option<i64>,
    pub admin_delete_enabled: Option<bool>,
    #[schema(value_type = Option<Object>)]
    pub public_metadata: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub private_metadata: Option<Value>,
    pub created_at: Option<String>,
}

/// `PATCH …/metadata` of an organization or a membership: each tier given is deep-merged.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, ToSchema)]
pub struct OrganizationMetadataRequest {
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub public_metadata: roster_model::Patch<Value>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub private_metadata: roster_model::Patch<Value>,
}

/// `POST /organizations/{organization_id}/memberships`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, ToSchema)]
pub struct CreateMembershipRequest {
    pub user_id: Option<String>,
    pub role: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub public_metadata: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub private_metadata: Option<Value>,
}

/// `PATCH /organizations/{organization_id}/memberships/{user_id}`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, ToSchema)]
pub struct UpdateMembershipRequest {
    pub role: Option<String>,
}

/// The query of `GET /organizations`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OrganizationListParams {
    pub filter: OrganizationFilter,
    pub page: ListQuery,
    pub include_members_count: bool,
}

impl FromPairs for OrganizationListParams {
    fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, QueryError> {
        let mut query = None;
        let mut include = None;
        let (mut user_ids, mut organization_ids) = (Vec::new(), Vec::new());
        let page = ListQuery::read(pairs, |key, value| {
            match key {
                "query" => first(&mut query, value),
                "include_members_count" => first_parsed(&mut include, key, &value, parse_bool)?,
                "user_id" => user_ids.push(restore_plus(value)),
                "organization_id" => organization_ids.push(restore_plus(value)),
                _ => {}
            }
            Ok(())
        })?;
        Ok(OrganizationListParams {
            filter: OrganizationFilter {
                query,
                user_ids: IncludeExclude::from_values(user_ids),
                organization_ids: IncludeExclude::from_values(organization_ids),
            },
            page,
            include_members_count: include.unwrap_or(false),
        })
    }
}

/// `include_members_count` on `GET /organizations/{organization_id}`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IncludeMembersCount(pub bool);

impl FromPairs for IncludeMembersCount {
    fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, QueryError> {
        let mut include = None;
        for (key, value) in pairs {
            if key == "include_members_count" {
                first_parsed(&mut include, &key, &value, parse_bool)?;
            }
        }
        Ok(IncludeMembersCount(include.unwrap_or(false)))
    }
}

/// The query of a membership listing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MembershipListParams {
    pub filter: MembershipFilter,
    pub page: ListQuery,
}

impl FromPairs for MembershipListParams {
    fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, QueryError> {
        let mut filter = MembershipFilter::default();
        let mut user_ids = Vec::new();
        let page = ListQuery::read(pairs, |key, value| {
            let f = &mut filter;
            match key {
                "query" => first(&mut f.query, value),
                "user_id" => user_ids.push(restore_plus(value)),
                "role" => f.roles.push(value),
                "email_address" => f.email_addresses.push(value),
                "phone_number" => f.phone_numbers.push(restore_plus(value)),
                "web3_wallet" => f.web3_wallets.push(value),
                "username" => f.usernames.push(value),
                "email_address_query" => first(&mut f.email_address_query, value),
                "phone_number_query" => first(&mut f.phone_number_query, value),
                "username_query" => first(&mut f.username_query, value),
                "name_query" => first(&mut f.name_query, value),
                "created_at_before" => {
                    first_parsed(&mut f.created_at_before, key, &value, parse_integer)?
                }
                "created_at_after" => {
                    first_parsed(&mut f.created_at_after, key, &value, parse_integer)?
                }
                "last_active_at_before" => {
                    first_parsed(&mut f.last_active_at_before, key, &value, parse_integer)?
                }
                "last_active_at_after" => {
                    first_parsed(&mut f.last_active_at_after, key, &value, parse_integer)?
                }
                _ => {}
            }
            Ok(())
        })?;
        filter.user_ids = IncludeExclude::from_values(user_ids);
        Ok(MembershipListParams { filter, page })
    }
}

/// The query of `GET /organizations`, as the OpenAPI document describes it.
#[allow(dead_code)]
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrganizationListQuery {
    /// The exact id, or part of the name or slug.
    #[param(required = false)]
    query: String,
    /// Organizations with any of these members; `-id` excludes one.
    #[param(required = false, style = Form, explode)]
    user_id: Vec<String>,
    /// Organizations with any of these ids; `-id` excludes one.
    #[param(required = false, style = Form, explode)]
    organization_id: Vec<String>,
    /// Whether each organization carries `members_count`.
    #[param(required = false)]
    include_members_count: bool,
    /// How many to return (1 to 500; 10 by default).
    #[param(required = false)]
    limit: i64,
    /// How many matching to skip.
    #[param(required = false)]
    offset: i64,
    /// `name`, `created_at` or `members_count`, optionally prefixed `+` or `-`.
    #[param(required = false, pattern = "^[+-]?(name|created_at|members_count)$")]
    order_by: String,
}

/// `include_members_count` of `GET /organizations/{organization_id}`.
#[allow(dead_code)]
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrganizationGetQuery {
    /// Whether the organization carries `members_count`.
    #[param(required = false)]
    include_members_count: bool,
}

/// The query of a membership listing, as the OpenAPI document describes it.
#[allow(dead_code)]
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MembershipListQuery {
    /// Part of a member's name, username or identifier, or their exact id.
    #[param(required = false)]
    query: String,
    /// Members with any of these ids; `-id` excludes one.
    #[param(required = false, style = Form, explode)]
    user_id: Vec<String>,
    /// Members with any of these roles.
    #[param(required = false, style = Form, explode)]
    role: Vec<String>,
    /// Members with any of these email addresses.
    #[param(required = false, style = Form, explode)]
    email_address: Vec<String>,
    /// Members with any of these phone numbers.
    #[param(required = false, style = Form, explode)]
    phone_number: Vec<String>,
    /// Members with any of these web3 wallets.
    #[param(required = false, style = Form, explode)]
    web3_wallet: Vec<String>,
    /// Members with any of these usernames.
    #[param(required = false, style = Form, explode)]
    username: Vec<String>,
    /// A substring of a member's email address.
    #[param(required = false)]
    email_address_query: String,
    /// A substring of a member's phone number.
    #[param(required = false)]
    phone_number_query: String,
    /// A substring of a member's username.
    #[param(required = false)]
    username_query: String,
    /// A substring of a member's name.
    #[param(required = false)]
    name_query: String,
    /// Members whose user was created before this Unix time in milliseconds.
    #[param(required = false)]
    created_at_before: i64,
    /// Members whose user was created after this Unix time in milliseconds.
    #[param(required = false)]
    created_at_after: i64,
    /// Members last active before this Unix time in milliseconds.
    #[param(required = false)]
    last_active_at_before: i64,
    /// Members last active after this Unix time in milliseconds.
    #[param(required = false)]
    last_active_at_after: i64,
    /// How many to return (1 to 500; 10 by default).
    #[param(required = false)]
    limit: i64,
    /// How many matching to skip.
    #[param(required = false)]
    offset: i64,
    /// The order: a field name, optionally prefixed `+` or `-`.
    #[param(
        required = false,
        pattern = "^[+-]?(created_at|first_name|last_name|username|email_address|phone_number)$"
    )]
    order_by: String,
}

/// The paging of `GET /users/{user_id}/organization_memberships`.
#[allow(dead_code)]
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MembershipPageQuery {
    /// How many to return (1 to 500; 10 by default).
    #[param(required = false)]
    limit: i64,
    /// How many to skip.
    #[param(required = false)]
    offset: i64,
}
