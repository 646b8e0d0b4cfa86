//! Secret-key authentication of every `/v1` request.

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;
use crate::error::ApiError;

pub(crate) async fn require_secret_key(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let presented = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|key| !key.is_empty());
    let Some(presented) = presented else {
        return Err(ApiError::unauthorized(
            "authorization_header_format_invalid",
            "The Authorization header must be of the form `Bearer <secret key>`.",
        ));
    };
    let limits = &state.limits;
    // A key this node already knows is valid costs no limiter state: the hot path stays free
    // of any lock shared by every request (the per-key limit, when on, is keyed by the key).
    let valid = state.services.api_keys.known_valid(presented) || {
        let client = limits.client_ip(&request);
        limits.refuse_failing_client(client)?;
        let valid = state.services.api_keys.authenticate(presented).await?;
        if !valid {
            limits.record_failed_auth(client)?;
        }
        valid
    };
    if !valid {
        return Err(ApiError::unauthorized(
            "clerk_key_invalid",
            "The provided secret key is invalid. Make sure that the secret key is correct.",
        ));
    }
    limits.check_key(presented)?;
    Ok(next.run(request).await)
}
