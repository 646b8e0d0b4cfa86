//! What an import did with each record, and in all: the lines of an import's report and
//! the answer of `POST /v1/users/import`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;
use utoipa::ToSchema;

use crate::errors::ErrorItem;

/// What became of one record.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct RowResult {
    pub line: u64,
    pub source_id: Option<String>,
    #[serde(flatten)]
    pub outcome: RowOutcome,
}

#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RowOutcome {
    Imported {
        user_id: String,
    },
    /// Already here (an earlier run of the same file, or the same user from another source).
    Skipped {
        user_id: String,
        matched_by: &'static str,
    },
    /// A dry run found nothing wrong.
    Checked,
    Refused {
        errors: Vec<ErrorItem>,
    },
}

/// The counts of a run, and the refusals by error code.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct ImportSummary {
    pub imported: u64,
    pub skipped: u64,
    pub checked: u64,
    pub refused: u64,
    #[schema(value_type = Object)]
    pub refused_by_code: BTreeMap<&'static str, u64>,
    #[serde(rename = "elapsed_ms", serialize_with = "as_millis")]
    #[schema(value_type = u64)]
    pub elapsed: Duration,
}

impl ImportSummary {
    pub fn rows(&self) -> u64 {
        self.imported + self.skipped + self.checked + self.refused
    }

    pub fn count(&mut self, row: &RowResult) {
        match &row.outcome {
            RowOutcome::Imported { .. } => self.imported += 1,
            RowOutcome::Skipped { .. } => self.skipped += 1,
            RowOutcome::Checked => self.checked += 1,
            RowOutcome::Refused { errors } => {
                self.refused += 1;
                for error in errors {
                    *self.refused_by_code.entry(error.code).or_default() += 1;
                }
            }
        }
    }
}

fn as_millis<S: serde::Serializer>(elapsed: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
}

/// The answer of `POST /v1/users/import`: the counts, and every record that was refused or
/// skipped (the lines `roster import` writes to its report).
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct ImportResult {
    #[schema(schema_with = import_object)]
    pub object: &'static str,
    #[serde(flatten)]
    pub summary: ImportSummary,
    pub report: Vec<RowResult>,
}

fn import_object() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(["user_import"]))
        .build()
}
