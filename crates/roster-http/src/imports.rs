//! Bulk import, shared by `roster import` and `POST /v1/users/import`: the records a source
//! file holds go through `Imports` many at a time, and each one's outcome is reported with
//! the error envelope items `POST /users` would answer.

use std::collections::HashMap;
use std::time::Instant;

use roster_domain::Services;
use roster_domain::imports::{ImportOptions, ImportOutcome, ImportRecord, Imports};
use roster_model::users::{IdentificationKind, identity_key};
use roster_wire::errors::ErrorItem;
pub use roster_wire::imports::report::{ImportResult, ImportSummary, RowOutcome, RowResult};
pub use roster_wire::imports::{ReadRecord, Source, records};
use roster_wire::list_query::{FromPairs, QueryError, first, first_parsed, parse_bool};
use tokio::task::JoinSet;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use futures_util::StreamExt;
use roster_domain::FieldErrorKind;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::ApiError;
use crate::list_query::ListParams;
use crate::users::new_user;

/// Records imported at once. On SQLite they share the writer's group commits; on PostgreSQL
/// they use that many connections of the pool at most.
pub const IN_FLIGHT: usize = 64;

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
    // What each task imports, so that its identifiers are released however it ends.
    let mut running = HashMap::new();
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
            let (line, source_id) = position(&record);
            let imports = services.imports.clone();
            let task = in_flight.spawn(async move { import_one(&imports, record, options).await });
            running.insert(task.id(), (line, source_id, keys));
        }
        let Some(joined) = in_flight.join_next_with_id().await else {
            break;
        };
        let (id, row) = match joined {
            Ok((id, row)) => (id, Some(row)),
            // A use case that panicked refuses its own record only; nothing is aborted.
            Err(error) => (error.id(), None),
        };
        let Some((line, source_id, keys)) = running.remove(&id) else {
            continue;
        };
        claimed.release(&keys);
        let row = row.unwrap_or_else(|| RowResult {
            line,
            source_id,
            outcome: RowOutcome::Refused {
                errors: crate::error::internal_error().items,
            },
        });
        summary.count(&row);
        summary.elapsed = started.elapsed();
        on_row(&row, &summary);
    }
    // The reader has sent everything by now; its end is only awaited.
    let _ = reader.await;
    summary.elapsed = started.elapsed();
    summary
}

/// Where a record stands in its file.
fn position(record: &ReadRecord) -> (u64, Option<String>) {
    match record {
        Ok(record) => (record.line, record.source_id.clone()),
        Err(unreadable) => (unreadable.line, unreadable.source_id.clone()),
    }
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

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import_users))
        .layer(DefaultBodyLimit::disable())
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ImportQuery {
    /// The system the body comes from: `clerk` (its CSV or JSON export) or `roster` (NDJSON).
    from: Option<String>,
    /// Check every record, against the stored users too, and write nothing.
    dry_run: Option<bool>,
    /// Fire `user.created` for each imported user (default true).
    events: Option<bool>,
}

impl FromPairs for ImportQuery {
    fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, QueryError> {
        let mut query = ImportQuery::default();
        for (key, value) in pairs {
            match key.as_str() {
                "from" => first(&mut query.from, value),
                "dry_run" => first_parsed(&mut query.dry_run, &key, &value, parse_bool)?,
                "events" => first_parsed(&mut query.events, &key, &value, parse_bool)?,
                _ => {}
            }
        }
        Ok(query)
    }
}

/// A Roster extension (Clerk has no such route): the mirror of `roster import`, for a file on
/// another machine. The body is the export file itself, streamed; any size is taken.
#[utoipa::path(
    post,
    path = "/users/import",
    tag = "users",
    params(ImportQuery),
    request_body(content = String, content_type = "text/plain", description = "The export file: CSV, JSON or NDJSON."),
    responses((status = 200, description = "What became of the records.", body = ImportResult))
)]
async fn import_users(
    State(state): State<AppState>,
    ListParams(query): ListParams<ImportQuery>,
    body: Body,
) -> Result<Json<ImportResult>, ApiError> {
    let Some(from) = query.from else {
        return Err(ApiError::field("from", FieldErrorKind::Missing));
    };
    let Some(source) = Source::parse(&from) else {
        return Err(ApiError::field(
            "from",
            FieldErrorKind::Unknown {
                reason: Some("from must be clerk or roster".to_owned()),
            },
        ));
    };
    let options = ImportOptions {
        dry_run: query.dry_run.unwrap_or(false),
        announce: query.events.unwrap_or(true),
    };
    let input = BodyReader::start(body);
    let mut report = Vec::new();
    let summary = run(
        &state.services,
        records(source, std::io::BufReader::new(input)),
        options,
        |row, _| {
            if !matches!(
                row.outcome,
                RowOutcome::Imported { .. } | RowOutcome::Checked
            ) {
                report.push(row.clone());
            }
        },
    )
    .await;
    report.sort_by_key(|row| row.line);
    Ok(Json(ImportResult {
        object: "user_import",
        summary,
        report,
    }))
}

/// The request body as a blocking reader, for the record readers on their own thread: a task
/// forwards the body's chunks, a bounded way ahead.
struct BodyReader {
    chunks: tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>,
    current: Bytes,
}

impl BodyReader {
    fn start(body: Body) -> Self {
        let (sender, chunks) = tokio::sync::mpsc::channel(16);
        tokio::spawn(async move {
            let mut stream = body.into_data_stream();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(std::io::Error::other);
                let failed = chunk.is_err();
                if sender.send(chunk).await.is_err() || failed {
                    break;
                }
            }
        });
        BodyReader {
            chunks,
            current: Bytes::new(),
        }
    }
}

impl std::io::Read for BodyReader {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.chunks.blocking_recv() {
                Some(chunk) => self.current = chunk?,
                None => return Ok(0),
            }
        }
        let count = buffer.len().min(self.current.len());
        buffer[..count].copy_from_slice(&self.current.split_to(count));
        Ok(count)
    }
}
