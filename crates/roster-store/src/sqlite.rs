//! Opening the embedded SQLite database: pragmas, pools and migrations.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, SqliteConnection};

use crate::checkpoint::Checkpointer;
use crate::group_commit::GroupWriter;
use crate::{Durability, StoreOptions, StoreResult};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// Run by every batch of writes just before it commits: the names of the users renamed in it
/// go into the name search index, all in one go. Indexed by a trigger, each rename made FTS5
/// write a segment of its own, which cost a quarter of an update; in one statement per batch
/// they share one segment. The index changes in the same commit as the names, so no reader ever
/// sees one without the other. The index keeps no copy of the names (migration 0012): what it
/// held is removed by handing it back the names noted at the batch's first rename of the user.
const INDEX_RENAMED_USERS: &str = "INSERT INTO user_search_names (user_search_names, rowid, names) \
    SELECT 'delete', pk, names FROM user_search_names_pending; \
    INSERT INTO user_search_names (rowid, names) \
    SELECT pk, names FROM user_search_name_rows \
    WHERE pk IN (SELECT pk FROM user_search_names_pending); \
    DELETE FROM user_search_names_pending WHERE true;";

/// The reader connections. Not an `sqlx::Pool`: sqlx pings a connection each time it is
/// handed out and again each time it comes back, and on SQLite every ping is a round trip to
/// the connection's own thread, so a read of one user crossed threads six times instead of
/// two: without the pings GETs went from 16,200 to 21,600 a second. A pooled SQLite connection
/// has nothing to check: it lives in this process, and a statement dropped half-read is reset
/// by the driver, so the next read on the connection starts clean.
pub(crate) type Readers = deadpool::unmanaged::Pool<SqliteConnection>;

pub(crate) async fn open(options: &StoreOptions) -> StoreResult<(Readers, GroupWriter)> {
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
        .pragma("cache_size", "-32768")
        // Reads of the first GiB of the file go through a shared memory map instead of a read
        // call per page: +20% GETs, +15% searches. SQLite still writes with write calls, and
        // WAL pages are never mapped, so a commit's durability is unchanged.
        .pragma("mmap_size", "1073741824");

    // The first connection to a new file switches it to WAL, which takes an exclusive lock
    // without waiting for a busy one; connecting under the lock keeps nodes starting together
    // from tripping over each other there too.
    let migrating = lock_for_migrations(connect.get_filename()).await?;
    restrict_database_files(connect.get_filename())?;
    let mut writer = connect
        .clone()
        // When a B-tree rebalances, SQLite parks a page under a temporary page number far past
        // the end of the file, and COMMIT then sweeps the whole page cache for pages past the
        // end: with the readers' 32 MiB that sweep was an eighth of the writer's time, inside
        // the write lock. The writer reads the file through the memory map like the readers;
        // its cache mostly holds the pages it is changing, so 2 MiB (SQLite's default) keeps
        // the sweep short: batches of updates commit about 20% faster.
        .pragma("cache_size", "-2048")
        .connect()
        .await?;
    MIGRATOR.run(&mut writer).await?;
    drop(migrating);
    let checkpointer = Checkpointer::start(connect.connect().await?);
    let writer = GroupWriter::new(writer, Some(checkpointer), INDEX_RENAMED_USERS);

    let reader_count = options.max_readers.max(1) as usize;
    let readers = Readers::new(reader_count);
    let read_only = connect.read_only(true);
    for _ in 0..reader_count {
        let connection = read_only.connect().await?;
        if readers.add(connection).await.is_err() {
            unreachable!("a new pool takes as many connections as its size");
        }
    }
    Ok((readers, writer))
}

/// The database holds secrets (sealed keys, digests, queued mail): only its owner may read it.
/// SQLite gives `-wal` and `-shm` the main file's mode, so creating that file 0600 before
/// SQLite does covers all three; files left by an earlier version are narrowed as well.
fn restrict_database_files(database: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        if database.as_os_str() == ":memory:" {
            return Ok(());
        }
        // An empty file is a valid new database to SQLite.
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(database)
        {
            Ok(_) => {}
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(error) => return Err(error),
        }
        for suffix in ["", "-wal", "-shm", ".migrations-lock"] {
            let mut name = database.as_os_str().to_owned();
            name.push(suffix);
            match std::fs::set_permissions(&name, std::fs::Permissions::from_mode(0o600)) {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => return Err(error),
            }
        }
    }
    #[cfg(not(unix))]
    let _ = database;
    Ok(())
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

#[cfg(test)]
mod tests {
    use sqlx::Row;

    use super::*;

    /// A database written before migration 0011 finds its users, by identifier and by name,
    /// in the split search tables afterwards.
    #[tokio::test]
    async fn splitting_the_search_tables_keeps_existing_users_findable() {
        let dir = tempfile::tempdir().unwrap();
        let options = SqliteConnectOptions::from_str(&format!(
            "sqlite://{}",
            dir.path().join("old.db").display()
        ))
        .unwrap()
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal);
        let mut connection = options.connect().await.unwrap();
        let before_split = sqlx::migrate::Migrator {
            migrations: MIGRATOR
                .migrations
                .iter()
                .filter(|migration| migration.version < 11)
                .cloned()
                .collect(),
            ..sqlx::migrate::Migrator::DEFAULT
        };
        before_split.run(&mut connection).await.unwrap();
        sqlx::query(
            "INSERT INTO users (id, username, username_normalized, first_name, last_name, \
             created_at, updated_at) VALUES ('user_a', 'flynn', 'flynn', 'Kevin', 'Quorra', 1, 1)",
        )
        .execute(&mut connection)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO identifications (id, user_id, kind, value, value_normalized, \
             created_at, updated_at) \
             VALUES ('idn_a', 'user_a', 'email_address', 'grid.walker@example.com', \
             'grid.walker@example.com', 1, 1)",
        )
        .execute(&mut connection)
        .await
        .unwrap();

        MIGRATOR.run(&mut connection).await.unwrap();
        for (table, expression) in [
            ("user_search", "\"walker\""),
            ("user_search", "{usernames} : \"flynn\""),
            ("user_search_names", "\"in quorr\""),
        ] {
            let found: Vec<i64> = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT rowid FROM {table} WHERE {table} MATCH $1"
            )))
            .bind(expression)
            .fetch_all(&mut connection)
            .await
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect();
            assert_eq!(found.len(), 1, "{table} {expression}");
        }
    }

    /// A database written before migration 0014 holds email and username keys that were only
    /// lower-cased; opening it re-keys them by their Unicode folding, except where two
    /// identities now fold together, which keep their keys.
    #[tokio::test]
    async fn opening_a_database_from_before_0014_refolds_its_identity_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .unwrap()
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal);
        let mut connection = options.connect().await.unwrap();
        let before_folding = sqlx::migrate::Migrator {
            migrations: MIGRATOR
                .migrations
                .iter()
                .filter(|migration| migration.version < 14)
                .cloned()
                .collect(),
            ..sqlx::migrate::Migrator::DEFAULT
        };
        before_folding.run(&mut connection).await.unwrap();
        sqlx::raw_sql(
            "INSERT INTO users (id, username, username_normalized, created_at, updated_at) \
             VALUES ('user_a', 'kate', 'kate', 1, 1), ('user_b', NULL, NULL, 1, 1), \
             ('user_c', 'Ｄａｎ', 'ｄａｎ', 1, 1); \
             INSERT INTO identifications (id, user_id, kind, value, value_normalized, \
             created_at, updated_at) VALUES \
             ('idn_a', 'user_a', 'email_address', 'kate@example.com', 'kate@example.com', 1, 1), \
             ('idn_b', 'user_b', 'email_address', 'ｋａｔｅ@example.com', 'ｋａｔｅ@example.com', 1, 1), \
             ('idn_c', 'user_c', 'email_address', 'ｊｏ@example.com', 'ｊｏ@example.com', 1, 1);",
        )
        .execute(&mut connection)
        .await
        .unwrap();
        sqlx::Connection::close(connection).await.unwrap();

        let store = crate::test_store_at(&path).await;
        let mut reader = store.reader().await.unwrap();
        let crate::Conn::Sqlite(connection) = reader.conn() else {
            unreachable!("an SQLite store")
        };
        let keys: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT id, username_normalized FROM users UNION ALL \
             SELECT id, value_normalized FROM identifications ORDER BY 1",
        )
        .fetch_all(&mut *connection)
        .await
        .unwrap();
        let keys: Vec<(&str, Option<&str>)> = keys
            .iter()
            .map(|(id, key)| (id.as_str(), key.as_deref()))
            .collect();
        assert_eq!(
            keys,
            [
                ("idn_a", Some("kate@example.com")),
                ("idn_b", Some("ｋａｔｅ@example.com")),
                ("idn_c", Some("jo@example.com")),
                ("user_a", Some("kate")),
                ("user_b", None),
                ("user_c", Some("dan")),
            ]
        );
        let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM pending_data_migrations")
            .fetch_one(&mut *connection)
            .await
            .unwrap();
        assert_eq!(pending, 0);
    }

    /// Runs `script` (one or more statements) in `tx`.
    async fn run(tx: &mut crate::Tx, script: &str) {
        crate::on_connection!(tx.conn(), |c| {
            sqlx::raw_sql(sqlx::AssertSqlSafe(script.to_owned()))
                .execute(&mut *c)
                .await
                .unwrap();
        })
    }

    /// The name index keeps no copy of the names, so each removal must hand back exactly what
    /// was indexed. After every kind of change (several renames of one user in one write, a
    /// rename then a delete, an insert then a rename, a rename rolled back) the index still
    /// matches the names: FTS5's integrity check compares it with them, and searches find the
    /// current names only.
    #[tokio::test]
    async fn the_name_index_follows_every_change_of_names() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::test_store(&dir).await;
        let writes = [
            "INSERT INTO users (id, first_name, last_name, created_at, updated_at) VALUES \
                 ('user_a', 'Alan', 'Bradley', 1, 1), ('user_b', 'Ed', 'Dillinger', 1, 1), \
                 ('user_c', 'Lora', 'Baines', 1, 1);",
            "UPDATE users SET first_name = 'Tron' WHERE id = 'user_a'; \
             UPDATE users SET last_name = 'Program' WHERE id = 'user_a'; \
             UPDATE users SET first_name = 'Sark' WHERE id = 'user_b'; \
             DELETE FROM users WHERE id = 'user_b'; \
             INSERT INTO users (id, first_name, last_name, created_at, updated_at) \
                 VALUES ('user_d', 'Kevin', 'Flynn', 1, 1); \
             UPDATE users SET first_name = 'Clu' WHERE id = 'user_d';",
        ];
        for write in writes {
            let mut tx = store.begin().await.unwrap();
            run(&mut tx, write).await;
            tx.commit().await.unwrap();
        }
        let mut abandoned = store.begin().await.unwrap();
        run(
            &mut abandoned,
            "UPDATE users SET first_name = 'Yori' WHERE id = 'user_c';",
        )
        .await;
        drop(abandoned);
        let mut tx = store.begin().await.unwrap();
        run(
            &mut tx,
            "UPDATE users SET last_name = NULL WHERE id = 'user_c';",
        )
        .await;
        tx.commit().await.unwrap();

        let mut tx = store.begin().await.unwrap();
        run(
            &mut tx,
            "INSERT INTO user_search_names (user_search_names, rank) VALUES ('integrity-check', 1);",
        )
        .await;
        let expected: [(&str, &[&str]); 10] = [
            ("alan", &[]),
            ("tron prog", &["user_a"]),
            ("bradley", &[]),
            ("sark", &[]),
            ("dilling", &[]),
            ("clu flynn", &["user_d"]),
            ("kevin", &[]),
            ("lora", &["user_c"]),
            ("yori", &[]),
            ("baines", &[]),
        ];
        for (term, users) in expected {
            let found: Vec<String> = crate::on_connection!(tx.conn(), |c| {
                sqlx::query_scalar(
                    "SELECT id FROM users WHERE pk IN (SELECT rowid FROM user_search_names \
                     WHERE user_search_names MATCH $1)",
                )
                .bind(format!("\"{term}\""))
                .fetch_all(&mut *c)
                .await
                .unwrap()
            });
            assert_eq!(found, users, "{term}");
        }
    }

    async fn cache_size(connection: crate::Conn<'_>) -> i64 {
        crate::on_connection!(connection, |c| {
            sqlx::query_scalar("PRAGMA cache_size")
                .fetch_one(&mut *c)
                .await
                .unwrap()
        })
    }

    /// The writer runs with a small page cache (see `open`); readers keep the larger one.
    #[tokio::test]
    async fn the_writer_keeps_a_small_page_cache() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::test_store(&dir).await;
        let mut tx = store.begin().await.unwrap();
        assert_eq!(cache_size(tx.conn()).await, -2048);
        let mut reader = store.reader().await.unwrap();
        assert_eq!(cache_size(reader.conn()).await, -32768);
    }

    /// A reader whose read was abandoned half-way (its client hung up) goes back to the pool
    /// unchecked; the next read on it must still see every commit since, not the snapshot the
    /// abandoned statement had open.
    #[tokio::test]
    async fn a_read_abandoned_half_way_leaves_its_connection_reading_fresh_data() {
        use futures_util::StreamExt;

        let dir = tempfile::tempdir().unwrap();
        let store = crate::Store::open(&StoreOptions {
            url: format!("sqlite://{}", dir.path().join("t.db").display()),
            durability: Durability::Normal,
            max_readers: 1,
            max_connections: 1,
        })
        .await
        .unwrap();
        let mut tx = store.begin().await.unwrap();
        run(
            &mut tx,
            "INSERT INTO users (id, first_name, created_at, updated_at) VALUES \
             ('user_a', 'Alan', 1, 1), ('user_b', 'Ed', 1, 1), ('user_c', 'Lora', 1, 1);",
        )
        .await;
        tx.commit().await.unwrap();

        {
            let mut reader = store.reader().await.unwrap();
            let crate::Conn::Sqlite(connection) = reader.conn() else {
                unreachable!("an SQLite store hands out SQLite readers")
            };
            let mut rows = sqlx::query("SELECT id FROM users ORDER BY id").fetch(&mut *connection);
            assert!(rows.next().await.unwrap().is_ok());
        }

        let mut tx = store.begin().await.unwrap();
        run(
            &mut tx,
            "UPDATE users SET first_name = 'Tron' WHERE id = 'user_a';",
        )
        .await;
        tx.commit().await.unwrap();
        let user = store.get_user("user_a").await.unwrap().unwrap();
        assert_eq!(user.first_name.as_deref(), Some("Tron"));
    }

    /// Committed pages reach the database file itself soon after each batch, long before the
    /// writer's own automatic checkpoint (1,000 pages) would copy them.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn committed_pages_are_copied_into_the_database_file_in_the_background() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::test_store(&dir).await;
        store
            .instance_id(|| "ins_background".to_owned())
            .await
            .unwrap();
        // An immutable connection reads the database file alone, never the WAL.
        let file_only = SqliteConnectOptions::new()
            .filename(dir.path().join("t.db"))
            .immutable(true);
        let mut found = 0_i64;
        for _ in 0..100 {
            let mut connection = file_only.connect().await.unwrap();
            // Until the first checkpoint the file may not even hold the schema.
            found = sqlx::query("SELECT COUNT(*) FROM instance WHERE value = 'ins_background'")
                .fetch_one(&mut connection)
                .await
                .map_or(0, |row| row.get(0));
            if found == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(found, 1, "the write never left the WAL");
    }
}
