//! The `/sessions` routes and `/jwks`: decode, call one use case, encode.

use axum::Json;
use axum::extract::{Path, State};
use roster_domain::FieldErrorKind;
use roster_domain::sessions::unknown_session_user;
use roster_model::ids::{SessionId, UserId};
use roster_wire::sessions::{
    CreateSessionRequest, CreateSessionTokenRequest, Jwk, Jwks, Session, SessionList,
    SessionListParams, SessionListQuery, SessionPage, Token,
};

use crate::AppState;
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::list_query::ListParams;
use crate::params::SessionPath;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type ApiResult<T> = Result<Json<T>, ApiError>;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_session_list, create_session))
        .routes(routes!(get_session))
        .routes(routes!(revoke_session))
        .routes(routes!(create_session_token))
        .routes(routes!(get_jwks))
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
    ListParams(params): ListParams<SessionListParams>,
) -> ApiResult<SessionList> {
    let page = state.services.sessions.list(params.filter).await?;
    let data: Vec<Session> = page.sessions.iter().map(Session::from_model).collect();
    Ok(Json(if params.paginated {
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
    let session_id = SessionId::requested(session_id);
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
    let user_id = match body.user_id {
        None => return Err(ApiError::field("user_id", FieldErrorKind::Missing)),
        Some(id) if id.is_empty() => return Err(ApiError::field("user_id", FieldErrorKind::Nil)),
        Some(id) => UserId::try_from(id).map_err(|_| ApiError::from(unknown_session_user()))?,
    };
    let session = state
        .services
        .sessions
        .create(&user_id, body.active_organization_id.as_deref())
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
    let session_id = SessionId::requested(session_id);
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
    let session_id = SessionId::requested(session_id);
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
