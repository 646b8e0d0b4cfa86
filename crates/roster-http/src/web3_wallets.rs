//! Removing a user's web3 wallet, passkey or external account (`DELETE /users/{user_id}/…`).
//! Passkeys and external (OAuth) accounts are not stored by Roster, so their ids never match:
//! the routes exist so that clients get Clerk's 404 rather than an unknown route.

use axum::extract::{Path, State};
use axum::routing::delete;
use axum::{Json, Router};
use roster_domain::DomainError;
use roster_model::users::IdentificationKind;
use roster_wire::common::DeletedObject;

use crate::AppState;
use crate::error::ApiError;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/users/{user_id}/web3_wallets/{web3_wallet_identification_id}",
            delete(delete_web3_wallet),
        )
        .route(
            "/users/{user_id}/passkeys/{passkey_identification_id}",
            delete(delete_passkey),
        )
        .route(
            "/users/{user_id}/external_accounts/{external_account_id}",
            delete(delete_external_account),
        )
}

async fn delete_web3_wallet(
    State(state): State<AppState>,
    Path((user_id, id)): Path<(String, String)>,
) -> Result<Json<DeletedObject>, ApiError> {
    state
        .services
        .users
        .delete_identification(IdentificationKind::Web3Wallet, &id, Some(&user_id))
        .await?;
    Ok(Json(DeletedObject::new("web3_wallet", id)))
}

async fn delete_passkey(
    State(state): State<AppState>,
    Path((user_id, id)): Path<(String, String)>,
) -> Result<Json<DeletedObject>, ApiError> {
    Err(not_stored(&state, &user_id, "passkey", id).await)
}

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
