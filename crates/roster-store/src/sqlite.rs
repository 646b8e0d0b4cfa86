//! Opening the embedded SQLite database: pragmas, pools and migrations.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, SqlitePool};

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
