//! Removing a user's web3 wallet, passkey or external account (`DELETE /users/{user_id}/…`).
//! Passkeys and external (OAuth) accounts are not stored by Roster, so their ids never match:
//! the routes exist so that clients get Clerk's 404 rather than an unknown route.

use axum::Json;
use axum::extract::{Path, State};
use roster_domain::DomainError;
use roster_model::users::IdentificationKind;
use roster_wire::common::DeletedObject;

use crate::AppState;
use crate::error::ApiError;
use crate::params::{ExternalAccountPath, PasskeyPath, UserPath, Web3WalletPath};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(delete_web3_wallet))
        .routes(routes!(delete_passkey))
        .routes(routes!(delete_external_account))
}

#[utoipa::path(
    delete,
    path = "/users/{user_id}/web3_wallets/{web3_wallet_identification_id}",
    tag = "users",
    params(UserPath, Web3WalletPath),
    responses((status = 200, description = "The web3 wallet is deleted.", body = DeletedObject))
)]
async fn delete_web3_wallet(
    State(state): State<AppState>,
    Path((user_id, id)): Path<(String, String)>,
) -> Result<Json<DeletedObject>, ApiError> {
    state
        .services
        .identifications
        .delete(IdentificationKind::Web3Wallet, &id, Some(&user_id))
        .await?;
    Ok(Json(DeletedObject::new("web3_wallet", id)))
}

#[utoipa::path(
    delete,
    path = "/users/{user_id}/passkeys/{passkey_identification_id}",
    tag = "users",
    params(UserPath, PasskeyPath),
    responses((status = 200, description = "Never: Roster stores no passkeys, so this answers 404.", body = DeletedObject))
)]
async fn delete_passkey(
    State(state): State<AppState>,
    Path((user_id, id)): Path<(String, String)>,
) -> Result<Json<DeletedObject>, ApiError> {
    Err(not_stored(&state, &user_id, "passkey", id).await)
}

#[utoipa::path(
    delete,
    path = "/users/{user_id}/external_accounts/{external_account_id}",
    tag = "users",
    params(UserPath, ExternalAccountPath),
    responses((status = 200, description = "Never: Roster stores no external accounts, so this answers 404.", body = DeletedObject))
)]
async fn delete_external_account(
    State(state): State<AppState>,
    Path((user_id, id)): Path<(String, String)>,
) -> Result<Json<DeletedObject>, ApiError> {
    Err(not_stored(&state, &user_id, "external_account", id).await)
}

/// The user must exist (404 for the user otherwise); the object never does.
async fn not_stored(
    state: &AppState,
    user_id: &str,
    resource: &'static str,
    id: String,
) -> ApiError {
    if let Err(error) = state.services.users.get(user_id).await {
        return error.into();
    }
    DomainError::NotFound { resource, id }.into()
}
