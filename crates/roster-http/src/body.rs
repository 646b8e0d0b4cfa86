//! Decoding JSON request bodies the way Clerk does, and the way the official SDKs need.
//!
//! axum's `Json` extractor refuses an empty body, but `@clerk/backend` sends
//! `Content-Type: application/json` with no body on ban, lock, DELETE and similar calls, and
//! clerk-rs sends `null` where it was given no body; either is the request type's default. Keys the type does not know are reported
//! as `form_param_unknown` (every one of them, by name), a value of the wrong type as
//! `form_param_value_invalid` naming its parameter, and unreadable JSON as a 400.

use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use bytes::Bytes;
use roster_domain::{FieldError, FieldErrorKind};
use roster_wire::errors::ErrorItem;
use serde::de::DeserializeOwned;
use serde_path_to_error::Segment;

use crate::error::ApiError;

/// A JSON body; empty means `T::default()`.
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Default,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_none_or(|value| value.to_ascii_lowercase().contains("json"));
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::body_too_large()
                } else if crate::limits::timed_out(&rejection) {
                    ApiError::body_timed_out()
                } else {
                    ApiError::bad_request(
                        "request_body_invalid",
                        "is invalid",
                        "The request body could not be read.",
                    )
                }
            })?;
        // clerk-rs sends an optional body it was not given as JSON `null`. Clerk's decoder
        // leaves a request as it is on `null`, so `null` is no body here too.
        let text = bytes.trim_ascii();
        if text.is_empty() || (is_json && text == b"null") {
            return Ok(JsonBody(T::default()));
        }
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorItem::new(
                    "unsupported_content_type",
                    "is not supported",
                    "Request bodies must be JSON, sent with Content-Type: application/json.",
                ),
            ));
        }
        decode(&bytes).map(JsonBody)
    }
}

/// A JSON array of objects (a bulk request), each decoded as a `JsonBody` is.
pub struct JsonArrayBody<T>(pub Vec<T>);

impl<S, T> FromRequest<S> for JsonArrayBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Default,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::body_too_large()
                } else if crate::limits::timed_out(&rejection) {
                    ApiError::body_timed_out()
                } else {
                    not_an_array()
                }
            })?;
        let items: Vec<serde_json::Value> =
            serde_json::from_slice(&bytes).map_err(|_| not_an_array())?;
        items
            .into_iter()
            .map(|item| match item {
                serde_json::Value::Object(_) => decode(item.to_string().as_bytes()),
                _ => Err(not_an_object()),
            })
            .collect::<Result<Vec<T>, ApiError>>()
            .map(JsonArrayBody)
    }
}

fn not_an_array() -> ApiError {
    ApiError::bad_request(
        "request_body_invalid",
        "is invalid",
        "The request body must be a JSON array of objects.",
    )
}

pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // serde's derived structs also accept an array, field by field in order; a Clerk body is
    // an object, so any other valid JSON is refused before it could fill fields by position.
    if bytes.trim_ascii_start().first() != Some(&b'{') {
        return Err(
            match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
                Ok(_) => not_an_object(),
                Err(_) => malformed(),
            },
        );
    }
    let with_nul = crate::nul::body_fields_with_nul(bytes);
    if !with_nul.is_empty() {
        return Err(ApiError::fields(&with_nul));
    }
    let mut unknown = Vec::new();
    let mut json = serde_json::Deserializer::from_slice(bytes);
    let mut record_unknown = |path: serde_ignored::Path<'_>| unknown.push(path.to_string());
    let tracked = serde_ignored::Deserializer::new(&mut json, &mut record_unknown);
    let value: T = serde_path_to_error::deserialize(tracked).map_err(|error| {
        let param = error.path().iter().find_map(|segment| match segment {
            Segment::Map { key } => Some(key.clone()),
            _ => None,
        });
        let inner = error.into_inner();
        match (inner.classify(), param) {
            (serde_json::error::Category::Data, Some(param)) => {
                let detail = inner.to_string();
                let detail = detail.split(" at line ").next().unwrap_or_default();
                ApiError::fields(&[FieldError::new(
                    param,
                    FieldErrorKind::ValueInvalid {
                        reason: format!("has the wrong type ({detail})"),
                    },
                )])
            }
            (serde_json::error::Category::Data, None) => not_an_object(),
            _ => malformed(),
        }
    })?;
    json.end().map_err(|_| malformed())?;
    if !unknown.is_empty() {
        let errors: Vec<FieldError> = unknown
            .into_iter()
            .map(|param| FieldError::new(param, FieldErrorKind::Unknown { reason: None }))
            .collect();
        return Err(ApiError::fields(&errors));
    }
    Ok(value)
}

fn not_an_object() -> ApiError {
    ApiError::bad_request(
        "request_body_invalid",
        "is invalid",
        "The request body must be a JSON object.",
    )
}

fn malformed() -> ApiError {
    ApiError::bad_request(
        "malformed_request_parameters",
        "is malformed",
        "The request body is not valid JSON.",
    )
}
