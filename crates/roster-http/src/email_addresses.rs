//! The `/email_addresses` routes, their one-time-code verification, and
//! `PUT /users/{user_id}/email_address`.

use axum::Json;
use axum::extract::{Path, State};
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
use crate::params::{EmailAddressPath, UserPath};
use crate::verifications::{attempt, prepare, replacement_status, required};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

const KIND: IdentificationKind = IdentificationKind::EmailAddress;

type ApiResult<T> = Result<Json<T>, ApiError>;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_email_address))
        .routes(routes!(
            get_email_address,
            update_email_address,
            delete_email_address
        ))
        .routes(routes!(prepare_verification))
        .routes(routes!(attempt_verification))
        .routes(routes!(replace_email_address))
}

#[utoipa::path(
    post,
    path = "/email_addresses",
    tag = "email_addresses",
    request_body = CreateEmailAddressRequest,
    responses((status = 200, description = "The created email address.", body = EmailAddress))
)]
async fn create_email_address(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<CreateEmailAddressRequest>,
) -> ApiResult<EmailAddress> {
    let user_id = required("user_id", body.user_id)?;
    let email_address = required("email_address", body.email_address)?;
    let identification = state
        .services
        .identifications
        .create(
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

#[utoipa::path(
    get,
    path = "/email_addresses/{email_address_id}",
    tag = "email_addresses",
    params(EmailAddressPath),
    responses((status = 200, description = "The email address.", body = EmailAddress))
)]
async fn get_email_address(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<EmailAddress> {
    let identification = state.services.identifications.get(KIND, &id).await?;
    Ok(Json(EmailAddress::from_model(&identification)))
}

#[utoipa::path(
    patch,
    path = "/email_addresses/{email_address_id}",
    tag = "email_addresses",
    params(EmailAddressPath),
    request_body = UpdateEmailAddressRequest,
    responses((status = 200, description = "The updated email address.", body = EmailAddress))
)]
async fn update_email_address(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<UpdateEmailAddressRequest>,
) -> ApiResult<EmailAddress> {
    let identification = state
        .services
        .identifications
        .update(
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

#[utoipa::path(
    delete,
    path = "/email_addresses/{email_address_id}",
    tag = "email_addresses",
    params(EmailAddressPath),
    responses((status = 200, description = "The email address is deleted.", body = DeletedObject))
)]
async fn delete_email_address(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<DeletedObject> {
    state
        .services
        .identifications
        .delete(KIND, &id, None)
        .await?;
    Ok(Json(DeletedObject::new("email_address", id)))
}

#[utoipa::path(
    post,
    path = "/email_addresses/{email_address_id}/prepare_verification",
    tag = "email_addresses",
    operation_id = "prepare_email_address_verification",
    params(EmailAddressPath),
    responses((status = 200, description = "The verification; a code is on its way.", body = VerificationObject))
)]
async fn prepare_verification(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<VerificationObject> {
    prepare(&state, KIND, &id).await
}

#[utoipa::path(
    post,
    path = "/email_addresses/{email_address_id}/attempt_verification",
    tag = "email_addresses",
    operation_id = "attempt_email_address_verification",
    params(EmailAddressPath),
    request_body = AttemptVerificationRequest,
    responses((status = 200, description = "The verification, verified.", body = VerificationObject))
)]
async fn attempt_verification(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<AttemptVerificationRequest>,
) -> ApiResult<VerificationObject> {
    attempt(&state, KIND, &id, body).await
}

#[utoipa::path(
    put,
    path = "/users/{user_id}/email_address",
    tag = "email_addresses",
    params(UserPath),
    request_body = ReplaceEmailAddressRequest,
    responses((status = 200, description = "The user's only email address, which replaced the others.", body = EmailAddress))
)]
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
        .identifications
        .replace(
            KIND,
            &user_id,
            &email_address,
            replacement_status(body.identification_status),
            body.notify_primary_email_address_changed.unwrap_or(false),
        )
        .await?;
    Ok(Json(EmailAddress::from_model(&identification)))
}
