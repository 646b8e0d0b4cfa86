//! Bulk import, shared by `roster import` and `POST /v1/users/import`: the records a source
//! file holds go through `Imports` many at a time, and each one's outcome is reported with
//! the error envelope items `POST /users` would answer.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use roster_domain::Services;
use roster_domain::imports::{ImportOptions, ImportOutcome, ImportRecord, Imports};
use roster_model::users::{IdentificationKind, identity_key};
use roster_wire::errors::ErrorItem;
pub use roster_wire::imports::{ReadRecord, Source, records};
use serde::Serialize;
use tokio::task::JoinSet;

use crate::error::ApiError;
use crate::users::new_user;

/// Records imported at once. On SQLite they share the writer's group commits; on PostgreSQL
/// they use that many connections of the pool at most.
pub const IN_FLIGHT: usize = 64;

/// What became of one record.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RowResult {
    pub line: u64,
    pub source_id: Option<String>,
    #[serde(flatten)]
    pub outcome: RowOutcome,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
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
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ImportSummary {
    pub imported: u64,
    pub skipped: u64,
    pub checked: u64,
    pub refused: u64,
    pub refused_by_code: BTreeMap<&'static str, u64>,
    #[serde(serialize_with = "as_millis")]
    pub elapsed: Duration,
}

impl ImportSummary {
    pub fn rows(&self) -> u64 {
        self.imported + self.skipped + self.checked + self.refused
    }

    fn count(&mut self, row: &RowResult) {
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

/// Imports every record, `IN_FLIGHT` at a time, calling `on_row` with each outcome as it
/// comes (not in file order; but of two records naming one identifier, the earlier runs first,
/// so it is the one that lands). The records are read on a blocking thread, a bounded way ahead,
/// so memory does not grow with the file.
pub async fn run(
    services: &Services,
    records: Box<dyn Iterator<Item = ReadRecord> + Send>,
    options: ImportOptions,
    mut on_row: impl FnMut(&RowResult, &ImportSummary),
) -> ImportSummary {
    let started = Instant::now();
    let (sender, mut receiver) = tokio::sync::mpsc::channel(4 * IN_FLIGHT);
    let reader = tokio::task::spawn_blocking(move || {
        for record in records {
            if sender.blocking_send(record).is_err() {
                break;
            }
        }
    });
    let mut summary = ImportSummary::default();
    let mut in_flight = JoinSet::new();
    let mut claimed = Claims::default();
    let mut next: Option<ReadRecord> = None;
    let mut exhausted = false;
    loop {
        while in_flight.len() < IN_FLIGHT {
            if next.is_none() && !exhausted {
                next = receiver.recv().await;
                exhausted = next.is_none();
            }
            let Some(record) = next.take() else { break };
            let keys = identity_keys(&record);
            if claimed.any(&keys) {
                // An earlier record of the file names the same identifier: it goes first,
                // so the first of two rows for one identifier is the one that lands.
                next = Some(record);
                break;
            }
            claimed.take(&keys);
            let imports = services.imports.clone();
            in_flight.spawn(async move { (import_one(&imports, record, options).await, keys) });
        }
        let Some(joined) = in_flight.join_next().await else {
            break;
        };
        // A task ends only by returning: the use cases do not panic, and none is aborted.
        if let Ok((row, keys)) = joined {
            claimed.release(&keys);
            summary.count(&row);
            summary.elapsed = started.elapsed();
            on_row(&row, &summary);
        }
    }
    // The reader has sent everything by now; its end is only awaited.
    let _ = reader.await;
    summary.elapsed = started.elapsed();
    summary
}

/// The identifiers records in flight name, each with how many name it.
#[derive(Default)]
struct Claims(HashMap<String, usize>);

impl Claims {
    fn any(&self, keys: &[String]) -> bool {
        keys.iter().any(|key| self.0.contains_key(key))
    }

    fn take(&mut self, keys: &[String]) {
        for key in keys {
            *self.0.entry(key.clone()).or_default() += 1;
        }
    }

    fn release(&mut self, keys: &[String]) {
        for key in keys {
            if let Some(count) = self.0.get_mut(key) {
                *count -= 1;
                if *count == 0 {
                    self.0.remove(key);
                }
            }
        }
    }
}

/// The unique identifiers a record names, in the folded forms uniqueness compares.
fn identity_keys(record: &ReadRecord) -> Vec<String> {
    let Ok(record) = record else {
        return Vec::new();
    };
    let request = &record.request;
    let mut keys = Vec::new();
    let kinds = [
        (IdentificationKind::EmailAddress, &request.email_address),
        (IdentificationKind::PhoneNumber, &request.phone_number),
        (IdentificationKind::Web3Wallet, &request.web3_wallet),
    ];
    for (kind, values) in kinds {
        for value in values.iter().flatten() {
            keys.push(format!("{}:{}", kind.as_str(), kind.normalize(value)));
        }
    }
    if let Some(username) = &request.username {
        keys.push(format!("username:{}", identity_key(username)));
    }
    if let Some(external_id) = &request.external_id {
        keys.push(format!("external_id:{external_id}"));
    }
    keys
}

async fn import_one(imports: &Imports, record: ReadRecord, options: ImportOptions) -> RowResult {
    let record = match record {
        Ok(record) => record,
        Err(unreadable) => {
            return RowResult {
                line: unreadable.line,
                source_id: unreadable.source_id,
                outcome: RowOutcome::Refused {
                    errors: vec![ErrorItem::new(
                        "request_body_invalid",
                        "is not a readable record",
                        unreadable.reason,
                    )],
                },
            };
        }
    };
    let line = record.line;
    let source_id = record.source_id.clone();
    let record = ImportRecord {
        source_id: record.source_id,
        user: new_user(record.request),
    };
    let outcome = match imports.import(&record, options).await {
        Ok(ImportOutcome::Imported(user_id)) => RowOutcome::Imported { user_id },
        Ok(ImportOutcome::Skipped {
            existing,
            matched_by,
        }) => RowOutcome::Skipped {
            user_id: existing,
            matched_by: matched_by.as_str(),
        },
        Ok(ImportOutcome::Checked) => RowOutcome::Checked,
        Err(error) => RowOutcome::Refused {
            errors: ApiError::from(error).items,
        },
    };
    RowResult {
        line,
        source_id,
        outcome,
    }
}
