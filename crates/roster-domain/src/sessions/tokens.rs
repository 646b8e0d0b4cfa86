//! The claims of a session token, as Clerk's session tokens (version 2) carry them, and the
//! rules for its lifetime.

use roster_model::organizations::Membership;
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
    /// The features the permissions of `o` name, each `o:<feature>`, comma-separated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fea: Option<String>,
    /// The session's active organization, when it has one the user is a member of.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub o: Option<OrganizationClaims>,
}

/// Clerk's `o` claim: the organization's id and slug, the member's role without its `org:`
/// prefix, and the role's custom permissions packed as Clerk packs them: `per` lists the
/// distinct actions, and `fpm` holds for each feature of `fea` the bits (lowest first) of
/// the actions it grants. System permissions (`org:sys_…`) are left out, as on Clerk.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct OrganizationClaims {
    pub id: String,
    pub slg: String,
    pub rol: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub per: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub fpm: String,
}

impl OrganizationClaims {
    /// The claim, and the `fea` value its permissions need.
    pub(crate) fn of(membership: &Membership) -> (Self, Option<String>) {
        let mut features: Vec<&str> = Vec::new();
        let mut actions: Vec<&str> = Vec::new();
        let mut granted: Vec<(usize, usize)> = Vec::new();
        for key in &membership.role.permissions {
            let mut parts = key.split(':');
            let (Some("org"), Some(feature), Some(action), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            if feature.starts_with("sys_") {
                continue;
            }
            let f = position_or_push(&mut features, feature);
            let a = position_or_push(&mut actions, action);
            granted.push((f, a));
        }
        // A feature's bits as a decimal; a role has far fewer than 128 actions.
        let masks: Vec<String> = (0..features.len())
            .map(|f| {
                granted
                    .iter()
                    .filter(|(gf, a)| *gf == f && *a < 128)
                    .fold(0u128, |mask, (_, a)| mask | (1u128 << a))
                    .to_string()
            })
            .collect();
        let role = &membership.role.key;
        let claims = OrganizationClaims {
            id: membership.organization.id.clone(),
            slg: membership.organization.slug.clone(),
            rol: role.strip_prefix("org:").unwrap_or(role).to_owned(),
            per: actions.join(","),
            fpm: masks.join(","),
        };
        let fea = (!features.is_empty()).then(|| {
            features
                .iter()
                .map(|feature| format!("o:{feature}"))
                .collect::<Vec<_>>()
                .join(",")
        });
        (claims, fea)
    }
}

fn position_or_push<'a>(list: &mut Vec<&'a str>, value: &'a str) -> usize {
    match list.iter().position(|v| *v == value) {
        Some(index) => index,
        None => {
            list.push(value);
            list.len() - 1
        }
    }
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
            fea: None,
            o: None,
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
