//! Bodies of the second-factor endpoints: `verify_totp` and the removals.

use serde::{Deserialize, Serialize};

/// `POST /users/{id}/verify_totp`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct VerifyTotpRequest {
    pub code: Option<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct VerifyTotpResponse {
    pub verified: bool,
    /// `totp` or `backup_code`.
    pub code_type: &'static str,
}

/// What `DELETE /users/{id}/mfa`, `/totp` and `/backup_code` return.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct UserIdResponse {
    pub user_id: String,
}
