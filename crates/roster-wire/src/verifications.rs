//! `prepare_verification` and `attempt_verification` of email addresses and phone numbers.

use roster_model::messages::CodeVerification;
use roster_model::users::VerificationStrategy;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST …/attempt_verification`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq, ToSchema)]
pub struct AttemptVerificationRequest {
    pub verification_id: Option<String>,
    pub code: Option<String>,
}

/// The verification both endpoints return; `channel` only for phone numbers.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, ToSchema)]
pub struct VerificationObject {
    #[schema(schema_with = crate::schema::verification_otp)]
    pub object: &'static str,
    pub id: String,
    pub status: &'static str,
    pub strategy: &'static str,
    #[schema(required = true)]
    pub attempts: Option<i64>,
    #[schema(required = true)]
    pub expire_at: Option<i64>,
    #[schema(required = true, schema_with = crate::schema::sms_or_null)]
    pub channel: Option<&'static str>,
}

impl VerificationObject {
    pub fn from_model(verification: &CodeVerification) -> Self {
        VerificationObject {
            object: "verification_otp",
            id: verification.id.clone(),
            status: verification.status.as_str(),
            strategy: verification.strategy.as_str(),
            attempts: Some(verification.attempts),
            expire_at: Some(verification.expire_at),
            channel: (verification.strategy == VerificationStrategy::PhoneCode).then_some("sms"),
        }
    }
}
