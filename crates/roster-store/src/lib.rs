//! Roster's storage layer: connection pools, transactions, migrations, and one module per
//! aggregate holding its SQL.
//!
//! **Invariant:** this is the only crate that names the database driver. Callers see `Store`
//! (reads), `Tx` (one write transaction) and `StoreError`; they never see a pool or a row.
//!
//! SQLite is the embedded default: one writer connection (SQLite admits one writer at a time,
//! so queueing in the pool is cheaper than retrying on `SQLITE_BUSY`) and a few reader
//! connections, in WAL mode so readers never wait for the writer. PostgreSQL is the scale-out
//! backend: one pool, shared by any number of Roster nodes through the database itself.
//!
//! Statements are written once, with `$N` placeholders that both drivers accept, and run on
//! either through `on_connection!` (`execute!` is its common case: bind, run, count the changed
//! rows); the few places where the dialects differ ask `Conn::dialect` and say why: substring
//! search (`search.rs`), JSON aggregation (`json_group_array` / `json_agg`, `users.rs`),
//! insertion order (`rowid` / `pk`), `NULLS FIRST`, and row locks.
//!
//! Where to start reading:
//! - `users.rs` and `identifications.rs`: the user aggregate; `user_columns.rs` is the one table
//!   of the `users` row's columns from which its SQL and binds follow.
//! - The SQLite writer, in the order a write meets them: `group_commit.rs` (many `Tx` share one
//!   COMMIT), `savepoint.rs` (each `Tx` a savepoint, opened by its first statement),
//!   `row_updates.rs` (a change to the `users` row alone runs without a `Tx`, batched),
//!   `checkpoint.rs` (WAL pages copied off the writer), and `sqlite.rs` (pragmas, the reader
//!   pool, the search index updated once per batch).
//! - `postgres.rs`: the pool, and migrations under an advisory lock.
//!
//! Migrations are versioned files in `migrations/sqlite/` and `migrations/postgres/`, embedded
//! and applied on open; they are history and never edited. The PostgreSQL folder starts at
//! `0010_schema.sql` (the SQLite schema after its 0010), and every later change takes the same
//! number in both folders (`postgres.rs` tests it). A change SQL cannot compute leaves a row in
//! `pending_data_migrations`, which `Store::open` carries out in Rust (`identity_keys.rs`).
//!
//! On PostgreSQL a `Tx` is a plain transaction, and reads made for writing lock their row
//! (`Tx::load_user`, `Tx::load_session`: `FOR UPDATE`; SQLite's single writer serialises them
//! already). **Invariant:** a write locks the user before any of that user's other rows
//! (sessions, verifications, backup codes), so concurrent writes queue instead of deadlocking.
//! Unique constraints settle identifier races on both backends. Outbox messages and webhook
//! deliveries are claimed under a lease by one `UPDATE … RETURNING` (on PostgreSQL with
//! `FOR UPDATE SKIP LOCKED`), so workers on several nodes never claim the same row.

mod api_keys;
mod checkpoint;
mod error;
mod events;
mod group_commit;
mod identifications;
mod identity_keys;
mod images;
mod lockout;
mod mfa;
mod organizations;
mod outbox;
mod passwords;
mod postgres;
mod row_updates;
mod savepoint;
mod sealed_secrets;
mod search;
mod sessions;
mod sqlite;
mod user_columns;
mod users;
mod verifications;
mod webhooks;

pub use api_keys::ApiKeyRecord;
pub use error::{StoreError, UniqueKey};
pub use events::{ErasablePayload, EventRecord};
pub use lockout::AttemptSlot;
pub use mfa::{BackupCodeRecord, TotpRecord};
pub use organizations::{InvitationRecord, MembershipRecord};
pub use passwords::PasswordRecord;
pub use row_updates::RowUpdateOutcome;
pub use sealed_secrets::SealedSecret;
pub use webhooks::AttemptRecord;

use std::sync::Arc;

use group_commit::{GroupTx, GroupWriter};
use row_updates::RowUpdater;
use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, PgPool, Postgres, SqliteConnection};

pub type StoreResult<T> = Result<T, StoreError>;

/// How durable a commit is on the embedded backend.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// Every commit is flushed to disk before it is acknowledged (`synchronous=FULL`).
    #[default]
    Full,
    /// Commits survive a crash of Roster but not of the machine (`synchronous=NORMAL`).
    Normal,
}

/// Where and how to open the database.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    pub url: String,
    pub durability: Durability,
    pub max_readers: u32,
    /// Connections each node keeps to PostgreSQL (unused by SQLite).
    pub max_connections: u32,
}

/// A handle on the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    backend: Backend,
}

#[derive(Clone, Debug)]
enum Backend {
    Sqlite {
        readers: sqlite::Readers,
        writer: Arc<GroupWriter>,
        row_updater: Arc<RowUpdater>,
    },
    Postgres {
        pool: PgPool,
    },
}

/// One write transaction. Dropping it without `commit` rolls it back, so an error anywhere in
/// a write leaves the database as it was.
pub struct Tx {
    inner: TxInner,
    /// Run once the transaction is durably committed (never when it rolls back).
    after_commit: Vec<Box<dyn FnOnce() + Send>>,
    /// Users as `load_user` read them in this transaction, so `update_user` can tell which
    /// columns changed.
    loaded_users: Vec<roster_model::users::User>,
}

enum TxInner {
    Sqlite(GroupTx),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

/// The SQL dialect a statement is about to run in, for the few statements that differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// A borrowed connection of either backend; `on_connection!` runs one statement on it.
pub(crate) enum Conn<'a> {
    Sqlite(&'a mut SqliteConnection),
    /// The SQLite writer inside a write transaction (`savepoint.rs`).
    SqliteWriter(&'a mut savepoint::TxConnection),
    Postgres(&'a mut PgConnection),
}

impl Conn<'_> {
    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            Conn::Sqlite(_) | Conn::SqliteWriter(_) => Dialect::Sqlite,
            Conn::Postgres(_) => Dialect::Postgres,
        }
    }
}

/// Runs `$body` with `$c` bound to the concrete connection. The body is compiled once per
/// kind of connection, so one statement text and one set of binds serve both backends; sqlx's
/// generic query API has no object-safe form that would let a single compiled body do this.
macro_rules! on_connection {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::Conn::Sqlite($c) => $body,
            $crate::Conn::SqliteWriter($c) => $body,
            $crate::Conn::Postgres($c) => $body,
        }
    };
}
pub(crate) use on_connection;

/// Runs one statement that changes rows, binding `$value`s in order, on either backend, and
/// gives how many rows it changed: the common case of `on_connection!`.
macro_rules! execute {
    ($conn:expr, $sql:expr $(, $value:expr)* $(,)?) => {
        $crate::on_connection!($conn, |c| sqlx::query($sql)
            $(.bind($value))*
            .execute(&mut *c)
            .await?
            .rows_affected())
    };
}
pub(crate) use execute;

/// A pooled reader connection, held for the statements of one read.
pub(crate) enum Reader {
    Sqlite(deadpool::unmanaged::Object<SqliteConnection>),
    Postgres(PoolConnection<Postgres>),
}

impl Reader {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            Reader::Sqlite(connection) => Conn::Sqlite(&mut *connection),
            Reader::Postgres(connection) => Conn::Postgres(connection),
        }
    }
}

impl Store {
    /// Opens (creating if needed) the database and applies pending migrations.
    pub async fn open(options: &StoreOptions) -> StoreResult<Store> {
        let backend = if options.url.starts_with("sqlite:") {
            let (readers, writer) = sqlite::open(options).await?;
            Backend::Sqlite {
                readers,
                row_updater: Arc::new(RowUpdater::start(&writer)),
                writer: Arc::new(writer),
            }
        } else if options.url.starts_with("postgres:") || options.url.starts_with("postgresql:") {
            Backend::Postgres {
                pool: postgres::open(options).await?,
            }
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        let store = Store { backend };
        identity_keys::refold_if_pending(&store).await?;
        Ok(store)
    }

    /// Which backend this store runs on.
    pub fn backend_name(&self) -> &'static str {
        match &self.backend {
            Backend::Sqlite { .. } => "sqlite",
            Backend::Postgres { .. } => "postgres",
        }
    }

    pub async fn begin(&self) -> StoreResult<Tx> {
        let inner = match &self.backend {
            Backend::Sqlite { writer, .. } => TxInner::Sqlite(writer.begin().await?),
            Backend::Postgres { pool } => TxInner::Postgres(pool.begin().await?),
        };
        Ok(Tx {
            inner,
            after_commit: Vec::new(),
            loaded_users: Vec::new(),
        })
    }

    /// A connection for the statements of one read.
    pub(crate) async fn reader(&self) -> StoreResult<Reader> {
        Ok(match &self.backend {
            Backend::Sqlite { readers, .. } => {
                Reader::Sqlite(readers.get().await.map_err(|_| sqlx::Error::PoolClosed)?)
            }
            Backend::Postgres { pool } => Reader::Postgres(pool.acquire().await?),
        })
    }

    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite {
                readers,
                writer,
                row_updater,
            } => {
                row_updater.close();
                writer.close().await;
                readers.close();
            }
            Backend::Postgres { pool } => pool.close().await,
        }
    }
}

impl Tx {
    pub async fn commit(self) -> StoreResult<()> {
        match self.inner {
            TxInner::Sqlite(tx) => tx.commit().await?,
            TxInner::Postgres(tx) => tx.commit().await?,
        }
        for hook in self.after_commit {
            hook();
        }
        Ok(())
    }

    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match &mut self.inner {
            TxInner::Sqlite(tx) => Conn::SqliteWriter(tx.connection()),
            TxInner::Postgres(tx) => Conn::Postgres(tx),
        }
    }

    /// Runs `hook` after this transaction commits, for news that must not run ahead of the
    /// data (waking the webhook worker); dropped unrun if the transaction rolls back.
    pub fn after_commit(&mut self, hook: impl FnOnce() + Send + 'static) {
        self.after_commit.push(Box::new(hook));
    }
}

/// A fresh SQLite store in `dir`, for the store's own unit tests.
#[cfg(test)]
pub(crate) async fn test_store(dir: &tempfile::TempDir) -> Store {
    test_store_at(&dir.path().join("t.db")).await
}

/// An SQLite store on the database file at `path`, for the store's own unit tests.
#[cfg(test)]
pub(crate) async fn test_store_at(path: &std::path::Path) -> Store {
    Store::open(&StoreOptions {
        url: format!("sqlite://{}", path.display()),
        durability: Durability::Normal,
        max_readers: 2,
        max_connections: 2,
    })
    .await
    .expect("store opens")
}
