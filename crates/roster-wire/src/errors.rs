//! Clerk's error envelope: `{"errors":[{message,long_message,code,meta}],"clerk_trace_id"}`.

use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// What every error status carries.
#[derive(Clone, Debug, Serialize, PartialEq, ToSchema)]
pub struct ErrorEnvelope {
    pub errors: Vec<ErrorItem>,
    pub clerk_trace_id: String,
}

#[derive(Clone, Debug, Serialize, PartialEq, ToSchema)]
pub struct ErrorItem {
    /// A short fragment such as "is invalid".
    pub message: String,
    /// A whole sentence a person can act on.
    pub long_message: String,
    /// The stable code clients branch on.
    pub code: &'static str,
    /// Extra data, such as `param_name` for form errors; always an object.
    #[schema(value_type = Object)]
    pub meta: Map<String, Value>,
}

impl ErrorItem {
    pub fn new(
        code: &'static str,
        message: impl Into<String>,
        long_message: impl Into<String>,
    ) -> Self {
        ErrorItem {
            message: message.into(),
            long_message: long_message.into(),
            code,
            meta: Map::new(),
        }
    }

    pub fn with_meta(mut self, key: &str, value: Value) -> Self {
        self.meta.insert(key.to_owned(), value);
        self
    }

    pub fn with_param(mut self, param: impl Into<String>) -> Self {
        self.meta
            .insert("param_name".to_owned(), Value::String(param.into()));
        self
    }
}
