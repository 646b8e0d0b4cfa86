//! Small response bodies shared by several endpoints.

use serde::Serialize;
use utoipa::ToSchema;

/// What a delete returns: `{"object":"user","id":"user_…","deleted":true}`.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, ToSchema)]
pub struct DeletedObject {
    #[schema(schema_with = crate::schema::deleted)]
    pub object: &'static str,
    pub id: String,
    pub deleted: bool,
}

impl DeletedObject {
    pub fn new(object: &'static str, id: impl Into<String>) -> Self {
        DeletedObject {
            object,
            id: id.into(),
            deleted: true,
        }
    }
}

/// What a count returns: `{"object":"total_count","total_count":N}`.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, ToSchema)]
pub struct TotalCount {
    #[schema(schema_with = crate::schema::total_count)]
    pub object: &'static str,
    pub total_count: i64,
}

impl TotalCount {
    pub fn new(total_count: i64) -> Self {
        TotalCount {
            object: "total_count",
            total_count,
        }
    }
}
