//! Opening the embedded SQLite database: pragmas, pools and migrations.

use std::path::Path;
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
    let migrating = lock_for_migrations(connect.get_filename()).await?;
    MIGRATOR.run(&mut writer).await?;
    drop(migrating);
    let writer = GroupWriter::new(writer);

    let reader = SqlitePoolOptions::new()
        .max_connections(options.max_readers.max(1))
        .connect_with(connect.read_only(true))
        .await?;
    Ok((reader, writer))
}

/// Several processes may open one database file at once (two servers, or `roster keys` beside a
/// starting server). sqlx's migrator takes no lock on SQLite, so two of them could both find a
/// migration pending and the second would fail applying it again. An exclusive lock on a file
/// beside the database makes them take turns; the later one then finds nothing to do.
async fn lock_for_migrations(database: &Path) -> StoreResult<Option<std::fs::File>> {
    if database.as_os_str() == ":memory:" {
        return Ok(None);
    }
    let mut name = database.as_os_str().to_owned();
    name.push(".migrations-lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&name)?;
    // Waiting for the lock blocks a thread, so it waits on a blocking one.
    let file = tokio::task::spawn_blocking(move || file.lock().map(|()| file))
        .await
        .map_err(|_| std::io::Error::other("the lock task stopped"))??;
    Ok(Some(file))
}
