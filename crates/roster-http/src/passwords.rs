//! Password routes under `/users/{user_id}`: `verify_password`, `remove_password`, and the
//! compromised flag.

use axum::Json;
use axum::extract::{Path, State};
use roster_domain::FieldErrorKind;
use roster_model::Patch;
use roster_model::ids::UserId;
use roster_wire::passwords::{
    RemovePasswordRequest, SetPasswordCompromisedRequest, VerifyPasswordRequest,
    VerifyPasswordResponse,
};
use roster_wire::users as wire;

use crate::AppState;
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::params::UserPath;
use crate::users::answer_user;
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
    let user_id = UserId::requested(user_id);
    state.services.passwords.verify(&user_id, &password).await?;
    Ok(Json(VerifyPasswordResponse { verified: true }))
}

crate::users::user_routes! {
    post "/users/{user_id}/remove_password", "passwords", "The user, without a password.",
        remove_password(user_id, body: RemovePasswordRequest)
            => passwords.remove(&user_id, body.sign_out_of_other_sessions == Some(true));
    post "/users/{user_id}/password/set_compromised", "passwords",
        "The user, whose password must be reset.",
        set_compromised(user_id, body: SetPasswordCompromisedRequest)
            => passwords.set_compromised(
                &user_id,
                true,
                body.revoke_all_sessions == Patch::Set(true),
            );
    post "/users/{user_id}/password/unset_compromised", "passwords",
        "The user, whose password no longer needs a reset.",
        unset_compromised(user_id) => passwords.set_compromised(&user_id, false, false);
}
