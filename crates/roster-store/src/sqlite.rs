//! Opening the embedded SQLite database: pragmas, pools and migrations.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, SqlitePool};

use std::sync::Arc;

use crate::group_commit::GroupWriter;
use crate::{Durability, StoreOptions, StoreResult};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

pub(crate) async fn open(options: &StoreOptions) -> StoreResult<(SqlitePool, GroupWriter)> {
    let synchronous = match options.durability {
        Durability::Full => SqliteSynchronous::Full,
        Durability::Normal => SqliteSynchronous::Normal,
    };
    let connect = SqliteConnectOptions::from_str(&options.url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(synchronous)
        .foreign_keys(true)
        // Another process (the `roster keys` command) may hold the write lock for a moment.
        .busy_timeout(Duration::from_secs(10))
        .pragma("temp_store", "memory")
        .pragma("cache_size", "-32768");

    let mut writer = connect.connect().await?;
    MIGRATOR.run(&mut writer).await?;
    let writer = GroupWriter::new(writer);

    let reader = SqlitePoolOptions::new()
        .max_connections(options.max_readers.max(1))
        .connect_with(connect.read_only(true))
        .await?;
    Ok((reader, writer))
}

/// How often the background maintenance looks for new writes, and how many index pages one
/// round may merge: small enough that a round holds the writer for a few milliseconds.
const MAINTENANCE_INTERVAL: Duration = Duration::from_secs(2);
const MERGE_PAGES: i64 = 256;

/// Keeps the search index compact while writes arrive; idle databases are left alone.
pub(crate) fn spawn_maintenance(writer: Arc<GroupWriter>) -> tokio::task::AbortHandle {
    tokio::spawn(async move {
        let mut seen = writer.batches_committed();
        loop {
            tokio::time::sleep(MAINTENANCE_INTERVAL).await;
            let now = writer.batches_committed();
            if now == seen {
                continue;
            }
            let merged = async {
                let mut tx = crate::Tx {
                    inner: crate::TxInner::Sqlite(writer.begin().await?),
                    after_commit: Vec::new(),
                };
                crate::search::merge_search_segments(&mut tx, MERGE_PAGES).await?;
                tx.commit().await
            }
            .await;
            if let Err(error) = merged {
                tracing::warn!(%error, "merging search index segments failed");
            }
            // The merge itself is a batch; only writes after it call for another round.
            seen = writer.batches_committed();
        }
    })
    .abort_handle()
}
