//! Second-factor routes under `/users/{user_id}`: `verify_totp` and removing TOTP, backup
//! codes or every second factor.

use axum::extract::{Path, State};
use axum::routing::{delete, post};
use axum::{Json, Router};
use roster_domain::FieldErrorKind;
use roster_domain::mfa::CodeType;
use roster_wire::mfa::{UserIdResponse, VerifyTotpRequest, VerifyTotpResponse};

use crate::AppState;
use crate::body::JsonBody;
use crate::error::ApiError;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/users/{user_id}/verify_totp", post(verify_totp))
        .route("/users/{user_id}/totp", delete(delete_totp))
        .route("/users/{user_id}/backup_code", delete(delete_backup_codes))
        .route("/users/{user_id}/mfa", delete(disable_mfa))
}

async fn verify_totp(
    State(state): State<AppState>,
    Path(user_id): Path<String>,
    JsonBody(body): JsonBody<VerifyTotpRequest>,
) -> Result<Json<VerifyTotpResponse>, ApiError> {
    let Some(code) = body.code else {
        return Err(ApiError::field("code", FieldErrorKind::Missing));
    };
    let code_type = state.services.users.verify_totp(&user_id, &code).await?;
    Ok(Json(VerifyTotpResponse {
        verified: true,
        code_type: match code_type {
            CodeType::Totp => "totp",
            CodeType::BackupCode => "backup_code",
        },
    }))
}

async fn delete_totp(
    State(state): State<AppState>,
    Path(user_id): Path<String>,
) -> Result<Json<UserIdResponse>, ApiError> {
    state.services.users.delete_totp(&user_id).await?;
    Ok(Json(UserIdResponse { user_id }))
}

async fn delete_backup_codes(
    State(state): State<AppState>,
    Path(user_id): Path<String>,
) -> Result<Json<UserIdResponse>, ApiError> {
    state.services.users.delete_backup_codes(&user_id).await?;
    Ok(Json(UserIdResponse { user_id }))
}

async fn disable_mfa(
    State(state): State<AppState>,
    Path(user_id): Path<String>,
) -> Result<Json<UserIdResponse>, ApiError> {
    state.services.users.disable_mfa(&user_id).await?;
    Ok(Json(UserIdResponse { user_id }))
}
