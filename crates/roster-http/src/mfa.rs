//! Second-factor routes under `/users/{user_id}`: `verify_totp` and removing TOTP, backup
//! codes or every second factor.

use axum::Json;
use axum::extract::{Path, State};
use roster_domain::FieldErrorKind;
use roster_domain::mfa::CodeType;
use roster_model::ids::UserId;
use roster_wire::mfa::{UserIdResponse, VerifyTotpRequest, VerifyTotpResponse};

use crate::AppState;
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::params::UserPath;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(verify_totp))
        .routes(routes!(delete_totp))
        .routes(routes!(delete_backup_codes))
        .routes(routes!(disable_mfa))
}

#[utoipa::path(
    post,
    path = "/users/{user_id}/verify_totp",
    tag = "mfa",
    params(UserPath),
    request_body = VerifyTotpRequest,
    responses((status = 200, description = "The code is correct.", body = VerifyTotpResponse))
)]
async fn verify_totp(
    State(state): State<AppState>,
    Path(user_id): Path<String>,
    JsonBody(body): JsonBody<VerifyTotpRequest>,
) -> Result<Json<VerifyTotpResponse>, ApiError> {
    let Some(code) = body.code else {
        return Err(ApiError::field("code", FieldErrorKind::Missing));
    };
    let user_id = UserId::requested(user_id);
    let code_type = state
        .services
        .second_factors
        .verify_totp(&user_id, &code)
        .await?;
    Ok(Json(VerifyTotpResponse {
        verified: true,
        code_type: match code_type {
            CodeType::Totp => "totp",
            CodeType::BackupCode => "backup_code",
        },
    }))
}

#[utoipa::path(
    delete,
    path = "/users/{user_id}/totp",
    tag = "mfa",
    params(UserPath),
    responses((status = 200, description = "TOTP is removed.", body = UserIdResponse))
)]
async fn delete_totp(
    State(state): State<AppState>,
    Path(user_id): Path<String>,
) -> Result<Json<UserIdResponse>, ApiError> {
    let user_id = UserId::requested(user_id);
    state.services.second_factors.delete_totp(&user_id).await?;
    Ok(Json(UserIdResponse {
        user_id: user_id.into_string(),
    }))
}

#[utoipa::path(
    delete,
    path = "/users/{user_id}/backup_code",
    tag = "mfa",
    params(UserPath),
    responses((status = 200, description = "The backup codes are removed.", body = UserIdResponse))
)]
async fn delete_backup_codes(
    State(state): State<AppState>,
    Path(user_id): Path<String>,
) -> Result<Json<UserIdResponse>, ApiError> {
    let user_id = UserId::requested(user_id);
    state
        .services
        .second_factors
        .delete_backup_codes(&user_id)
        .await?;
    Ok(Json(UserIdResponse {
        user_id: user_id.into_string(),
    }))
}

#[utoipa::path(
    delete,
    path = "/users/{user_id}/mfa",
    tag = "mfa",
    params(UserPath),
    responses((status = 200, description = "Every second factor is removed.", body = UserIdResponse))
)]
async fn disable_mfa(
    State(state): State<AppState>,
    Path(user_id): Path<String>,
) -> Result<Json<UserIdResponse>, ApiError> {
    let user_id = UserId::requested(user_id);
    state.services.second_factors.disable_mfa(&user_id).await?;
    Ok(Json(UserIdResponse {
        user_id: user_id.into_string(),
    }))
}
