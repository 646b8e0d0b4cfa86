//! The `/sessions` routes and `/jwks`: decode, call one use case, encode.

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use roster_domain::FieldErrorKind;
use roster_model::sessions::{SessionFilter, SessionStatus};
use roster_wire::sessions::{
    CreateSessionRequest, CreateSessionTokenRequest, Jwk, Jwks, Session, SessionPage, Token,
};

use crate::AppState;
use crate::body::JsonBody;
use crate::error::ApiError;

type ApiResult<T> = Result<Json<T>, ApiError>;

const DEFAULT_LIMIT: i64 = 10;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/sessions", get(get_session_list).post(create_session))
        .route("/sessions/{session_id}", get(get_session))
        .route("/sessions/{session_id}/revoke", post(revoke_session))
        .route("/sessions/{session_id}/tokens", post(create_session_token))
        .route("/jwks", get(get_jwks))
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

async fn get_session_list(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let (filter, paginated) = list_query(query)?;
    let page = state.services.sessions.list(filter).await?;
    let data: Vec<Session> = page.sessions.iter().map(Session::from_model).collect();
    Ok(if paginated {
        Json(SessionPage {
            data,
            total_count: page.total_count,
        })
        .into_response()
    } else {
        Json(data).into_response()
    })
}

async fn get_session(
    State(state): State<AppState>,
    Path(session_id): Path<String>,
) -> ApiResult<Session> {
    let session = state.services.sessions.get(&session_id).await?;
    Ok(Json(Session::from_model(&session)))
}

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

async fn revoke_session(
    State(state): State<AppState>,
    Path(session_id): Path<String>,
) -> ApiResult<Session> {
    let session = state.services.sessions.revoke(&session_id).await?;
    Ok(Json(Session::from_model(&session)))
}

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
