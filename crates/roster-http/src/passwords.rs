//! Password routes under `/users/{user_id}`: `verify_password`, `remove_password`, and the
//! compromised flag.

use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use roster_domain::FieldErrorKind;
use roster_wire::passwords::{
    RemovePasswordRequest, SetPasswordCompromisedRequest, VerifyPasswordRequest,
    VerifyPasswordResponse,
};
use roster_wire::users as wire;

use crate::AppState;
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::users::render;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/users/{user_id}/verify_password", post(verify_password))
        .route("/users/{user_id}/remove_password", post(remove_password))
        .route(
            "/users/{user_id}/password/set_compromised",
            post(set_compromised),
        )
        .route(
            "/users/{user_id}/password/unset_compromised",
            post(unset_compromised),
        )
}

async fn verify_password(
    State(state): State<AppState>,
    Path(user_id): Path<String>,
    JsonBody(body): JsonBody<VerifyPasswordRequest>,
) -> Result<Json<VerifyPasswordResponse>, ApiError> {
    let Some(password) = body.password else {
        return Err(ApiError::field("password", FieldErrorKind::Missing));
    };
    state
        .services
        .users
        .verify_password(&user_id, &password)
        .await?;
    Ok(Json(VerifyPasswordResponse { verified: true }))
}

async fn remove_password(
    State(state): State<AppState>,
    Path(user_id): Path<String>,
    JsonBody(body): JsonBody<RemovePasswordRequest>,
) -> Result<Json<wire::User>, ApiError> {
    let user = state
        .services
        .users
        .remove_password(&user_id, body.sign_out_of_other_sessions == Some(true))
        .await?;
    Ok(Json(render(&state, &user)))
}

async fn set_compromised(
    State(state): State<AppState>,
    Path(user_id): Path<String>,
    JsonBody(body): JsonBody<SetPasswordCompromisedRequest>,
) -> Result<Json<wire::User>, ApiError> {
    let user = state
        .services
        .users
        .set_password_compromised(&user_id, true, body.revoke_all_sessions == Some(Some(true)))
        .await?;
    Ok(Json(render(&state, &user)))
}

async fn unset_compromised(
    State(state): State<AppState>,
    Path(user_id): Path<String>,
) -> Result<Json<wire::User>, ApiError> {
    let user = state
        .services
        .users
        .set_password_compromised(&user_id, false, false)
        .await?;
    Ok(Json(render(&state, &user)))
}
