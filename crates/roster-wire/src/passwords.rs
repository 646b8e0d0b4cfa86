//! Bodies of the password endpoints under `/users/{id}`.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use roster_model::Patch;

/// `POST /users/{id}/verify_password`.
#[derive(Clone, Default, Deserialize, PartialEq, Eq, ToSchema)]
pub struct VerifyPasswordRequest {
    pub password: Option<String>,
}

impl fmt::Debug for VerifyPasswordRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyPasswordRequest")
            .finish_non_exhaustive()
    }
}

/// The answer of `verify_password`: a wrong password is an error, so this is always `true`.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, ToSchema)]
pub struct VerifyPasswordResponse {
    pub verified: bool,
}

/// `POST /users/{id}/remove_password`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq, ToSchema)]
pub struct RemovePasswordRequest {
    pub sign_out_of_other_sessions: Option<bool>,
}

/// `POST /users/{id}/password/set_compromised`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq, ToSchema)]
pub struct SetPasswordCompromisedRequest {
    #[serde(default)]
    #[schema(value_type = Option<bool>)]
    pub revoke_all_sessions: Patch<bool>,
}
