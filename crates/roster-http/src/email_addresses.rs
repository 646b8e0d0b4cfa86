//! The `/email_addresses` routes, their one-time-code verification, and
//! `PUT /users/{user_id}/email_address`.

use axum::extract::{Path, State};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use roster_domain::FieldErrorKind;
use roster_domain::identifications::{IdentificationChanges, NewIdentification};
use roster_model::users::IdentificationKind;
use roster_wire::common::DeletedObject;
use roster_wire::email_addresses::{
    CreateEmailAddressRequest, ReplaceEmailAddressRequest, UpdateEmailAddressRequest,
};
use roster_wire::users::EmailAddress;
use roster_wire::verifications::{AttemptVerificationRequest, VerificationObject};

use crate::AppState;
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::verifications::{attempt, prepare, replacement_status, required};

const KIND: IdentificationKind = IdentificationKind::EmailAddress;

type ApiResult<T> = Result<Json<T>, ApiError>;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/email_addresses", post(create_email_address))
        .route(
            "/email_addresses/{email_address_id}",
            get(get_email_address)
                .patch(update_email_address)
                .delete(delete_email_address),
        )
        .route(
            "/email_addresses/{email_address_id}/prepare_verification",
            post(prepare_verification),
        )
        .route(
            "/email_addresses/{email_address_id}/attempt_verification",
            post(attempt_verification),
        )
        .route("/users/{user_id}/email_address", put(replace_email_address))
}

async fn create_email_address(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<CreateEmailAddressRequest>,
) -> ApiResult<EmailAddress> {
    let user_id = required("user_id", body.user_id)?;
    let email_address = required("email_address", body.email_address)?;
    let identification = state
        .services
        .users
        .create_identification(
            KIND,
            NewIdentification {
                user_id,
                value: email_address,
                verified: body.verified,
                primary: body.primary,
                reserved_for_second_factor: None,
                notify_primary_email_address_changed: body
                    .notify_primary_email_address_changed
                    .unwrap_or(false),
            },
        )
        .await?;
    Ok(Json(EmailAddress::from_model(&identification)))
}

async fn get_email_address(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<EmailAddress> {
    let identification = state.services.users.get_identification(KIND, &id).await?;
    Ok(Json(EmailAddress::from_model(&identification)))
}

async fn update_email_address(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<UpdateEmailAddressRequest>,
) -> ApiResult<EmailAddress> {
    let identification = state
        .services
        .users
        .update_identification(
            KIND,
            &id,
            IdentificationChanges {
                verified: body.verified,
                primary: body.primary,
                reserved_for_second_factor: None,
                notify_primary_email_address_changed: body
                    .notify_primary_email_address_changed
                    .unwrap_or(false),
            },
        )
        .await?;
    Ok(Json(EmailAddress::from_model(&identification)))
}

async fn delete_email_address(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<DeletedObject> {
    state
        .services
        .users
        .delete_identification(KIND, &id, None)
        .await?;
    Ok(Json(DeletedObject::new("email_address", id)))
}

async fn prepare_verification(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<VerificationObject> {
    prepare(&state, KIND, &id).await
}

async fn attempt_verification(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<AttemptVerificationRequest>,
) -> ApiResult<VerificationObject> {
    attempt(&state, KIND, &id, body).await
}

async fn replace_email_address(
    State(state): State<AppState>,
    Path(user_id): Path<String>,
    JsonBody(body): JsonBody<ReplaceEmailAddressRequest>,
) -> ApiResult<EmailAddress> {
    let Some(email_address) = body.email_address else {
        return Err(ApiError::field("email_address", FieldErrorKind::Missing));
    };
    let identification = state
        .services
        .users
        .replace_identifications(
            KIND,
            &user_id,
            &email_address,
            replacement_status(body.identification_status),
            body.notify_primary_email_address_changed.unwrap_or(false),
        )
        .await?;
    Ok(Json(EmailAddress::from_model(&identification)))
}
