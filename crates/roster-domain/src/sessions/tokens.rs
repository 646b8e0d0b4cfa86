//! The claims of a session token, as Clerk's session tokens (version 2) carry them, and the
//! rules for its lifetime.

use roster_model::sessions::Session;
use roster_model::time::Millis;
use serde::Serialize;

use crate::error::{DomainError, DomainResult, FieldErrorKind};

pub const MIN_TOKEN_SECONDS: i64 = 30;
pub const MAX_TOKEN_SECONDS: i64 = 315_360_000;
const DEFAULT_TOKEN_SECONDS: i64 = 60;
/// `nbf` lies this far before `iat`, allowing for clock skew between servers (as Clerk's do).
const NOT_BEFORE_SKEW_SECONDS: i64 = 10;

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SessionClaims {
    pub sub: String,
    pub sid: String,
    pub iss: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    /// Minutes since the first and second factor were verified (-1: none); Roster does not
    /// track factor age, so the session's start counts as the first factor's.
    pub fva: [i64; 2],
    /// Token format version.
    pub v: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub azp: Option<String>,
}

impl SessionClaims {
    pub(crate) fn new(session: &Session, issuer: &str, now: Millis, lifetime: i64) -> Self {
        let iat = now / 1000;
        SessionClaims {
            sub: session.user_id.clone(),
            sid: session.id.clone(),
            iss: issuer.to_owned(),
            iat,
            nbf: iat - NOT_BEFORE_SKEW_SECONDS,
            exp: iat + lifetime,
            fva: [(now - session.created_at) / 60_000, -1],
            v: 2,
            azp: None,
        }
    }
}

/// The token lifetime in seconds; `expires_in_seconds` must lie in Clerk's range.
pub(crate) fn lifetime(expires_in_seconds: Option<i64>) -> DomainResult<i64> {
    match expires_in_seconds {
        None => Ok(DEFAULT_TOKEN_SECONDS),
        Some(seconds) if (MIN_TOKEN_SECONDS..=MAX_TOKEN_SECONDS).contains(&seconds) => Ok(seconds),
        Some(_) => Err(DomainError::field(
            "expires_in_seconds",
            FieldErrorKind::ValueInvalid {
                reason: format!("must be between {MIN_TOKEN_SECONDS} and {MAX_TOKEN_SECONDS}"),
            },
        )),
    }
}
