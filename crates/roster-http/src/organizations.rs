//! The `/organizations` family of routes, with the memberships listed per user and per
//! instance: decode, call one use case, encode.

use axum::extract::{Path, State};
use axum::{Extension, Json};
use roster_domain::FieldErrorKind;
use roster_domain::metadata::MetadataChanges;
use roster_domain::organizations::{
    ListMemberships, ListOrganizations, NewMembership, NewOrganization, OrganizationChanges,
};
use roster_model::ids::UserId;
use roster_model::organizations::{Membership, Organization as ModelOrganization};
use roster_wire::common::DeletedObject;
use roster_wire::organizations::{
    CreateMembershipRequest, CreateOrganizationRequest, IncludeMembersCount, MembershipListParams,
    MembershipListQuery, MembershipPageQuery, Organization, OrganizationGetQuery,
    OrganizationListParams, OrganizationListQuery, OrganizationMembership, OrganizationMemberships,
    OrganizationMetadataRequest, Organizations, PublicUserData, UpdateMembershipRequest,
    UpdateOrganizationRequest,
};
use roster_wire::users::metadata_value;

use crate::AppState;
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::list_query::ListParams;
use crate::params::{OrganizationPath, UserPath};
use crate::version::ApiVersion;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type ApiResult<T> = Result<Json<T>, ApiError>;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_organizations, create_organization))
        .routes(routes!(
            get_organization,
            update_organization,
            delete_organization
        ))
        .routes(routes!(
            merge_organization_metadata,
            replace_organization_metadata
        ))
        .routes(routes!(list_memberships, create_membership))
        .routes(routes!(update_membership, delete_membership))
        .routes(routes!(merge_membership_metadata))
        .routes(routes!(list_instance_memberships))
        .routes(routes!(list_user_memberships))
}

/// The Organization object, its logo the default avatar under `public_url`.
pub(crate) fn render_organization(
    public_url: &str,
    organization: &ModelOrganization,
    with_members_count: bool,
) -> Organization {
    let image_url = format!("{public_url}/avatars/{}", organization.id);
    Organization::from_model(organization, image_url, with_members_count)
}

/// The OrganizationMembership object.
pub(crate) fn render_membership(
    public_url: &str,
    membership: &Membership,
) -> OrganizationMembership {
    let organization = render_organization(public_url, &membership.organization, false);
    let image_url = format!("{public_url}/avatars/{}", membership.user.user_id);
    let user = PublicUserData::from_model(&membership.user, image_url);
    OrganizationMembership::from_model(membership, organization, user)
}

fn answer(state: &AppState, organization: &ModelOrganization) -> Json<Organization> {
    Json(render_organization(&state.public_url, organization, false))
}

fn answer_membership(state: &AppState, membership: &Membership) -> Json<OrganizationMembership> {
    Json(render_membership(&state.public_url, membership))
}

fn membership_page(
    state: &AppState,
    (data, total_count): (Vec<Membership>, i64),
) -> Json<OrganizationMemberships> {
    Json(OrganizationMemberships {
        data: data
            .iter()
            .map(|membership| render_membership(&state.public_url, membership))
            .collect(),
        total_count,
    })
}

fn metadata_changes(body: OrganizationMetadataRequest) -> MetadataChanges {
    MetadataChanges {
        public_metadata: metadata_value(body.public_metadata),
        private_metadata: metadata_value(body.private_metadata),
        unsafe_metadata: None,
    }
}

#[utoipa::path(
    get,
    path = "/organizations",
    tag = "organizations",
    params(OrganizationListQuery),
    responses((status = 200, description = "A page of the organizations that match, and how many match in all.", body = Organizations))
)]
async fn list_organizations(
    State(state): State<AppState>,
    ListParams(params): ListParams<OrganizationListParams>,
) -> ApiResult<Organizations> {
    let request = ListOrganizations {
        filter: params.filter,
        order_by: params.page.order_by,
        limit: params.page.limit,
        offset: params.page.offset,
    };
    let (organizations, total_count) = state.services.organizations.list(request).await?;
    let with_count = params.include_members_count;
    Ok(Json(Organizations {
        data: organizations
            .iter()
            .map(|organization| render_organization(&state.public_url, organization, with_count))
            .collect(),
        total_count,
    }))
}

#[utoipa::path(
    post,
    path = "/organizations",
    tag = "organizations",
    request_body = CreateOrganizationRequest,
    responses((status = 200, description = "The created organization; a `created_by` user is its first admin.", body = Organization))
)]
async fn create_organization(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<CreateOrganizationRequest>,
) -> ApiResult<Organization> {
    let input = NewOrganization {
        name: body.name,
        slug: body.slug,
        created_by: body.created_by,
        max_allowed_memberships: body.max_allowed_memberships,
        public_metadata: body.public_metadata,
        private_metadata: body.private_metadata,
        created_at: body.created_at,
    };
    let organization = state.services.organizations.create(input).await?;
    Ok(answer(&state, &organization))
}

#[utoipa::path(
    get,
    path = "/organizations/{organization_id}",
    tag = "organizations",
    params(OrganizationPath, OrganizationGetQuery),
    responses((status = 200, description = "The organization with this id or slug.", body = Organization))
)]
async fn get_organization(
    State(state): State<AppState>,
    Path(organization_id): Path<String>,
    ListParams(IncludeMembersCount(with_count)): ListParams<IncludeMembersCount>,
) -> ApiResult<Organization> {
    let organization = state.services.organizations.get(&organization_id).await?;
    Ok(Json(render_organization(
        &state.public_url,
        &organization,
        with_count,
    )))
}

#[utoipa::path(
    patch,
    path = "/organizations/{organization_id}",
    tag = "organizations",
    params(OrganizationPath),
    request_body = UpdateOrganizationRequest,
    responses((status = 200, description = "The updated organization.", body = Organization))
)]
async fn update_organization(
    State(state): State<AppState>,
    Extension(version): Extension<ApiVersion>,
    Path(organization_id): Path<String>,
    JsonBody(body): JsonBody<UpdateOrganizationRequest>,
) -> ApiResult<Organization> {
    if version == ApiVersion::From20260512 {
        let given = [
            ("public_metadata", body.public_metadata.is_some()),
            ("private_metadata", body.private_metadata.is_some()),
        ];
        if let Some((param, _)) = given.iter().find(|(_, given)| *given) {
            return Err(ApiError::field(
                param,
                FieldErrorKind::Unknown {
                    reason: Some(
                        "since API version 2026-05-12 metadata is updated through /organizations/{organization_id}/metadata"
                            .to_owned(),
                    ),
                },
            ));
        }
    }
    let changes = OrganizationChanges {
        name: body.name,
        slug: body.slug,
        max_allowed_memberships: body.max_allowed_memberships,
        admin_delete_enabled: body.admin_delete_enabled,
        public_metadata: body.public_metadata,
        private_metadata: body.private_metadata,
        created_at: body.created_at,
    };
    let organization = state
        .services
        .organizations
        .update(&organization_id, changes)
        .await?;
    Ok(answer(&state, &organization))
}

#[utoipa::path(
    delete,
    path = "/organizations/{organization_id}",
    tag = "organizations",
    params(OrganizationPath),
    responses((status = 200, description = "The organization and its memberships are deleted.", body = DeletedObject))
)]
async fn delete_organization(
    State(state): State<AppState>,
    Path(organization_id): Path<String>,
) -> ApiResult<DeletedObject> {
    let organization = state
        .services
        .organizations
        .delete(&organization_id)
        .await?;
    Ok(Json(DeletedObject::new("organization", organization.id)))
}

#[utoipa::path(
    patch,
    path = "/organizations/{organization_id}/metadata",
    tag = "organizations",
    params(OrganizationPath),
    request_body = OrganizationMetadataRequest,
    responses((status = 200, description = "The organization, each given tier merged into the stored one.", body = Organization))
)]
async fn merge_organization_metadata(
    State(state): State<AppState>,
    Path(organization_id): Path<String>,
    JsonBody(body): JsonBody<OrganizationMetadataRequest>,
) -> ApiResult<Organization> {
    let organization = state
        .services
        .organizations
        .merge_metadata(&organization_id, metadata_changes(body))
        .await?;
    Ok(answer(&state, &organization))
}

#[utoipa::path(
    put,
    path = "/organizations/{organization_id}/metadata",
    tag = "organizations",
    params(OrganizationPath),
    request_body = OrganizationMetadataRequest,
    responses((status = 200, description = "The organization, each given tier replaced.", body = Organization))
)]
async fn replace_organization_metadata(
    State(state): State<AppState>,
    Path(organization_id): Path<String>,
    JsonBody(body): JsonBody<OrganizationMetadataRequest>,
) -> ApiResult<Organization> {
    let organization = state
        .services
        .organizations
        .replace_metadata(&organization_id, metadata_changes(body))
        .await?;
    Ok(answer(&state, &organization))
}

#[utoipa::path(
    post,
    path = "/organizations/{organization_id}/memberships",
    tag = "organization_memberships",
    params(OrganizationPath),
    request_body = CreateMembershipRequest,
    responses((status = 200, description = "The new membership.", body = OrganizationMembership))
)]
async fn create_membership(
    State(state): State<AppState>,
    Path(organization_id): Path<String>,
    JsonBody(body): JsonBody<CreateMembershipRequest>,
) -> ApiResult<OrganizationMembership> {
    let input = NewMembership {
        user_id: body.user_id,
        role: body.role,
        public_metadata: body.public_metadata,
        private_metadata: body.private_metadata,
    };
    let membership = state
        .services
        .memberships
        .create(&organization_id, input)
        .await?;
    Ok(answer_membership(&state, &membership))
}

#[utoipa::path(
    get,
    path = "/organizations/{organization_id}/memberships",
    tag = "organization_memberships",
    params(OrganizationPath, MembershipListQuery),
    responses((status = 200, description = "A page of the organization's memberships, and how many match in all.", body = OrganizationMemberships))
)]
async fn list_memberships(
    State(state): State<AppState>,
    Path(organization_id): Path<String>,
    ListParams(params): ListParams<MembershipListParams>,
) -> ApiResult<OrganizationMemberships> {
    let request = ListMemberships {
        filter: params.filter,
        order_by: params.page.order_by,
        limit: params.page.limit,
        offset: params.page.offset,
    };
    let page = state
        .services
        .memberships
        .list(&organization_id, request)
        .await?;
    Ok(membership_page(&state, page))
}

/// The member a path names; an id that cannot name a user names no member.
fn member_id(user_id: String) -> Result<String, ApiError> {
    Ok(UserId::requested(user_id).into_string())
}

#[utoipa::path(
    patch,
    path = "/organizations/{organization_id}/memberships/{user_id}",
    tag = "organization_memberships",
    params(OrganizationPath, UserPath),
    request_body = UpdateMembershipRequest,
    responses((status = 200, description = "The membership with its new role.", body = OrganizationMembership))
)]
async fn update_membership(
    State(state): State<AppState>,
    Path((organization_id, user_id)): Path<(String, String)>,
    JsonBody(body): JsonBody<UpdateMembershipRequest>,
) -> ApiResult<OrganizationMembership> {
    let user_id = member_id(user_id)?;
    let membership = state
        .services
        .memberships
        .update(&organization_id, &user_id, body.role)
        .await?;
    Ok(answer_membership(&state, &membership))
}

#[utoipa::path(
    delete,
    path = "/organizations/{organization_id}/memberships/{user_id}",
    tag = "organization_memberships",
    params(OrganizationPath, UserPath),
    responses((status = 200, description = "The membership as it was, now removed.", body = OrganizationMembership))
)]
async fn delete_membership(
    State(state): State<AppState>,
    Path((organization_id, user_id)): Path<(String, String)>,
) -> ApiResult<OrganizationMembership> {
    let user_id = member_id(user_id)?;
    let membership = state
        .services
        .memberships
        .delete(&organization_id, &user_id)
        .await?;
    Ok(answer_membership(&state, &membership))
}

#[utoipa::path(
    patch,
    path = "/organizations/{organization_id}/memberships/{user_id}/metadata",
    tag = "organization_memberships",
    params(OrganizationPath, UserPath),
    request_body = OrganizationMetadataRequest,
    responses((status = 200, description = "The membership, each given tier merged into the stored one.", body = OrganizationMembership))
)]
async fn merge_membership_metadata(
    State(state): State<AppState>,
    Path((organization_id, user_id)): Path<(String, String)>,
    JsonBody(body): JsonBody<OrganizationMetadataRequest>,
) -> ApiResult<OrganizationMembership> {
    let user_id = member_id(user_id)?;
    let membership = state
        .services
        .memberships
        .merge_metadata(&organization_id, &user_id, metadata_changes(body))
        .await?;
    Ok(answer_membership(&state, &membership))
}

#[utoipa::path(
    get,
    path = "/organization_memberships",
    tag = "organization_memberships",
    params(MembershipListQuery),
    responses((status = 200, description = "A page of every membership of the instance, and how many match in all.", body = OrganizationMemberships))
)]
async fn list_instance_memberships(
    State(state): State<AppState>,
    ListParams(params): ListParams<MembershipListParams>,
) -> ApiResult<OrganizationMemberships> {
    let request = ListMemberships {
        filter: params.filter,
        order_by: params.page.order_by,
        limit: params.page.limit,
        offset: params.page.offset,
    };
    let page = state.services.memberships.list_all(request).await?;
    Ok(membership_page(&state, page))
}

#[utoipa::path(
    get,
    path = "/users/{user_id}/organization_memberships",
    tag = "users",
    params(UserPath, MembershipPageQuery),
    responses((status = 200, description = "A page of the user's memberships, and how many there are.", body = OrganizationMemberships))
)]
async fn list_user_memberships(
    State(state): State<AppState>,
    Path(user_id): Path<String>,
    ListParams(params): ListParams<MembershipListParams>,
) -> ApiResult<OrganizationMemberships> {
    let user_id = UserId::requested(user_id);
    let mut request = ListMemberships {
        filter: params.filter,
        order_by: params.page.order_by,
        limit: params.page.limit,
        offset: params.page.offset,
    };
    request.filter.user_id = Some(user_id.into_string());
    let page = state.services.memberships.list_all(request).await?;
    Ok(membership_page(&state, page))
}
