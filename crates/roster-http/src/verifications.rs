//! What the email-address and phone-number routes share: one-time-code verification and the
//! decoding of required fields and replacement statuses.

use axum::Json;
use roster_domain::FieldErrorKind;
use roster_domain::identifications::ReplacementStatus;
use roster_model::users::IdentificationKind;
use roster_wire::email_addresses::ReplacementStatus as WireStatus;
use roster_wire::verifications::{AttemptVerificationRequest, VerificationObject};

use crate::AppState;
use crate::error::ApiError;

pub(crate) fn required(param: &str, value: Option<String>) -> Result<String, ApiError> {
    match value {
        Some(value) if !value.is_empty() => Ok(value),
        Some(_) => Err(ApiError::field(param, FieldErrorKind::Nil)),
        None => Err(ApiError::field(param, FieldErrorKind::Missing)),
    }
}

pub(crate) fn replacement_status(status: Option<WireStatus>) -> ReplacementStatus {
    match status {
        None | Some(WireStatus::Verified) => ReplacementStatus::Verified,
        Some(WireStatus::Reserved) => ReplacementStatus::Reserved,
        Some(WireStatus::Unverified) => ReplacementStatus::Unverified,
    }
}

pub(crate) async fn prepare(
    state: &AppState,
    kind: IdentificationKind,
    id: &str,
) -> Result<Json<VerificationObject>, ApiError> {
    let verification = state.services.verifications.prepare(kind, id).await?;
    Ok(Json(VerificationObject::from_model(&verification)))
}

pub(crate) async fn attempt(
    state: &AppState,
    kind: IdentificationKind,
    id: &str,
    body: AttemptVerificationRequest,
) -> Result<Json<VerificationObject>, ApiError> {
    let verification_id = required("verification_id", body.verification_id)?;
    let code = required("code", body.code)?;
    let verification = state
        .services
        .verifications
        .attempt(kind, id, &verification_id, &code)
        .await?;
    Ok(Json(VerificationObject::from_model(&verification)))
}
