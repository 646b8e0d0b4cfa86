//! The `/users` family of routes: decode, call one use case, encode.

use axum::extract::{Path, State};
use axum::{Extension, Json};
use roster_domain::metadata::MetadataChanges;
use roster_domain::passwords::PasswordFields;
use roster_domain::users::{IdentificationStatus, ListUsers, NewUser, UserChanges};
use roster_domain::{DomainResult, FieldErrorKind};
use roster_model::Patch;
use roster_model::ids::UserId;
use roster_model::users::User as ModelUser;
use roster_wire::common::{DeletedObject, TotalCount};
use roster_wire::users::{
    self as wire, BulkUsersRequest, CreateUserRequest, MetadataRequest, UpdateUserRequest,
    UserFilterQuery, UserListParams, UserPageQuery, metadata_value,
};

use crate::AppState;
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::list_query::ListParams;
use crate::params::UserPath;
use crate::version::ApiVersion;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type ApiResult<T> = Result<Json<T>, ApiError>;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_user_list, create_user))
        .routes(routes!(get_users_count))
        .routes(routes!(ban_users))
        .routes(routes!(unban_users))
        .routes(routes!(get_user, update_user, delete_user))
        .routes(routes!(update_user_metadata, replace_user_metadata))
        .routes(routes!(ban_user))
        .routes(routes!(unban_user))
        .routes(routes!(lock_user))
        .routes(routes!(unlock_user))
}

pub(crate) fn render(state: &AppState, user: &ModelUser) -> wire::User {
    render_with(&state.public_url, user)
}

/// The User object with picture links under `public_url`: the current uploaded image, or the
/// default avatar.
pub(crate) fn render_with(public_url: &str, user: &ModelUser) -> wire::User {
    let image_url = match &user.profile_image_id {
        Some(image_id) => format!("{public_url}/images/{image_id}"),
        None => format!("{public_url}/avatars/{}", user.id),
    };
    wire::User::from_model(user, image_url)
}

/// Answers with the user a use case returns.
pub(crate) async fn answer_user(
    state: &AppState,
    use_case: impl Future<Output = DomainResult<ModelUser>>,
) -> ApiResult<wire::User> {
    Ok(Json(render(state, &use_case.await?)))
}

/// Answers with the users a use case returns, in its order.
async fn answer_users(
    state: &AppState,
    use_case: impl Future<Output = DomainResult<Vec<ModelUser>>>,
) -> ApiResult<Vec<wire::User>> {
    let users = use_case.await?;
    Ok(Json(users.iter().map(|user| render(state, user)).collect()))
}

#[utoipa::path(
    get,
    path = "/users",
    tag = "users",
    params(UserFilterQuery, UserPageQuery),
    responses((status = 200, description = "The users that match, in the requested order.", body = Vec<wire::User>))
)]
async fn get_user_list(
    State(state): State<AppState>,
    ListParams(params): ListParams<UserListParams>,
) -> ApiResult<Vec<wire::User>> {
    let request = ListUsers {
        filter: params.filter,
        limit: params.page.limit,
        offset: params.page.offset,
        order_by: params.page.order_by,
        starting_after: params.starting_after,
    };
    answer_users(&state, state.services.users.list(request)).await
}

#[utoipa::path(
    get,
    path = "/users/count",
    tag = "users",
    params(UserFilterQuery),
    responses((status = 200, description = "How many users match.", body = TotalCount))
)]
async fn get_users_count(
    State(state): State<AppState>,
    ListParams(params): ListParams<UserListParams>,
) -> ApiResult<TotalCount> {
    let count = state.services.users.count(params.filter).await?;
    Ok(Json(TotalCount::new(count)))
}

#[utoipa::path(
    post,
    path = "/users",
    tag = "users",
    request_body = CreateUserRequest,
    responses((status = 200, description = "The created user.", body = wire::User))
)]
async fn create_user(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<CreateUserRequest>,
) -> ApiResult<wire::User> {
    answer_user(&state, state.services.users.create(new_user(body))).await
}

#[utoipa::path(
    get,
    path = "/users/{user_id}",
    tag = "users",
    params(UserPath),
    responses((status = 200, description = "The user.", body = wire::User))
)]
async fn get_user(
    State(state): State<AppState>,
    Path(user_id): Path<String>,
) -> ApiResult<wire::User> {
    let user_id = UserId::requested(user_id);
    answer_user(&state, state.services.users.get(&user_id)).await
}

#[utoipa::path(
    patch,
    path = "/users/{user_id}",
    tag = "users",
    params(UserPath),
    request_body = UpdateUserRequest,
    responses((status = 200, description = "The updated user.", body = wire::User))
)]
async fn update_user(
    State(state): State<AppState>,
    Extension(version): Extension<ApiVersion>,
    Path(user_id): Path<String>,
    JsonBody(body): JsonBody<UpdateUserRequest>,
) -> ApiResult<wire::User> {
    if version == ApiVersion::From20260512
        && let Some(param) = body.metadata_params().first()
    {
        return Err(ApiError::field(
            param,
            FieldErrorKind::Unknown {
                reason: Some(
                    "since API version 2026-05-12 metadata is updated through /users/{user_id}/metadata"
                        .to_owned(),
                ),
            },
        ));
    }
    let user_id = UserId::requested(user_id);
    let update = state.services.users.update(&user_id, user_changes(body));
    answer_user(&state, update).await
}

#[utoipa::path(
    delete,
    path = "/users/{user_id}",
    tag = "users",
    params(UserPath),
    responses((status = 200, description = "The user is deleted.", body = DeletedObject))
)]
async fn delete_user(
    State(state): State<AppState>,
    Path(user_id): Path<String>,
) -> ApiResult<DeletedObject> {
    let user_id = UserId::requested(user_id);
    state.services.users.delete(&user_id).await?;
    Ok(Json(DeletedObject::new("user", user_id.into_string())))
}

/// The bulk ban and unban routes differ only in the flag they set.
macro_rules! bulk_ban_routes {
    ($($path:literal, $description:literal, $handler:ident => $banned:literal;)+) => {
        $(
            #[utoipa::path(
                post,
                path = $path,
                tag = "users",
                request_body = BulkUsersRequest,
                responses((status = 200, description = $description, body = Vec<wire::User>))
            )]
            async fn $handler(
                State(state): State<AppState>,
                JsonBody(body): JsonBody<BulkUsersRequest>,
            ) -> ApiResult<Vec<wire::User>> {
                set_banned_many(&state, body, $banned).await
            }
        )+
    };
}

bulk_ban_routes! {
    "/users/ban", "The banned users.", ban_users => true;
    "/users/unban", "The users, no longer banned.", unban_users => false;
}

/// Bans or unbans every user the body names, all or none.
async fn set_banned_many(
    state: &AppState,
    body: BulkUsersRequest,
    banned: bool,
) -> ApiResult<Vec<wire::User>> {
    let ids = body.user_ids.unwrap_or_default();
    answer_users(state, state.services.users.set_banned_many(&ids, banned)).await
}

/// The routes on one user (`/users/{user_id}/…`) that call one use case and answer with the
/// user, each given as its method, path, tag and description, its handler's name and
/// parameters, and the use case. The handlers carry no doc comments: utoipa would make them
/// operation summaries. Where it is used, the names its handlers use must be in scope.
macro_rules! user_routes {
    ($(
        $method:ident $path:literal, $tag:literal, $description:literal,
        $handler:ident($user_id:ident $(, $body:ident: $request:ident)?)
            => $service:ident.$use_case:ident($($argument:expr),* $(,)?);
    )+) => {
        $(
            #[utoipa::path(
                $method,
                path = $path,
                tag = $tag,
                params(UserPath),
                $(request_body = $request,)?
                responses((status = 200, description = $description, body = wire::User))
            )]
            async fn $handler(
                State(state): State<AppState>,
                Path($user_id): Path<String>,
                $(JsonBody($body): JsonBody<$request>,)?
            ) -> Result<Json<wire::User>, ApiError> {
                let $user_id = roster_model::ids::UserId::requested($user_id);
                let use_case = state.services.$service.$use_case($($argument),*);
                answer_user(&state, use_case).await
            }
        )+
    };
}
pub(crate) use user_routes;

user_routes! {
    patch "/users/{user_id}/metadata", "users",
        "The user, each given tier merged into the stored one.",
        update_user_metadata(user_id, body: MetadataRequest)
            => users.merge_metadata(&user_id, requested_metadata(body));
    put "/users/{user_id}/metadata", "users", "The user, each given tier replaced.",
        replace_user_metadata(user_id, body: MetadataRequest)
            => users.replace_metadata(&user_id, requested_metadata(body));
    post "/users/{user_id}/ban", "users", "The banned user.",
        ban_user(user_id) => users.ban(&user_id);
    post "/users/{user_id}/unban", "users", "The user, no longer banned.",
        unban_user(user_id) => users.unban(&user_id);
    post "/users/{user_id}/lock", "users", "The locked user.",
        lock_user(user_id) => users.lock(&user_id);
    post "/users/{user_id}/unlock", "users", "The unlocked user.",
        unlock_user(user_id) => users.unlock(&user_id);
}

/// The tiers a metadata request gives.
fn requested_metadata(body: MetadataRequest) -> MetadataChanges {
    metadata_changes(
        body.public_metadata,
        body.private_metadata,
        body.unsafe_metadata,
    )
}

/// The three metadata tiers of a request, each `null` kept apart from absent.
fn metadata_changes(
    public: Patch<serde_json::Value>,
    private: Patch<serde_json::Value>,
    unsafe_: Patch<serde_json::Value>,
) -> MetadataChanges {
    MetadataChanges {
        public_metadata: metadata_value(public),
        private_metadata: metadata_value(private),
        unsafe_metadata: metadata_value(unsafe_),
    }
}

fn statuses(values: Option<Vec<wire::IdentificationStatus>>) -> Vec<IdentificationStatus> {
    values
        .unwrap_or_default()
        .into_iter()
        .map(|status| match status {
            wire::IdentificationStatus::Verified => IdentificationStatus::Verified,
            wire::IdentificationStatus::Reserved => IdentificationStatus::Reserved,
        })
        .collect()
}

pub(crate) fn new_user(body: CreateUserRequest) -> NewUser {
    NewUser {
        external_id: body.external_id,
        first_name: body.first_name,
        last_name: body.last_name,
        locale: body.locale,
        username: body.username,
        email_addresses: body.email_address.unwrap_or_default(),
        email_address_statuses: statuses(body.email_address_identification_status),
        phone_numbers: body.phone_number.unwrap_or_default(),
        phone_number_statuses: statuses(body.phone_number_identification_status),
        web3_wallets: body.web3_wallet.unwrap_or_default(),
        metadata: metadata_changes(
            body.public_metadata,
            body.private_metadata,
            body.unsafe_metadata,
        ),
        delete_self_enabled: body.delete_self_enabled,
        create_organization_enabled: body.create_organization_enabled,
        create_organizations_limit: body.create_organizations_limit,
        legal_accepted_at: body.legal_accepted_at,
        skip_legal_checks: body.skip_legal_checks.unwrap_or(false),
        skip_user_requirement: body.skip_user_requirement.unwrap_or(false),
        created_at: body.created_at,
        bypass_client_trust: body.bypass_client_trust,
        banned: body.banned.unwrap_or(false),
        locked: body.locked.unwrap_or(false),
        totp_secret: body.totp_secret,
        backup_codes: body.backup_codes,
        password: PasswordFields {
            password: body.password,
            password_digest: body.password_digest,
            password_hasher: body.password_hasher,
            skip_password_checks: body.skip_password_checks.unwrap_or(false),
        },
        skip_password_requirement: body.skip_password_requirement.unwrap_or(false),
    }
}

fn user_changes(body: UpdateUserRequest) -> UserChanges {
    UserChanges {
        external_id: body.external_id,
        first_name: body.first_name,
        last_name: body.last_name,
        locale: body.locale,
        username: body.username,
        primary_email_address_id: body.primary_email_address_id,
        primary_phone_number_id: body.primary_phone_number_id,
        primary_web3_wallet_id: body.primary_web3_wallet_id,
        profile_image_id: body.profile_image_id,
        metadata: metadata_changes(
            body.public_metadata,
            body.private_metadata,
            body.unsafe_metadata,
        ),
        delete_self_enabled: body.delete_self_enabled,
        create_organization_enabled: body.create_organization_enabled,
        create_organizations_limit: body.create_organizations_limit,
        legal_accepted_at: body.legal_accepted_at,
        created_at: body.created_at,
        bypass_client_trust: body.bypass_client_trust,
        totp_secret: body.totp_secret,
        backup_codes: body.backup_codes,
        password: PasswordFields {
            password: body.password,
            password_digest: body.password_digest,
            password_hasher: body.password_hasher,
            skip_password_checks: body.skip_password_checks.unwrap_or(false),
        },
        sign_out_of_other_sessions: body.sign_out_of_other_sessions.unwrap_or(false),
        notify_primary_email_address_changed: body
            .notify_primary_email_address_changed
            .unwrap_or(false),
    }
}
