//! Clerk API versions, chosen by the `Clerk-API-Version` header or the `__clerk_api_version`
//! query parameter. Without either, Roster behaves as 2025-11-10, the more lenient version.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

use crate::error::ApiError;

pub(crate) const KNOWN_VERSIONS: [&str; 5] = [
    "2021-02-05",
    "2024-10-01",
    "2025-04-10",
    "2025-11-10",
    "2026-05-12",
];
const HEADER: &str = "clerk-api-version";
pub(crate) const QUERY_PARAM: &str = "__clerk_api_version";

/// The behaviours that differ between versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ApiVersion {
    /// Up to 2025-11-10: `PATCH /users/{id}` still accepts metadata (replacing each tier).
    UpTo20251110,
    /// 2026-05-12: metadata changes only through the metadata endpoints.
    From20260512,
}

pub(crate) async fn check(mut request: Request, next: Next) -> Result<Response, ApiError> {
    let header = request
        .headers()
        .get(HEADER)
        .map(|value| value.to_str().unwrap_or_default().to_owned());
    let query = request.uri().query().and_then(|query| {
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(key, _)| key == QUERY_PARAM)
            .map(|(_, value)| value.into_owned())
    });
    let version = match (header, query) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "Send the API version either in the Clerk-API-Version header or in the __clerk_api_version query parameter, not both.",
            ));
        }
        (Some(version), None) | (None, Some(version)) => parse(&version)?,
        (None, None) => ApiVersion::UpTo20251110,
    };
    request.extensions_mut().insert(version);
    Ok(next.run(request).await)
}

fn parse(version: &str) -> Result<ApiVersion, ApiError> {
    if !KNOWN_VERSIONS.contains(&version) {
        return Err(invalid(&format!(
            "Unknown API version {version:?}; known versions are {}.",
            KNOWN_VERSIONS.join(", ")
        )));
    }
    Ok(if version >= "2026-05-12" {
        ApiVersion::From20260512
    } else {
        ApiVersion::UpTo20251110
    })
}

fn invalid(long_message: &str) -> ApiError {
    ApiError::bad_request("api_version_invalid", "is invalid", long_message)
}
