//! A listing's query string as an extractor: decoded once here, read by `roster_wire`'s
//! list-query types, and a value of the wrong type answered as Clerk does
//! (`form_param_value_invalid`, naming the parameter).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use roster_domain::FieldErrorKind;
use roster_wire::list_query::{FromPairs, QueryError};

use crate::error::ApiError;

/// The parsed query of a listing (`UserListParams`, `SessionListParams`, `DeliveryPage`).
pub(crate) struct ListParams<T>(pub(crate) T);

impl<S, T> FromRequestParts<S> for ListParams<T>
where
    S: Send + Sync,
    T: FromPairs,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let pairs = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        T::from_pairs(pairs).map(ListParams).map_err(invalid)
    }
}

fn invalid(error: QueryError) -> ApiError {
    ApiError::field(
        &error.param,
        FieldErrorKind::ValueInvalid {
            reason: format!("must be {}", error.expected),
        },
    )
}
