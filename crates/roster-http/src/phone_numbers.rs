//! The `/phone_numbers` routes, their one-time-code verification, and
//! `PUT /users/{user_id}/phone_number`.

use axum::Json;
use axum::extract::{Path, State};
use roster_domain::identifications::{IdentificationChanges, NewIdentification};
use roster_model::users::IdentificationKind;
use roster_wire::common::DeletedObject;
use roster_wire::phone_numbers::{
    CreatePhoneNumberRequest, ReplacePhoneNumberRequest, UpdatePhoneNumberRequest,
};
use roster_wire::users::PhoneNumber;
use roster_wire::verifications::{AttemptVerificationRequest, VerificationObject};

use crate::AppState;
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::params::{PhoneNumberPath, UserPath};
use crate::verifications::{attempt, prepare, replacement_status, required};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

const KIND: IdentificationKind = IdentificationKind::PhoneNumber;

type ApiResult<T> = Result<Json<T>, ApiError>;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_phone_number))
        .routes(routes!(
            get_phone_number,
            update_phone_number,
            delete_phone_number
        ))
        .routes(routes!(prepare_verification))
        .routes(routes!(attempt_verification))
        .routes(routes!(replace_phone_number))
}

#[utoipa::path(
    post,
    path = "/phone_numbers",
    tag = "phone_numbers",
    request_body = CreatePhoneNumberRequest,
    responses((status = 200, description = "The created phone number.", body = PhoneNumber))
)]
async fn create_phone_number(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<CreatePhoneNumberRequest>,
) -> ApiResult<PhoneNumber> {
    let user_id = required("user_id", body.user_id)?;
    let phone_number = required("phone_number", body.phone_number)?;
    let identification = state
        .services
        .identifications
        .create(
            KIND,
            NewIdentification {
                user_id,
                value: phone_number,
                verified: body.verified,
                primary: body.primary,
                reserved_for_second_factor: body.reserved_for_second_factor,
                notify_primary_email_address_changed: false,
            },
        )
        .await?;
    Ok(Json(PhoneNumber::from_model(&identification)))
}

#[utoipa::path(
    get,
    path = "/phone_numbers/{phone_number_id}",
    tag = "phone_numbers",
    params(PhoneNumberPath),
    responses((status = 200, description = "The phone number.", body = PhoneNumber))
)]
async fn get_phone_number(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<PhoneNumber> {
    let identification = state.services.identifications.get(KIND, &id).await?;
    Ok(Json(PhoneNumber::from_model(&identification)))
}

#[utoipa::path(
    patch,
    path = "/phone_numbers/{phone_number_id}",
    tag = "phone_numbers",
    params(PhoneNumberPath),
    request_body = UpdatePhoneNumberRequest,
    responses((status = 200, description = "The updated phone number.", body = PhoneNumber))
)]
async fn update_phone_number(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<UpdatePhoneNumberRequest>,
) -> ApiResult<PhoneNumber> {
    let identification = state
        .services
        .identifications
        .update(
            KIND,
            &id,
            IdentificationChanges {
                verified: body.verified,
                primary: body.primary,
                reserved_for_second_factor: body.reserved_for_second_factor,
                notify_primary_email_address_changed: false,
            },
        )
        .await?;
    Ok(Json(PhoneNumber::from_model(&identification)))
}

#[utoipa::path(
    delete,
    path = "/phone_numbers/{phone_number_id}",
    tag = "phone_numbers",
    params(PhoneNumberPath),
    responses((status = 200, description = "The phone number is deleted.", body = DeletedObject))
)]
async fn delete_phone_number(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<DeletedObject> {
    state
        .services
        .identifications
        .delete(KIND, &id, None)
        .await?;
    Ok(Json(DeletedObject::new("phone_number", id)))
}

#[utoipa::path(
    post,
    path = "/phone_numbers/{phone_number_id}/prepare_verification",
    tag = "phone_numbers",
    operation_id = "prepare_phone_number_verification",
    params(PhoneNumberPath),
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
    path = "/phone_numbers/{phone_number_id}/attempt_verification",
    tag = "phone_numbers",
    operation_id = "attempt_phone_number_verification",
    params(PhoneNumberPath),
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
    path = "/users/{user_id}/phone_number",
    tag = "phone_numbers",
    params(UserPath),
    request_body = ReplacePhoneNumberRequest,
    responses((status = 200, description = "The user's only phone number, which replaced the others.", body = PhoneNumber))
)]
async fn replace_phone_number(
    State(state): State<AppState>,
    Path(user_id): Path<String>,
    JsonBody(body): JsonBody<ReplacePhoneNumberRequest>,
) -> ApiResult<PhoneNumber> {
    let phone_number = required("phone_number", body.phone_number)?;
    let identification = state
        .services
        .identifications
        .replace(
            KIND,
            &user_id,
            &phone_number,
            replacement_status(body.identification_status),
            false,
        )
        .await?;
    Ok(Json(PhoneNumber::from_model(&identification)))
}
