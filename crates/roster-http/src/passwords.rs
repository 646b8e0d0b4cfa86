//! Password routes under `/users/{user_id}`: `verify_password`, `remove_password`, and the
//! compromised flag.

use axum::Json;
use axum::extract::{Path, State};
use roster_domain::FieldErrorKind;
use roster_model::Patch;
use roster_wire::passwords::{
    RemovePasswordRequest, SetPasswordCompromisedRequest, VerifyPasswordRequest,
    VerifyPasswordResponse,
};
use roster_wire::users as wire;

use crate::AppState;
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::params::UserPath;
use crate::users::render;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(verify_password))
        .routes(routes!(remove_password))
        .routes(routes!(set_compromised))
        .routes(routes!(unset_compromised))
}

#[utoipa::path(
    post,
    path = "/users/{user_id}/verify_password",
    tag = "passwords",
    params(UserPath),
    request_body = VerifyPasswordRequest,
    responses((status = 200, description = "The password is correct.", body = VerifyPasswordResponse))
)]
async fn verify_password(
    State(state): State<AppState>,
    Path(user_id): Path<String>,
    JsonBody(body): JsonBody<VerifyPasswordRequest>,
) -> Result<Json<VerifyPasswordResponse>, ApiError> {
    let Some(password) = body.password else {
        return Err(ApiError::field("password", FieldErrorKind::Missing));
    };
    state.services.passwords.verify(&user_id, &password).await?;
    Ok(Json(VerifyPasswordResponse { verified: true }))
}

#[utoipa::path(
    post,
    path = "/users/{user_id}/remove_password",
    tag = "passwords",
    params(UserPath),
    request_body = RemovePasswordRequest,
    responses((status = 200, description = "The user, without a password.", body = wire::User))
)]
async fn remove_password(
    State(state): State<AppState>,
    Path(user_id): Path<String>,
    JsonBody(body): JsonBody<RemovePasswordRequest>,
) -> Result<Json<wire::User>, ApiError> {
    let user = state
        .services
        .passwords
        .remove(&user_id, body.sign_out_of_other_sessions == Some(true))
        .await?;
    Ok(Json(render(&state, &user)))
}

#[utoipa::path(
    post,
    path = "/users/{user_id}/password/set_compromised",
    tag = "passwords",
    params(UserPath),
    request_body = SetPasswordCompromisedRequest,
    responses((status = 200, description = "The user, whose password must be reset.", body = wire::User))
)]
async fn set_compromised(
    State(state): State<AppState>,
    Path(user_id): Path<String>,
    JsonBody(body): JsonBody<SetPasswordCompromisedRequest>,
) -> Result<Json<wire::User>, ApiError> {
    let user = state
        .services
        .passwords
        .set_compromised(&user_id, true, body.revoke_all_sessions == Patch::Set(true))
        .await?;
    Ok(Json(render(&state, &user)))
}

#[utoipa::path(
    post,
    path = "/users/{user_id}/password/unset_compromised",
    tag = "passwords",
    params(UserPath),
    responses((status = 200, description = "The user, whose password no longer needs a reset.", body = wire::User))
)]
async fn unset_compromised(
    State(state): State<AppState>,
    Path(user_id): Path<String>,
) -> Result<Json<wire::User>, ApiError> {
    let user = state
        .services
        .passwords
        .set_compromised(&user_id, false, false)
        .await?;
    Ok(Json(render(&state, &user)))
}
