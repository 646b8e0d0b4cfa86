//! One edge for every kind of identification: the routes of email addresses and of phone
//! numbers (`/email_addresses`, `/phone_numbers`, their one-time-code verification, and
//! `PUT /users/{user_id}/email_address|phone_number`), and the web3 wallet delete under
//! `/users/{user_id}`. The handlers are written once, in `identification_routes!`; each kind
//! is a short description (its names, paths and bodies), and every use case is called from
//! one function here.

use axum::Json;
use axum::extract::{Path, State};
use roster_domain::FieldErrorKind;
use roster_domain::identifications::{IdentificationChanges, NewIdentification, ReplacementStatus};
use roster_model::ids::IdentificationId;
use roster_model::users::{Identification, IdentificationKind};
use roster_wire::common::DeletedObject;
use roster_wire::email_addresses::{
    CreateEmailAddressRequest, ReplaceEmailAddressRequest, ReplacementStatus as WireStatus,
    UpdateEmailAddressRequest,
};
use roster_wire::phone_numbers::{
    CreatePhoneNumberRequest, ReplacePhoneNumberRequest, UpdatePhoneNumberRequest,
};
use roster_wire::users::{EmailAddress, PhoneNumber};
use roster_wire::verifications::{AttemptVerificationRequest, VerificationObject};

use crate::AppState;
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::params::{EmailAddressPath, PhoneNumberPath, UserPath, Web3WalletPath};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type ApiResult<T> = Result<Json<T>, ApiError>;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    email_addresses::routes()
        .merge(phone_numbers::routes())
        .routes(routes!(delete_web3_wallet))
}

/// The routes of a kind managed one at a time. `$name` is the kind's object name, which also
/// names its operations (`create_email_address`); `$plural` is its path and tag; `$noun` is how
/// the descriptions say it. Each body is read by the expression given for it, naming the body
/// `$body`. The handlers carry no doc comments: utoipa would make them operation summaries.
macro_rules! identification_routes {
    (
        $module:ident {
            kind: $kind:ident,
            name: $name:literal,
            plural: $plural:literal,
            noun: $noun:literal,
            object: $object:ident,
            id: $id:ident,
            create($create_body:ident: $create:ident) => $create_read:expr,
            update($update_body:ident: $update:ident) => $update_read:expr,
            replace($replace_body:ident: $replace:ident) => $replace_read:expr $(,)?
        }
    ) => {
        mod $module {
            use super::*;

            const KIND: IdentificationKind = IdentificationKind::$kind;

            pub(super) fn routes() -> OpenApiRouter<AppState> {
                OpenApiRouter::new()
                    .routes(routes!(create_one))
                    .routes(routes!(get_one, update_one, delete_one))
                    .routes(routes!(prepare_verification))
                    .routes(routes!(attempt_verification))
                    .routes(routes!(replace_all))
            }

            #[utoipa::path(
                post,
                path = concat!("/", $plural),
                tag = $plural,
                operation_id = concat!("create_", $name),
                request_body = $create,
                responses((status = 200, description = concat!("The created ", $noun, "."), body = $object))
            )]
            async fn create_one(
                State(state): State<AppState>,
                JsonBody($create_body): JsonBody<$create>,
            ) -> ApiResult<$object> {
                let (user_id, value, changes) = $create_read;
                let created = create(&state, KIND, user_id, value, changes).await?;
                Ok(Json($object::from_model(&created)))
            }

            #[utoipa::path(
                get,
                path = concat!("/", $plural, "/{", $name, "_id}"),
                tag = $plural,
                operation_id = concat!("get_", $name),
                params($id),
                responses((status = 200, description = concat!("The ", $noun, "."), body = $object))
            )]
            async fn get_one(
                State(state): State<AppState>,
                Path(id): Path<String>,
            ) -> ApiResult<$object> {
                Ok(Json($object::from_model(&get(&state, KIND, &id).await?)))
            }

            #[utoipa::path(
                patch,
                path = concat!("/", $plural, "/{", $name, "_id}"),
                tag = $plural,
                operation_id = concat!("update_", $name),
                params($id),
                request_body = $update,
                responses((status = 200, description = concat!("The updated ", $noun, "."), body = $object))
            )]
            async fn update_one(
                State(state): State<AppState>,
                Path(id): Path<String>,
                JsonBody($update_body): JsonBody<$update>,
            ) -> ApiResult<$object> {
                let updated = update(&state, KIND, &id, $update_read).await?;
                Ok(Json($object::from_model(&updated)))
            }

            #[utoipa::path(
                delete,
                path = concat!("/", $plural, "/{", $name, "_id}"),
                tag = $plural,
                operation_id = concat!("delete_", $name),
                params($id),
                responses((status = 200, description = concat!("The ", $noun, " is deleted."), body = DeletedObject))
            )]
            async fn delete_one(
                State(state): State<AppState>,
                Path(id): Path<String>,
            ) -> ApiResult<DeletedObject> {
                delete(&state, KIND, id, None).await
            }

            #[utoipa::path(
                post,
                path = concat!("/", $plural, "/{", $name, "_id}/prepare_verification"),
                tag = $plural,
                operation_id = concat!("prepare_", $name, "_verification"),
                params($id),
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
                path = concat!("/", $plural, "/{", $name, "_id}/attempt_verification"),
                tag = $plural,
                operation_id = concat!("attempt_", $name, "_verification"),
                params($id),
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
                path = concat!("/users/{user_id}/", $name),
                tag = $plural,
                operation_id = concat!("replace_", $name),
                params(UserPath),
                request_body = $replace,
                responses((status = 200, description = concat!("The user's only ", $noun, ", which replaced the others."), body = $object))
            )]
            async fn replace_all(
                State(state): State<AppState>,
                Path(user_id): Path<String>,
                JsonBody($replace_body): JsonBody<$replace>,
            ) -> ApiResult<$object> {
                let (value, status, notify) = $replace_read;
                let replacement = replace(&state, KIND, &user_id, value, status, notify).await?;
                Ok(Json($object::from_model(&replacement)))
            }
        }
    };
}

identification_routes! {
    email_addresses {
        kind: EmailAddress,
        name: "email_address",
        plural: "email_addresses",
        noun: "email address",
        object: EmailAddress,
        id: EmailAddressPath,
        create(body: CreateEmailAddressRequest) => (
            body.user_id,
            body.email_address,
            changes(body.verified, body.primary, None, body.notify_primary_email_address_changed),
        ),
        update(body: UpdateEmailAddressRequest) =>
            changes(body.verified, body.primary, None, body.notify_primary_email_address_changed),
        replace(body: ReplaceEmailAddressRequest) => (
            body.email_address,
            body.identification_status,
            body.notify_primary_email_address_changed,
        ),
    }
}

// Phone numbers may be second factors, and no message tells of a changed primary number.
identification_routes! {
    phone_numbers {
        kind: PhoneNumber,
        name: "phone_number",
        plural: "phone_numbers",
        noun: "phone number",
        object: PhoneNumber,
        id: PhoneNumberPath,
        create(body: CreatePhoneNumberRequest) => (
            body.user_id,
            body.phone_number,
            changes(body.verified, body.primary, body.reserved_for_second_factor, None),
        ),
        update(body: UpdatePhoneNumberRequest) =>
            changes(body.verified, body.primary, body.reserved_for_second_factor, None),
        replace(body: ReplacePhoneNumberRequest) => (
            body.phone_number,
            body.identification_status,
            None,
        ),
    }
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
) -> ApiResult<DeletedObject> {
    delete(&state, IdentificationKind::Web3Wallet, id, Some(&user_id)).await
}

/// What a create or update body sets besides the identifier; a kind without a flag passes
/// `None` for it.
fn changes(
    verified: Option<bool>,
    primary: Option<bool>,
    reserved_for_second_factor: Option<bool>,
    notify_primary_email_address_changed: Option<bool>,
) -> IdentificationChanges {
    IdentificationChanges {
        verified,
        primary,
        reserved_for_second_factor,
        notify_primary_email_address_changed: notify_primary_email_address_changed.unwrap_or(false),
    }
}

/// A required text parameter: absent is `form_param_missing`, empty is `form_param_nil`.
fn required(param: &str, value: Option<String>) -> Result<String, ApiError> {
    match value {
        Some(value) if !value.is_empty() => Ok(value),
        Some(_) => Err(ApiError::field(param, FieldErrorKind::Nil)),
        None => Err(ApiError::field(param, FieldErrorKind::Missing)),
    }
}

async fn create(
    state: &AppState,
    kind: IdentificationKind,
    user_id: Option<String>,
    value: Option<String>,
    changes: IdentificationChanges,
) -> Result<Identification, ApiError> {
    let input = NewIdentification {
        user_id: required("user_id", user_id)?,
        value: required(kind.as_str(), value)?,
        verified: changes.verified,
        primary: changes.primary,
        reserved_for_second_factor: changes.reserved_for_second_factor,
        notify_primary_email_address_changed: changes.notify_primary_email_address_changed,
    };
    Ok(state.services.identifications.create(kind, input).await?)
}

async fn get(
    state: &AppState,
    kind: IdentificationKind,
    id: &str,
) -> Result<Identification, ApiError> {
    let id = IdentificationId::requested(id.to_owned());
    Ok(state.services.identifications.get(kind, &id).await?)
}

async fn update(
    state: &AppState,
    kind: IdentificationKind,
    id: &str,
    changes: IdentificationChanges,
) -> Result<Identification, ApiError> {
    let id = IdentificationId::requested(id.to_owned());
    Ok(state
        .services
        .identifications
        .update(kind, &id, changes)
        .await?)
}

/// Deletes an identification; under `/users/{user_id}/…` it must be that user's.
async fn delete(
    state: &AppState,
    kind: IdentificationKind,
    id: String,
    user_id: Option<&str>,
) -> ApiResult<DeletedObject> {
    state
        .services
        .identifications
        .delete(kind, &id, user_id)
        .await?;
    Ok(Json(DeletedObject::new(kind.as_str(), id)))
}

/// `PUT /users/{user_id}/<kind>`: the value becomes the user's only identification of the kind.
async fn replace(
    state: &AppState,
    kind: IdentificationKind,
    user_id: &str,
    value: Option<String>,
    status: Option<WireStatus>,
    notify_primary_email_address_changed: Option<bool>,
) -> Result<Identification, ApiError> {
    let value = required(kind.as_str(), value)?;
    let status = match status {
        None | Some(WireStatus::Verified) => ReplacementStatus::Verified,
        Some(WireStatus::Reserved) => ReplacementStatus::Reserved,
        Some(WireStatus::Unverified) => ReplacementStatus::Unverified,
    };
    Ok(state
        .services
        .identifications
        .replace(
            kind,
            user_id,
            &value,
            status,
            notify_primary_email_address_changed.unwrap_or(false),
        )
        .await?)
}

async fn prepare(
    state: &AppState,
    kind: IdentificationKind,
    id: &str,
) -> ApiResult<VerificationObject> {
    let id = IdentificationId::requested(id.to_owned());
    let verification = state.services.verifications.prepare(kind, &id).await?;
    Ok(Json(VerificationObject::from_model(&verification)))
}

async fn attempt(
    state: &AppState,
    kind: IdentificationKind,
    id: &str,
    body: AttemptVerificationRequest,
) -> ApiResult<VerificationObject> {
    let verification_id = required("verification_id", body.verification_id)?;
    let code = required("code", body.code)?;
    let id = IdentificationId::requested(id.to_owned());
    let verification = state
        .services
        .verifications
        .attempt(kind, &id, &verification_id, &code)
        .await?;
    Ok(Json(VerificationObject::from_model(&verification)))
}
