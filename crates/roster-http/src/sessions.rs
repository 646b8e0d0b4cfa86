//! The `/sessions` routes and `/jwks`: decode, call one use case, encode.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use roster_domain::FieldErrorKind;
use roster_model::sessions::{SessionFilter, SessionStatus};
use roster_wire::sessions::{
    CreateSessionRequest, CreateSessionTokenRequest, Jwk, Jwks, Session, SessionList, SessionPage,
    Token,
};

use crate::AppState;
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::params::SessionPath;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type ApiResult<T> = Result<Json<T>, ApiError>;

const DEFAULT_LIMIT: i64 = 10;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_session_list, create_session))
        .routes(routes!(get_session))
        .routes(routes!(revoke_session))
        .routes(routes!(create_session_token))
        .routes(routes!(get_jwks))
}

/// The query of `GET /sessions`, as the OpenAPI document describes it; `list_query` reads it.
#[allow(dead_code)]
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
struct SessionListQuery {
    /// Sessions of this user.
    #[param(required = false)]
    user_id: String,
    /// Sessions of this client.
    #[param(required = false)]
    client_id: String,
    /// Sessions in this status.
    #[param(required = false, schema_with = session_status)]
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

fn session_status() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some(SessionStatus::ALL.map(SessionStatus::as_str)))
        .build()
}

fn invalid(param: &str, expected: &str) -> ApiError {
    ApiError::field(
        param,
        FieldErrorKind::ValueInvalid {
            reason: format!("must be {expected}"),
        },
    )
}

/// The listing's query: filters, paging, and whether to answer `{data, total_count}`.
fn list_query(query: Option<String>) -> Result<(SessionFilter, bool), ApiError> {
    let mut filter = SessionFilter {
        limit: DEFAULT_LIMIT,
        ..SessionFilter::default()
    };
    let mut paginated = false;
    let query = query.unwrap_or_default();
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "user_id" => filter.user_id = Some(value.into_owned()),
            "client_id" => filter.client_id = Some(value.into_owned()),
            "status" => {
                filter.status = Some(SessionStatus::parse(&value).ok_or_else(|| {
                    invalid(
                        "status",
                        "one of abandoned, active, ended, expired, pending, removed, replaced, revoked",
                    )
                })?);
            }
            "limit" => {
                filter.limit = value.parse().map_err(|_| invalid("limit", "an integer"))?;
            }
            "offset" => {
                filter.offset = value.parse().map_err(|_| invalid("offset", "an integer"))?;
            }
            "paginated" => {
                paginated = value
                    .parse()
                    .map_err(|_| invalid("paginated", "a boolean"))?;
            }
            _ => {}
        }
    }
    Ok((filter, paginated))
}

#[utoipa::path(
    get,
    path = "/sessions",
    tag = "sessions",
    params(SessionListQuery),
    responses((status = 200, description = "The sessions that match.", body = SessionList))
)]
async fn get_session_list(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> ApiResult<SessionList> {
    let (filter, paginated) = list_query(query)?;
    let page = state.services.sessions.list(filter).await?;
    let data: Vec<Session> = page.sessions.iter().map(Session::from_model).collect();
    Ok(Json(if paginated {
        SessionList::Paginated(SessionPage {
            data,
            total_count: page.total_count,
        })
    } else {
        SessionList::Plain(data)
    }))
}

#[utoipa::path(
    get,
    path = "/sessions/{session_id}",
    tag = "sessions",
    params(SessionPath),
    responses((status = 200, description = "The session.", body = Session))
)]
async fn get_session(
    State(state): State<AppState>,
    Path(session_id): Path<String>,
) -> ApiResult<Session> {
    let session = state.services.sessions.get(&session_id).await?;
    Ok(Json(Session::from_model(&session)))
}

#[utoipa::path(
    post,
    path = "/sessions",
    tag = "sessions",
    request_body = CreateSessionRequest,
    responses((status = 200, description = "The created session.", body = Session))
)]
async fn create_session(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<CreateSessionRequest>,
) -> ApiResult<Session> {
    if body.active_organization_id.is_some() {
        return Err(ApiError::field(
            "active_organization_id",
            FieldErrorKind::NotSupported,
        ));
    }
    let session = state
        .services
        .sessions
        .create(body.user_id.as_deref())
        .await?;
    Ok(Json(Session::from_model(&session)))
}

#[utoipa::path(
    post,
    path = "/sessions/{session_id}/revoke",
    tag = "sessions",
    params(SessionPath),
    responses((status = 200, description = "The revoked session.", body = Session))
)]
async fn revoke_session(
    State(state): State<AppState>,
    Path(session_id): Path<String>,
) -> ApiResult<Session> {
    let session = state.services.sessions.revoke(&session_id).await?;
    Ok(Json(Session::from_model(&session)))
}

#[utoipa::path(
    post,
    path = "/sessions/{session_id}/tokens",
    tag = "sessions",
    params(SessionPath),
    request_body = CreateSessionTokenRequest,
    responses((status = 200, description = "A session token for the session.", body = Token))
)]
async fn create_session_token(
    State(state): State<AppState>,
    Path(session_id): Path<String>,
    JsonBody(body): JsonBody<CreateSessionTokenRequest>,
) -> ApiResult<Token> {
    let jwt = state
        .services
        .sessions
        .create_token(&session_id, body.expires_in_seconds)
        .await?;
    Ok(Json(Token::new(jwt)))
}

#[utoipa::path(
    get,
    path = "/jwks",
    tag = "sessions",
    responses((status = 200, description = "The public keys that verify session tokens.", body = Jwks))
)]
async fn get_jwks(State(state): State<AppState>) -> Json<Jwks> {
    let keys = state
        .services
        .sessions
        .signing_keys()
        .public_keys()
        .into_iter()
        .map(|key| Jwk::rs256(key.kid, key.n, key.e))
        .collect();
    Json(Jwks { keys })
}
