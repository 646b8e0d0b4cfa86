//! Removing a user's passkey or external account (`DELETE /users/{user_id}/…`). Roster stores
//! neither, so their ids never match: the routes exist so that clients get Clerk's 404 rather
//! than an unknown route.

use axum::Json;
use axum::extract::{Path, State};
use roster_domain::DomainError;
use roster_model::ids::UserId;
use roster_wire::common::DeletedObject;

use crate::AppState;
use crate::error::ApiError;
use crate::params::{ExternalAccountPath, PasskeyPath, UserPath};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(delete_passkey))
        .routes(routes!(delete_external_account))
}

/// One delete route per resource Roster does not store; `$resource` names it in the 404. The
/// handlers carry no doc comments: utoipa would make them operation summaries.
macro_rules! not_stored_deletes {
    ($($handler:ident: $resource:literal at $path:literal, $id:ident, $stored:literal;)+) => {
        $(
            #[utoipa::path(
                delete,
                path = $path,
                tag = "users",
                params(UserPath, $id),
                responses((status = 200, description = concat!("Never: Roster stores no ", $stored, ", so this answers 404."), body = DeletedObject))
            )]
            async fn $handler(
                State(state): State<AppState>,
                Path((user_id, id)): Path<(String, String)>,
            ) -> Result<Json<DeletedObject>, ApiError> {
                Err(not_stored(&state, user_id, $resource, id).await)
            }
        )+
    };
}

not_stored_deletes! {
    delete_passkey: "passkey" at "/users/{user_id}/passkeys/{passkey_identification_id}",
        PasskeyPath, "passkeys";
    delete_external_account: "external_account" at "/users/{user_id}/external_accounts/{external_account_id}",
        ExternalAccountPath, "external accounts";
}

/// The user must exist (404 for the user otherwise); the object never does.
async fn not_stored(
    state: &AppState,
    user_id: String,
    resource: &'static str,
    id: String,
) -> ApiError {
    let user_id = UserId::requested(user_id);
    if let Err(error) = state.services.users.get(&user_id).await {
        return error.into();
    }
    DomainError::NotFound { resource, id }.into()
}
