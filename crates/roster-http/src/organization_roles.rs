//! `/organization_roles` and `/organization_permissions`: decode, call one use case, encode.

use axum::Json;
use axum::extract::{Path, State};
use roster_domain::organizations::{ListRoles, RoleInput};
use roster_model::organizations::RoleDefinition;
use roster_wire::common::DeletedObject;
use roster_wire::organization_roles::{
    Permission, PermissionRequest, Permissions, Role, RoleListParams, RoleListQuery, RoleRequest,
    Roles,
};

use crate::AppState;
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::list_query::ListParams;
use crate::params::{PermissionPath, RolePath};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type ApiResult<T> = Result<Json<T>, ApiError>;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_roles, create_role))
        .routes(routes!(get_role, update_role, delete_role))
        .routes(routes!(assign_permission, remove_permission))
        .routes(routes!(list_permissions, create_permission))
        .routes(routes!(
            get_permission,
            update_permission,
            delete_permission
        ))
}

fn list_request(params: RoleListParams) -> ListRoles {
    ListRoles {
        query: params.query,
        order_by: params.page.order_by,
        limit: params.page.limit,
        offset: params.page.offset,
    }
}

async fn render(state: &AppState, role: &RoleDefinition) -> ApiResult<Role> {
    let all = state.services.roles.permissions().await?;
    Ok(Json(Role::from_model(role, &all)))
}

fn role_input(body: RoleRequest) -> RoleInput {
    RoleInput {
        name: body.name,
        key: body.key,
        description: body.description,
        permissions: body.permissions,
    }
}

fn permission_input(body: PermissionRequest) -> RoleInput {
    RoleInput {
        name: body.name,
        key: body.key,
        description: body.description,
        permissions: None,
    }
}

#[utoipa::path(
    get,
    path = "/organization_roles",
    tag = "organization_roles",
    params(RoleListQuery),
    responses((status = 200, description = "A page of the roles, and how many match in all.", body = Roles))
)]
async fn list_roles(
    State(state): State<AppState>,
    ListParams(params): ListParams<RoleListParams>,
) -> ApiResult<Roles> {
    let (roles, total_count) = state.services.roles.list(list_request(params)).await?;
    let all = state.services.roles.permissions().await?;
    Ok(Json(Roles {
        data: roles
            .iter()
            .map(|role| Role::from_model(role, &all))
            .collect(),
        total_count,
    }))
}

#[utoipa::path(
    post,
    path = "/organization_roles",
    tag = "organization_roles",
    request_body = RoleRequest,
    responses((status = 200, description = "The new role.", body = Role))
)]
async fn create_role(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<RoleRequest>,
) -> ApiResult<Role> {
    let role = state.services.roles.create(role_input(body)).await?;
    render(&state, &role).await
}

#[utoipa::path(
    get,
    path = "/organization_roles/{organization_role_id}",
    tag = "organization_roles",
    params(RolePath),
    responses((status = 200, description = "The role.", body = Role))
)]
async fn get_role(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Role> {
    let role = state.services.roles.get(&id).await?;
    render(&state, &role).await
}

#[utoipa::path(
    patch,
    path = "/organization_roles/{organization_role_id}",
    tag = "organization_roles",
    params(RolePath),
    request_body = RoleRequest,
    responses((status = 200, description = "The changed role; given permissions replace its own.", body = Role))
)]
async fn update_role(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RoleRequest>,
) -> ApiResult<Role> {
    let role = state.services.roles.update(&id, role_input(body)).await?;
    render(&state, &role).await
}

#[utoipa::path(
    delete,
    path = "/organization_roles/{organization_role_id}",
    tag = "organization_roles",
    params(RolePath),
    responses((status = 200, description = "The role is deleted.", body = DeletedObject))
)]
async fn delete_role(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<DeletedObject> {
    let role = state.services.roles.delete(&id).await?;
    Ok(Json(DeletedObject::new("role", role.id)))
}

#[utoipa::path(
    post,
    path = "/organization_roles/{organization_role_id}/permissions/{permission_id}",
    tag = "organization_roles",
    params(RolePath, PermissionPath),
    responses((status = 200, description = "The role, now granting the permission.", body = Role))
)]
async fn assign_permission(
    State(state): State<AppState>,
    Path((id, permission_id)): Path<(String, String)>,
) -> ApiResult<Role> {
    let role = state
        .services
        .roles
        .set_permission(&id, &permission_id, true)
        .await?;
    render(&state, &role).await
}

#[utoipa::path(
    delete,
    path = "/organization_roles/{organization_role_id}/permissions/{permission_id}",
    tag = "organization_roles",
    params(RolePath, PermissionPath),
    responses((status = 200, description = "The role, no longer granting the permission.", body = Role))
)]
async fn remove_permission(
    State(state): State<AppState>,
    Path((id, permission_id)): Path<(String, String)>,
) -> ApiResult<Role> {
    let role = state
        .services
        .roles
        .set_permission(&id, &permission_id, false)
        .await?;
    render(&state, &role).await
}

#[utoipa::path(
    get,
    path = "/organization_permissions",
    tag = "organization_permissions",
    params(RoleListQuery),
    responses((status = 200, description = "A page of the permissions, and how many match in all.", body = Permissions))
)]
async fn list_permissions(
    State(state): State<AppState>,
    ListParams(params): ListParams<RoleListParams>,
) -> ApiResult<Permissions> {
    let (found, total_count) = state
        .services
        .roles
        .list_permissions(list_request(params))
        .await?;
    Ok(Json(Permissions {
        data: found.iter().map(Permission::from_model).collect(),
        total_count,
    }))
}

#[utoipa::path(
    post,
    path = "/organization_permissions",
    tag = "organization_permissions",
    request_body = PermissionRequest,
    responses((status = 200, description = "The new permission.", body = Permission))
)]
async fn create_permission(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<PermissionRequest>,
) -> ApiResult<Permission> {
    let permission = state
        .services
        .roles
        .create_permission(permission_input(body))
        .await?;
    Ok(Json(Permission::from_model(&permission)))
}

#[utoipa::path(
    get,
    path = "/organization_permissions/{permission_id}",
    tag = "organization_permissions",
    params(PermissionPath),
    responses((status = 200, description = "The permission.", body = Permission))
)]
async fn get_permission(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Permission> {
    let permission = state.services.roles.get_permission(&id).await?;
    Ok(Json(Permission::from_model(&permission)))
}

#[utoipa::path(
    patch,
    path = "/organization_permissions/{permission_id}",
    tag = "organization_permissions",
    params(PermissionPath),
    request_body = PermissionRequest,
    responses((status = 200, description = "The changed permission; a new key follows into every role.", body = Permission))
)]
async fn update_permission(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<PermissionRequest>,
) -> ApiResult<Permission> {
    let permission = state
        .services
        .roles
        .update_permission(&id, permission_input(body))
        .await?;
    Ok(Json(Permission::from_model(&permission)))
}

#[utoipa::path(
    delete,
    path = "/organization_permissions/{permission_id}",
    tag = "organization_permissions",
    params(PermissionPath),
    responses((status = 200, description = "The permission is deleted and withdrawn from every role.", body = DeletedObject))
)]
async fn delete_permission(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<DeletedObject> {
    let permission = state.services.roles.delete_permission(&id).await?;
    Ok(Json(DeletedObject::new("permission", permission.id)))
}
