//! The invitation routes: per organization, per user and per instance. Decode, call one use
//! case, encode.

use axum::Json;
use axum::extract::{Path, State};
use roster_domain::organizations::{ListInvitations, NewInvitation};
use roster_model::ids::UserId;
use roster_model::organizations::Invitation;
use roster_model::time::now_millis;
use roster_wire::organization_invitations::{
    CreateInvitationRequest, InstanceInvitationListQuery, InvitationListParams,
    InvitationListQuery, InviterPublicData, OrganizationInvitation, OrganizationInvitations,
    PublicOrganizationData, RevokeInvitationRequest, UserInvitationListQuery,
};

use crate::AppState;
use crate::body::{JsonArrayBody, JsonBody};
use crate::error::ApiError;
use crate::list_query::ListParams;
use crate::params::{InvitationPath, OrganizationPath, UserPath};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type ApiResult<T> = Result<Json<T>, ApiError>;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_invitations, create_invitation))
        .routes(routes!(create_invitations_bulk))
        .routes(routes!(list_pending_invitations))
        .routes(routes!(get_invitation))
        .routes(routes!(revoke_invitation))
        .routes(routes!(list_instance_invitations))
        .routes(routes!(list_user_invitations))
}

/// The OrganizationInvitation object; `with_organization` adds `public_organization_data`.
pub(crate) fn render_invitation(
    public_url: &str,
    invitation: &Invitation,
    with_organization: bool,
) -> OrganizationInvitation {
    let inviter = invitation.inviter.as_ref().map(|user| {
        InviterPublicData::from_model(user, format!("{public_url}/avatars/{}", user.user_id))
    });
    let organization = with_organization.then(|| {
        let org = &invitation.organization;
        PublicOrganizationData {
            id: org.id.clone(),
            name: org.name.clone(),
            slug: org.slug.clone(),
            image_url: format!("{public_url}/avatars/{}", org.id),
            has_image: false,
        }
    });
    OrganizationInvitation::from_model(invitation, inviter, organization, now_millis())
}

fn new_invitation(body: CreateInvitationRequest) -> NewInvitation {
    NewInvitation {
        email_address: body.email_address,
        inviter_user_id: body.inviter_user_id,
        role: body.role,
        public_metadata: body.public_metadata,
        private_metadata: body.private_metadata,
        redirect_url: body.redirect_url,
        expires_in_days: body.expires_in_days,
        notify: body.notify,
    }
}

fn list_request(params: InvitationListParams) -> ListInvitations {
    ListInvitations {
        status: params.status,
        email_address: params.email_address,
        query: params.query,
        order_by: params.page.order_by,
        limit: params.page.limit,
        offset: params.page.offset,
    }
}

fn page(
    state: &AppState,
    (data, total_count): (Vec<Invitation>, i64),
    with_organization: bool,
) -> Json<OrganizationInvitations> {
    Json(OrganizationInvitations {
        data: data
            .iter()
            .map(|invitation| render_invitation(&state.public_url, invitation, with_organization))
            .collect(),
        total_count,
    })
}

#[utoipa::path(
    post,
    path = "/organizations/{organization_id}/invitations",
    tag = "organization_invitations",
    params(OrganizationPath),
    request_body = CreateInvitationRequest,
    responses((status = 200, description = "The new pending invitation; its e-mail is queued.", body = OrganizationInvitation))
)]
async fn create_invitation(
    State(state): State<AppState>,
    Path(organization_id): Path<String>,
    JsonBody(body): JsonBody<CreateInvitationRequest>,
) -> ApiResult<OrganizationInvitation> {
    let invitation = state
        .services
        .invitations
        .create(&organization_id, new_invitation(body))
        .await?;
    Ok(Json(render_invitation(
        &state.public_url,
        &invitation,
        false,
    )))
}

#[utoipa::path(
    post,
    path = "/organizations/{organization_id}/invitations/bulk",
    tag = "organization_invitations",
    params(OrganizationPath),
    request_body = Vec<CreateInvitationRequest>,
    responses((status = 200, description = "The new invitations (1 to 10), all or none.", body = OrganizationInvitations))
)]
async fn create_invitations_bulk(
    State(state): State<AppState>,
    Path(organization_id): Path<String>,
    JsonArrayBody(body): JsonArrayBody<CreateInvitationRequest>,
) -> ApiResult<OrganizationInvitations> {
    let inputs = body.into_iter().map(new_invitation).collect();
    let created = state
        .services
        .invitations
        .create_bulk(&organization_id, inputs)
        .await?;
    let total = created.len() as i64;
    Ok(page(&state, (created, total), false))
}

#[utoipa::path(
    get,
    path = "/organizations/{organization_id}/invitations",
    tag = "organization_invitations",
    params(OrganizationPath, InvitationListQuery),
    responses((status = 200, description = "A page of the organization's invitations, and how many match in all.", body = OrganizationInvitations))
)]
async fn list_invitations(
    State(state): State<AppState>,
    Path(organization_id): Path<String>,
    ListParams(params): ListParams<InvitationListParams>,
) -> ApiResult<OrganizationInvitations> {
    let found = state
        .services
        .invitations
        .list(&organization_id, list_request(params))
        .await?;
    Ok(page(&state, found, false))
}

#[utoipa::path(
    get,
    path = "/organizations/{organization_id}/invitations/pending",
    tag = "organization_invitations",
    params(OrganizationPath, UserInvitationListQuery),
    responses((status = 200, description = "A page of the organization's pending invitations, and how many there are.", body = OrganizationInvitations))
)]
async fn list_pending_invitations(
    State(state): State<AppState>,
    Path(organization_id): Path<String>,
    ListParams(mut params): ListParams<InvitationListParams>,
) -> ApiResult<OrganizationInvitations> {
    params.status = Some("pending".to_owned());
    params.email_address = None;
    params.query = None;
    let found = state
        .services
        .invitations
        .list(&organization_id, list_request(params))
        .await?;
    Ok(page(&state, found, false))
}

#[utoipa::path(
    get,
    path = "/organizations/{organization_id}/invitations/{invitation_id}",
    tag = "organization_invitations",
    params(OrganizationPath, InvitationPath),
    responses((status = 200, description = "The invitation.", body = OrganizationInvitation))
)]
async fn get_invitation(
    State(state): State<AppState>,
    Path((organization_id, invitation_id)): Path<(String, String)>,
) -> ApiResult<OrganizationInvitation> {
    let invitation = state
        .services
        .invitations
        .get(&organization_id, &invitation_id)
        .await?;
    Ok(Json(render_invitation(
        &state.public_url,
        &invitation,
        false,
    )))
}

#[utoipa::path(
    post,
    path = "/organizations/{organization_id}/invitations/{invitation_id}/revoke",
    tag = "organization_invitations",
    params(OrganizationPath, InvitationPath),
    request_body = RevokeInvitationRequest,
    responses((status = 200, description = "The invitation, now revoked.", body = OrganizationInvitation))
)]
async fn revoke_invitation(
    State(state): State<AppState>,
    Path((organization_id, invitation_id)): Path<(String, String)>,
    JsonBody(body): JsonBody<RevokeInvitationRequest>,
) -> ApiResult<OrganizationInvitation> {
    let invitation = state
        .services
        .invitations
        .revoke(&organization_id, &invitation_id, body.requesting_user_id)
        .await?;
    Ok(Json(render_invitation(
        &state.public_url,
        &invitation,
        false,
    )))
}

#[utoipa::path(
    get,
    path = "/organization_invitations",
    tag = "organization_invitations",
    params(InstanceInvitationListQuery),
    responses((status = 200, description = "A page of every invitation of the instance, and how many match in all.", body = OrganizationInvitations))
)]
async fn list_instance_invitations(
    State(state): State<AppState>,
    ListParams(params): ListParams<InvitationListParams>,
) -> ApiResult<OrganizationInvitations> {
    let found = state
        .services
        .invitations
        .list_all(list_request(params))
        .await?;
    Ok(page(&state, found, true))
}

#[utoipa::path(
    get,
    path = "/users/{user_id}/organization_invitations",
    tag = "users",
    params(UserPath, UserInvitationListQuery),
    responses((status = 200, description = "A page of the invitations to the user's email addresses.", body = OrganizationInvitations))
)]
async fn list_user_invitations(
    State(state): State<AppState>,
    Path(user_id): Path<String>,
    ListParams(mut params): ListParams<InvitationListParams>,
) -> ApiResult<OrganizationInvitations> {
    let user_id = UserId::requested(user_id);
    params.email_address = None;
    params.query = None;
    let found = state
        .services
        .invitations
        .list_for_user(user_id.as_str(), list_request(params))
        .await?;
    Ok(page(&state, found, true))
}
