//! The Session object, the session endpoints' bodies, the `token` response and the JWKS.

use roster_model::sessions::Session as ModelSession;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
