//! Refusing the NUL character (U+0000) wherever a request carries text.
//!
//! PostgreSQL's `text` and `jsonb` cannot hold it, and SQLite's FTS5 reads a search phrase only
//! up to it, so a NUL reaching the store fails there as an internal error. No identifier, name
//! or search term has a use for it, so it is refused at the edge on both backends alike.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use roster_domain::{FieldError, FieldErrorKind};
use roster_wire::errors::ErrorItem;

use crate::error::ApiError;

/// A NUL can only reach a decoded path segment or query value as `%00`: a raw NUL byte is not a
/// URI character, and `%` always starts an escape.
const ESCAPED_NUL: &str = "%00";

/// Refuses a path with a NUL as unknown (no resource can have such an id) and a query value or
/// key with a NUL as an invalid parameter.
pub(crate) async fn refuse_in_uri(request: Request, next: Next) -> Result<Response, ApiError> {
    let uri = request.uri();
    if uri.path().contains(ESCAPED_NUL) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorItem::new(
                "resource_not_found",
                "not found",
                "The requested resource does not exist.",
            ),
        ));
    }
    if let Some(query) = uri.query().filter(|query| query.contains(ESCAPED_NUL)) {
        let param = url::form_urlencoded::parse(query.as_bytes())
            .find(|(key, value)| key.contains('\0') || value.contains('\0'))
            .map(|(key, _)| key.replace('\0', ""));
        if let Some(param) = param {
            return Err(ApiError::field(
                &param,
                FieldErrorKind::ValueInvalid {
                    reason: "must not contain NUL characters".to_owned(),
                },
            ));
        }
    }
    Ok(next.run(request).await)
}

/// The top-level keys of a JSON object body whose value (or the key itself) holds a NUL
/// anywhere inside; empty for a body without one.
pub(crate) fn body_fields_with_nul(bytes: &[u8]) -> Vec<FieldError> {
    // JSON spells a NUL only as the escape `\u0000` (a raw one is malformed), so bodies without
    // that sequence, nearly all of them, are not parsed twice.
    if !bytes.windows(6).any(|window| window == b"\\u0000") {
        return Vec::new();
    }
    let Ok(serde_json::Value::Object(object)) = serde_json::from_slice(bytes) else {
        return Vec::new();
    };
    object
        .iter()
        .filter(|(key, value)| key.contains('\0') || holds_nul(value))
        .map(|(key, _)| {
            FieldError::new(
                key.replace('\0', ""),
                FieldErrorKind::FormatInvalid {
                    expected: "text without NUL characters".to_owned(),
                },
            )
        })
        .collect()
}

fn holds_nul(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(text) => text.contains('\0'),
        serde_json::Value::Array(values) => values.iter().any(holds_nul),
        serde_json::Value::Object(object) => object
            .iter()
            .any(|(key, value)| key.contains('\0') || holds_nul(value)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_top_level_field_of_a_nested_nul() {
        let fields = body_fields_with_nul(br#"{"a": "x", "b": {"c": ["ok", "n\u0000"]}}"#);
        assert_eq!(fields.len(), 1);
        assert_eq!(fields[0].param, "b");
        // An escaped backslash followed by `u0000` is text, not a NUL.
        assert!(body_fields_with_nul(br#"{"a": "\\u0000"}"#).is_empty());
    }
}
