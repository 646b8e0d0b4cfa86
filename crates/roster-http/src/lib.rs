//! Roster's HTTP edge: the Clerk-compatible `/v1` routes, secret-key authentication, API
//! versions, request decoding, and the one mapping from domain errors to Clerk's envelope.
//!
//! **Invariant:** this is the only crate that knows HTTP. Handlers decode a request into a
//! domain input, call one use case, and encode the result; no rule lives here.

mod auth;
mod avatars;
mod body;
mod error;
mod events;
pub mod exports;
mod identifications;
mod images;
pub mod imports;
mod limits;
mod list_query;
mod mfa;
mod not_stored;
mod nul;
mod openapi;
mod organization_errors;
mod organization_invitations;
mod organization_roles;
mod organizations;
mod params;
mod passwords;
mod serve;
mod sessions;
mod users;
mod version;
mod webhooks;

pub use error::ApiError;
pub use events::event_payloads;
pub use limits::{EdgeLimits, RateLimitSettings};
pub use serve::{ConnectionLimits, serve};

use axum::response::IntoResponse;
use axum::{Extension, Router};
use roster_domain::Services;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// What every handler shares. Every request clones it (axum's `State`), so it holds its parts
/// behind `Arc`s: a clone is two counter increments, not a copy of every service.
#[derive(Clone)]
pub struct AppState {
    pub services: std::sync::Arc<Services>,
    /// The externally visible base URL of this server, for links such as avatar URLs.
    pub public_url: std::sync::Arc<str>,
    /// Rate limits and request-body limits.
    pub limits: std::sync::Arc<EdgeLimits>,
}

/// Largest request body accepted; larger ones get 413 `request_body_too_large`, at once when
/// their `Content-Length` says so.
pub const MAX_BODY_BYTES: usize = 512 * 1024;

pub fn router(state: AppState) -> Router {
    let (router, document) = routes(&state).split_for_parts();
    let document = serde_json::to_string(&openapi::complete(document))
        .expect("the OpenAPI document serializes");
    router
        .layer(Extension(openapi::DocumentJson(document.into())))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(finish_writes))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::limit_body,
        ))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Every route Roster serves, each registered with its `#[utoipa::path]` through `routes!`, so
/// that the router and the OpenAPI document cannot disagree.
fn routes(state: &AppState) -> OpenApiRouter<AppState> {
    let v1 = users::routes()
        .merge(mfa::routes())
        .merge(sessions::routes())
        .merge(webhooks::routes())
        .merge(passwords::routes())
        .merge(identifications::routes())
        .merge(images::routes())
        .merge(not_stored::routes())
        .merge(organizations::routes())
        .merge(organization_invitations::routes())
        .merge(organization_roles::routes())
        .merge(exports::routes())
        .merge(imports::routes())
        .fallback(error::route_not_found)
        .route_layer(axum::middleware::from_fn(nul::refuse_in_uri))
        .route_layer(axum::middleware::from_fn(version::check))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_secret_key,
        ));
    // Served images are looked up by their path id, which the store cannot bind with a NUL.
    let images = OpenApiRouter::new()
        .routes(routes!(images::serve_image))
        .route_layer(axum::middleware::from_fn(nul::refuse_in_uri));
    OpenApiRouter::with_openapi(<openapi::Document as utoipa::OpenApi>::openapi())
        .routes(routes!(health))
        .routes(routes!(openapi::serve))
        .routes(routes!(avatars::default_avatar))
        .merge(images)
        .nest("/v1", v1)
        .fallback(error::route_not_found)
}

/// Runs every request that may write on a task of its own, so it finishes even when its client
/// hangs up. Otherwise the server drops a request's future when the connection goes, at any
/// await: in the middle of a write transaction too. The store rolls such a write back, but one
/// dropped while its first statement is under way leaves it unknown whether the statement ran,
/// and the store must then give up every write committing with it. A write that has begun is
/// finished and committed instead, as if the client had stayed to read the answer. Reads are
/// left cancellable: stopping them early loses nothing.
async fn finish_writes(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if request.method().is_safe() {
        return next.run(request).await;
    }
    // The task keeps the request's span (the trace layer's), so its logs still name the request.
    let handling = tracing::Instrument::in_current_span(next.run(request));
    match tokio::spawn(handling).await {
        Ok(response) => response,
        // Raised again here, for the panic layer around this one to answer.
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        // Cancelled: only a runtime shutting down does that.
        Err(_) => error::internal_error().into_response(),
    }
}

/// Answers once the server is serving; needs no key.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "meta",
    responses((status = 200, description = "The server is serving.", body = String, content_type = "text/plain"))
)]
async fn health() -> &'static str {
    "ok"
}
