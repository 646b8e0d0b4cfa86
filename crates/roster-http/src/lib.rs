//! Roster's HTTP edge: the Clerk-compatible `/v1` routes, secret-key authentication, API
//! versions, request decoding, and the one mapping from domain errors to Clerk's envelope.
//!
//! **Invariant:** this is the only crate that knows HTTP. Handlers decode a request into a
//! domain input, call one use case, and encode the result; no rule lives here.

mod auth;
mod avatars;
mod body;
mod email_addresses;
mod error;
mod events;
mod limits;
mod mfa;
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
