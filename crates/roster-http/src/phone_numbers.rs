//! The `/phone_numbers` routes, their one-time-code verification, and
//! `PUT /users/{user_id}/phone_number`.

use axum::extract::{Path, State};
use axum::routing::{get, post, put};
use axum::{Json, Router};
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
use crate::verifications::{attempt, prepare, replacement_status, required};

const KIND: IdentificationKind = IdentificationKind::PhoneNumber;

type ApiResult<T> = Result<Json<T>, ApiError>;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/phone_numbers", post(create_phone_number))
        .route(
            "/phone_numbers/{phone_number_id}",
            get(get_phone_number)
                .patch(update_phone_number)
                .delete(delete_phone_number),
        )
        .route(
            "/phone_numbers/{phone_number_id}/prepare_verification",
            post(prepare_verification),
        )
        .route(
            "/phone_numbers/{phone_number_id}/attempt_verification",
            post(attempt_verification),
        )
        .route("/users/{user_id}/phone_number", put(replace_phone_number))
}

async fn create_phone_number(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<CreatePhoneNumberRequest>,
) -> ApiResult<PhoneNumber> {
    let user_id = required("user_id", body.user_id)?;
    let phone_number = required("phone_number", body.phone_number)?;
    let identification = state
        .services
        .users
        .create_identification(
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

async fn get_phone_number(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<PhoneNumber> {
    let identification = state.services.users.get_identification(KIND, &id).await?;
    Ok(Json(PhoneNumber::from_model(&identification)))
}

async fn update_phone_number(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<UpdatePhoneNumberRequest>,
) -> ApiResult<PhoneNumber> {
    let identification = state
        .services
        .users
        .update_identification(
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

async fn delete_phone_number(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<DeletedObject> {
    state
        .services
        .users
        .delete_identification(KIND, &id, None)
        .await?;
    Ok(Json(DeletedObject::new("phone_number", id)))
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

async fn replace_phone_number(
    State(state): State<AppState>,
    Path(user_id): Path<String>,
    JsonBody(body): JsonBody<ReplacePhoneNumberRequest>,
) -> ApiResult<PhoneNumber> {
    let phone_number = required("phone_number", body.phone_number)?;
    let identification = state
        .services
        .users
        .replace_identifications(
            KIND,
            &user_id,
            &phone_number,
            replacement_status(body.identification_status),
            false,
        )
        .await?;
    Ok(Json(PhoneNumber::from_model(&identification)))
}
