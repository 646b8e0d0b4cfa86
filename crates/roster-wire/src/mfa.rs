//! Bodies of the second-factor endpoints: `verify_totp` and the removals.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /users/{id}/verify_totp`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, ToSchema)]
pub struct VerifyTotpRequest {
    pub code: Option<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq, ToSchema)]
pub struct VerifyTotpResponse {
    pub verified: bool,
    /// `totp` or `backup_code`.
    #[schema(schema_with = crate::schema::code_type)]
    pub code_type: &'static str,
}

/// What `DELETE /users/{id}/mfa`, `/totp` and `/backup_code` return.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, ToSchema)]
pub struct UserIdResponse {
    pub user_id: String,
}
