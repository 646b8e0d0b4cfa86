//! The Session object, the session endpoints' bodies and listing query, the `token` response
//! and the JWKS.

use roster_model::sessions::{Session as ModelSession, SessionFilter, SessionStatus};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::list_query::{FromPairs, ListQuery, QueryError, first, first_parsed, parse_bool};

/// Clerk's Session (spec §3.11). Optional keys are always present, `null` when unknown.
#[derive(Clone, Debug, Serialize, PartialEq, ToSchema)]
pub struct Session {
    #[schema(schema_with = crate::schema::session)]
    pub object: &'static str,
    pub id: String,
    pub user_id: String,
    pub client_id: String,
    #[schema(required = true, value_type = Option<Object>)]
    pub actor: Option<serde_json::Value>,
    #[schema(schema_with = crate::schema::session_status)]
    pub status: &'static str,
    #[schema(required = true)]
    pub last_active_organization_id: Option<String>,
    pub last_active_at: i64,
    #[schema(required = true, value_type = Option<Object>)]
    pub latest_activity: Option<serde_json::Value>,
    pub expire_at: i64,
    pub abandon_at: i64,
    pub updated_at: i64,
    pub created_at: i64,
    #[schema(required = true, value_type = Option<Vec<Object>>)]
    pub tasks: Option<Vec<serde_json::Value>>,
}

impl Session {
    pub fn from_model(session: &ModelSession) -> Self {
        Session {
            object: "session",
            id: session.id.clone(),
            user_id: session.user_id.clone(),
            client_id: session.client_id.clone(),
            actor: None,
            status: session.status.as_str(),
            last_active_organization_id: session.last_active_organization_id.clone(),
            last_active_at: session.last_active_at,
            latest_activity: None,
            expire_at: session.expire_at,
            abandon_at: session.abandon_at,
            updated_at: session.updated_at,
            created_at: session.created_at,
            tasks: None,
        }
    }
}

/// What `GET /sessions` answers: a plain array, or with `paginated=true` a page.
#[derive(Clone, Debug, Serialize, PartialEq, ToSchema)]
#[serde(untagged)]
pub enum SessionList {
    Plain(Vec<Session>),
    Paginated(SessionPage),
}

/// `GET /sessions?paginated=true`.
#[derive(Clone, Debug, Serialize, PartialEq, ToSchema)]
pub struct SessionPage {
    pub data: Vec<Session>,
    pub total_count: i64,
}

/// How many sessions a page holds when the query does not say.
pub const DEFAULT_SESSION_LIMIT: i64 = 10;

/// The query of `GET /sessions`, as the OpenAPI document describes it. Nothing builds it:
/// `SessionListParams::from_pairs` reads the query, and a test holds the two to the same names.
#[allow(dead_code)]
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SessionListQuery {
    /// Sessions of this user.
    #[param(required = false)]
    user_id: String,
    /// Sessions of this client.
    #[param(required = false)]
    client_id: String,
    /// Sessions in this status.
    #[param(required = false, schema_with = crate::schema::session_status)]
    status: String,
    /// How many sessions to return (10 by default).
    #[param(required = false)]
    limit: i64,
    /// How many matching sessions to skip.
    #[param(required = false)]
    offset: i64,
    /// Answer `{data, total_count}` rather than a plain array.
    #[param(required = false)]
    paginated: bool,
}

/// The parsed query of `GET /sessions`: the filter with its page, and whether to answer
/// `{data, total_count}`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SessionListParams {
    pub filter: SessionFilter,
    pub paginated: bool,
}

impl FromPairs for SessionListParams {
    fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, QueryError> {
        let mut filter = SessionFilter::default();
        let mut paginated = None;
        let page = ListQuery::read(pairs, |key, value| {
            match key {
                "user_id" => first(&mut filter.user_id, value),
                "client_id" => first(&mut filter.client_id, value),
                "status" => first_parsed(&mut filter.status, key, &value, parse_status)?,
                "paginated" => first_parsed(&mut paginated, key, &value, |value| {
                    parse_bool(value).map_err(|_| "a boolean")
                })?,
                _ => {}
            }
            Ok(())
        })?;
        filter.limit = page.limit.unwrap_or(DEFAULT_SESSION_LIMIT);
        filter.offset = page.offset.unwrap_or(0);
        Ok(SessionListParams {
            filter,
            paginated: paginated.unwrap_or(false),
        })
    }
}

fn parse_status(value: &str) -> Result<SessionStatus, &'static str> {
    SessionStatus::parse(value)
        .ok_or("one of abandoned, active, ended, expired, pending, removed, replaced, revoked")
}

/// `POST /sessions` (testing instances).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, ToSchema)]
pub struct CreateSessionRequest {
    pub user_id: Option<String>,
    pub active_organization_id: Option<String>,
}

/// `POST /sessions/{id}/tokens`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, ToSchema)]
pub struct CreateSessionTokenRequest {
    pub expires_in_seconds: Option<i64>,
}

/// `{"object":"token","jwt":"…"}`.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, ToSchema)]
pub struct Token {
    #[schema(schema_with = crate::schema::token)]
    pub object: &'static str,
    pub jwt: String,
}

impl Token {
    pub fn new(jwt: String) -> Self {
        Token {
            object: "token",
            jwt,
        }
    }
}

/// `GET /jwks`.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, ToSchema)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// One RSA public key of a JWKS.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, ToSchema)]
pub struct Jwk {
    pub kid: String,
    #[schema(schema_with = crate::schema::rs256)]
    pub alg: &'static str,
    #[serde(rename = "use")]
    #[schema(schema_with = crate::schema::signature_use)]
    pub use_: &'static str,
    #[schema(schema_with = crate::schema::rsa)]
    pub kty: &'static str,
    pub n: String,
    pub e: String,
}

impl Jwk {
    pub fn rs256(kid: String, n: String, e: String) -> Self {
        Jwk {
            kid,
            alg: "RS256",
            use_: "sig",
            kty: "RSA",
            n,
            e,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &[(&str, &str)]) -> Result<SessionListParams, QueryError> {
        SessionListParams::from_pairs(
            query
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    /// A parameter the document names but the parser ignored would be a silent no-op.
    #[test]
    fn every_documented_parameter_is_read() {
        let unread = parse(&[]).expect("parse");
        assert_eq!(unread.filter.limit, DEFAULT_SESSION_LIMIT);
        for parameter in SessionListQuery::into_params(|| None) {
            let name = parameter.name;
            let value = match name.as_str() {
                "status" => "revoked",
                "paginated" => "true",
                _ => "2",
            };
            let parsed = parse(&[(name.as_str(), value)]).expect("parse");
            assert_ne!(parsed, unread, "{name} is not read");
        }
    }

    #[test]
    fn typed_values_are_checked() {
        for (param, expected) in [
            (
                "status",
                "one of abandoned, active, ended, expired, pending, removed, replaced, revoked",
            ),
            ("limit", "an integer"),
            ("offset", "an integer"),
            ("paginated", "a boolean"),
        ] {
            let error = parse(&[(param, "sleepy")]).unwrap_err();
            assert_eq!((error.param.as_str(), error.expected), (param, expected));
        }
    }
}
