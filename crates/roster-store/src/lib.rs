//! Roster's storage layer: connection pools, transactions, migrations, and one module per
//! aggregate holding its SQL.
//!
//! **Invariant:** this is the only crate that names the database driver. Callers see `Store`
//! (reads), `Tx` (one write transaction) and `StoreError`; they never see a pool or a row.
//!
//! SQLite is the embedded default: one writer connection (SQLite admits one writer at a time,
//! so queueing in the pool is cheaper than retrying on `SQLITE_BUSY`) and a few reader
//! connections, in WAL mode so readers never wait for the writer. Statements use `$N`
//! placeholders, which SQLite and PostgreSQL both accept, so a second backend reuses them.

mod api_keys;
mod error;
mod events;
mod group_commit;
mod identifications;
mod lockout;
mod mfa;
mod outbox;
mod passwords;
mod search;
mod sessions;
mod sqlite;
mod users;
mod verifications;
mod webhooks;

pub use api_keys::ApiKeyRecord;
pub use error::{StoreError, UniqueKey};
pub use events::EventRecord;
pub use lockout::AttemptSlot;
pub use mfa::{BackupCodeRecord, TotpRecord};
pub use passwords::PasswordRecord;
pub use webhooks::AttemptRecord;

use std::sync::Arc;

use group_commit::{GroupTx, GroupWriter};
use sqlx::SqlitePool;

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
}

/// A handle on the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    backend: Backend,
}

#[derive(Clone, Debug)]
enum Backend {
    Sqlite {
        reader: SqlitePool,
        writer: Arc<GroupWriter>,
    },
}

/// One write transaction. Dropping it without `commit` rolls it back, so an error anywhere in
/// a write leaves the database as it was.
pub struct Tx {
    inner: TxInner,
    /// Run once the transaction is durably committed (never when it rolls back).
    after_commit: Vec<Box<dyn FnOnce() + Send>>,
}

enum TxInner {
    Sqlite(GroupTx),
}

impl Store {
    /// Opens (creating if needed) the database and applies pending migrations.
    pub async fn open(options: &StoreOptions) -> StoreResult<Store> {
        if options.url.starts_with("sqlite:") {
            let (reader, writer) = sqlite::open(options).await?;
            return Ok(Store {
                backend: Backend::Sqlite {
                    reader,
                    writer: Arc::new(writer),
                },
            });
        }
        Err(StoreError::UnsupportedUrl)
    }

    pub async fn begin(&self) -> StoreResult<Tx> {
        match &self.backend {
            Backend::Sqlite { writer, .. } => Ok(Tx {
                inner: TxInner::Sqlite(writer.begin().await?),
                after_commit: Vec::new(),
            }),
        }
    }

    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite { reader, writer } => {
                writer.close().await;
                reader.close().await;
            }
        }
    }
}

impl Tx {
    pub async fn commit(self) -> StoreResult<()> {
        match self.inner {
            TxInner::Sqlite(tx) => tx.commit().await?,
        }
        for hook in self.after_commit {
            hook();
        }
        Ok(())
    }

    /// Runs `hook` after this transaction commits, for news that must not run ahead of the
    /// data (waking the webhook worker); dropped unrun if the transaction rolls back.
    pub fn after_commit(&mut self, hook: impl FnOnce() + Send + 'static) {
        self.after_commit.push(Box::new(hook));
    }
}
