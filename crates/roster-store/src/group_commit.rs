//! Group commit for the embedded SQLite database.
//!
//! SQLite has one writer, and with `synchronous=FULL` every COMMIT waits for the disk. Giving
//! each write transaction its own COMMIT caps throughput at one disk flush per write. Here the
//! single writer connection runs one outer transaction, a *batch*, and each `Tx` is a savepoint
//! inside it (opened by its first statement, `savepoint.rs`). When a `Tx` commits it hands the
//! connection on and waits until the batch is durably committed; only then does its caller see
//! success.
//!
//! The batch is committed by a committer task that queues for the connection like any `Tx`.
//! The connection's mutex is fair (FIFO), so a batch holds exactly the transactions that were
//! already waiting when the committer asked for the connection: under load many writes share a
//! flush; alone, a write is committed at once. A `Tx` dropped without committing is rolled back
//! to its savepoint before anyone else uses the connection, so a failed request changes nothing
//! and the batch's other writes are unaffected.
//!
//! A write that changes one `users` row and nothing else needs no `Tx` at all: the writer's
//! connection also runs such updates, many in one round trip (`row_updates.rs`).
//!
//! No crate offers this for sqlx; it is the small amount of code below.

use std::collections::HashMap;
use std::sync::Arc;

use sqlx::{Executor, SqliteConnection};
use tokio::sync::{Mutex, Notify, OwnedMutexGuard, watch};

use crate::checkpoint::Checkpointer;
use crate::savepoint::{Savepoint, TxConnection, UNDO};
use crate::{StoreError, StoreResult};

/// How the batch a transaction joined ended.
pub(crate) type BatchOutcome = Option<Result<(), Arc<str>>>;

pub(crate) struct GroupWriter {
    /// Shared with the writer's other client, `RowUpdater`.
    pub(crate) connection: Arc<Mutex<WriterConnection>>,
    batches: Arc<std::sync::atomic::AtomicU64>,
    /// Asks the committer to commit the open batch once it gets the connection.
    pub(crate) commit_requested: Arc<Notify>,
    committer: tokio::task::JoinHandle<()>,
}

pub(crate) struct WriterConnection {
    /// The connection, and the savepoint of the transaction holding it.
    pub(crate) tx: TxConnection,
    pub(crate) batch: Option<watch::Sender<BatchOutcome>>,
    batches: Arc<std::sync::atomic::AtomicU64>,
    /// A transaction was abandoned: roll its savepoint back before anything else runs.
    abandoned: bool,
    /// The endpoints subscribed to each event type, as read on this connection, so that a
    /// write need not look them up again (a round trip to the connection's thread while every
    /// other write waits). Valid only while nothing else changed the endpoints: it is dropped
    /// when another connection (another process) has committed since the batch began
    /// (`PRAGMA data_version`), when a transaction here writes endpoints, and whenever a
    /// transaction or a batch is rolled back.
    pub(crate) subscribers: HashMap<String, Vec<String>>,
    /// `PRAGMA data_version` when the current batch began.
    data_version: Option<i64>,
    /// Copies committed pages into the database file off the writer (`checkpoint.rs`).
    checkpointer: Option<Checkpointer>,
    /// Statements run once per batch, just before its COMMIT, inside it (each ending in `;`).
    before_commit: &'static str,
}

/// A write transaction: a savepoint in the current batch, holding the connection.
pub(crate) struct GroupTx {
    guard: Option<OwnedMutexGuard<WriterConnection>>,
    outcome: watch::Receiver<BatchOutcome>,
    commit_requested: Arc<Notify>,
}

/// Opens a batch and reads, under the write lock just taken, whether another process has
/// committed since (see `WriterConnection::subscribers`).
const BEGIN: &str = "BEGIN IMMEDIATE; PRAGMA data_version";

impl WriterConnection {
    /// Rolls an abandoned transaction back to its savepoint. If that fails (SQLite rolls the
    /// whole transaction back by itself after some errors, taking the savepoint with it), or
    /// if the transaction was dropped while its first statement, which opens the savepoint,
    /// was under way, the batch is given up: its waiting transactions learn that it failed,
    /// and the connection starts clean, so one bad moment never leaves the writer stuck and
    /// never undoes another transaction's work.
    async fn settle_abandoned(&mut self) {
        if !self.abandoned {
            return;
        }
        self.abandoned = false;
        self.subscribers.clear();
        let savepoint = std::mem::replace(&mut self.tx.savepoint, Savepoint::NotOpened);
        match savepoint {
            Savepoint::NotOpened => {}
            Savepoint::Open if self.tx.connection.execute(UNDO).await.is_ok() => {}
            Savepoint::Open => {
                self.give_up_batch("rolling back a transaction failed")
                    .await;
            }
            Savepoint::Opening => {
                self.give_up_batch("a transaction was dropped while it opened its savepoint")
                    .await;
            }
        }
    }

    pub(crate) async fn give_up_batch(&mut self, why: &str) {
        tracing::error!(why, "giving up a batch of writes");
        let _ = self.tx.connection.execute("ROLLBACK").await;
        self.tx.savepoint = Savepoint::NotOpened;
        self.subscribers.clear();
        if let Some(batch) = self.batch.take() {
            batch.send_replace(Some(Err(Arc::from(why))));
        }
    }

    /// Opens the batch the next transaction writes in, if none is open. The transaction's
    /// savepoint comes with its first statement.
    pub(crate) async fn prepare_transaction(&mut self) -> StoreResult<()> {
        self.settle_abandoned().await;
        self.tx.savepoint = Savepoint::NotOpened;
        if self.batch.is_some() {
            return Ok(());
        }
        let version: i64 = match sqlx::query_scalar(BEGIN)
            .fetch_one(&mut self.tx.connection)
            .await
        {
            Ok(version) => version,
            Err(error) => {
                // BEGIN may have gone through before the pragma failed: end whatever is open.
                let _ = self.tx.connection.execute("ROLLBACK").await;
                return Err(error.into());
            }
        };
        self.batch = Some(watch::channel(None).0);
        if self.data_version != Some(version) {
            self.subscribers.clear();
            self.data_version = Some(version);
        }
        Ok(())
    }

    async fn commit_batch(&mut self) {
        self.settle_abandoned().await;
        let Some(batch) = self.batch.take() else {
            return;
        };
        // COMMIT also ends the savepoints of the batch's transactions, nested one in the next.
        let statement = format!("{} COMMIT", self.before_commit);
        self.tx.savepoint = Savepoint::NotOpened;
        let outcome = match self
            .tx
            .connection
            .execute(sqlx::raw_sql(sqlx::AssertSqlSafe(statement)))
            .await
        {
            Ok(_) => {
                self.batches
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if let Some(checkpointer) = &self.checkpointer {
                    checkpointer.batch_committed();
                }
                Ok(())
            }
            Err(error) => {
                tracing::error!(%error, "committing a batch of writes failed");
                let _ = self.tx.connection.execute("ROLLBACK").await;
                self.subscribers.clear();
                Err(Arc::from(error.to_string()))
            }
        };
        batch.send_replace(Some(outcome));
    }
}

impl std::fmt::Debug for GroupWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupWriter").finish_non_exhaustive()
    }
}

impl GroupWriter {
    pub(crate) fn new(
        connection: SqliteConnection,
        checkpointer: Option<Checkpointer>,
        before_commit: &'static str,
    ) -> Self {
        let batches = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let connection = Arc::new(Mutex::new(WriterConnection {
            tx: TxConnection {
                connection,
                savepoint: Savepoint::NotOpened,
            },
            batch: None,
            batches: batches.clone(),
            abandoned: false,
            subscribers: HashMap::new(),
            data_version: None,
            checkpointer,
            before_commit,
        }));
        let commit_requested = Arc::new(Notify::new());
        let committer = tokio::spawn(commit_loop(connection.clone(), commit_requested.clone()));
        GroupWriter {
            connection,
            batches,
            commit_requested,
            committer,
        }
    }

    /// Takes the connection for one transaction, opening a batch if none is open.
    ///
    /// The work runs in its own task: if the caller's future is dropped half-way (a client
    /// hung up), the connection's state is still brought to a known point, and the finished
    /// but unwanted `GroupTx` is dropped like any abandoned one.
    pub(crate) async fn begin(&self) -> StoreResult<GroupTx> {
        let connection = self.connection.clone();
        let commit_requested = self.commit_requested.clone();
        tokio::spawn(async move {
            let mut guard = connection.lock_owned().await;
            guard.prepare_transaction().await?;
            let outcome = guard.batch.as_ref().expect("a batch is open").subscribe();
            Ok(GroupTx {
                guard: Some(guard),
                outcome,
                commit_requested,
            })
        })
        .await
        .map_err(|_| StoreError::Corrupt("the writer task stopped".to_owned()))?
    }

    /// How many batches have been committed; fewer than transactions when writes share flushes.
    #[cfg(test)]
    pub(crate) fn batches_committed(&self) -> u64 {
        self.batches.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Commits what is pending and closes the connection; the `RowUpdater` is stopped first.
    pub(crate) async fn close(&self) {
        self.committer.abort();
        let mut guard = self.connection.lock().await;
        guard.commit_batch().await;
        let _ = guard.tx.connection.execute("PRAGMA optimize").await;
        tracing::debug!(
            batches = self.batches.load(std::sync::atomic::Ordering::Relaxed),
            "closed the writer connection"
        );
    }
}

async fn commit_loop(connection: Arc<Mutex<WriterConnection>>, commit_requested: Arc<Notify>) {
    loop {
        commit_requested.notified().await;
        connection.lock().await.commit_batch().await;
    }
}

/// Waits until the batch a write joined is committed, or has failed.
pub(crate) async fn batch_durable(mut outcome: watch::Receiver<BatchOutcome>) -> StoreResult<()> {
    let outcome = outcome
        .wait_for(Option::is_some)
        .await
        .map_err(|_| StoreError::Corrupt("the writer stopped".to_owned()))?
        .clone();
    match outcome {
        Some(Ok(())) => Ok(()),
        Some(Err(message)) => Err(StoreError::BatchFailed(message.to_string())),
        None => unreachable!("waited for an outcome"),
    }
}

impl GroupTx {
    /// The writer's endpoint subscriptions by event type (see `WriterConnection::subscribers`).
    pub(crate) fn subscribers(&mut self) -> &mut HashMap<String, Vec<String>> {
        &mut self
            .guard
            .as_mut()
            .expect("the connection is held until commit")
            .subscribers
    }

    pub(crate) fn connection(&mut self) -> &mut TxConnection {
        &mut self
            .guard
            .as_mut()
            .expect("the connection is held until commit")
            .tx
    }

    /// Hands the connection on, its savepoint left open for the batch's COMMIT to end, and
    /// waits until the batch holding it is on disk.
    pub(crate) async fn commit(mut self) -> StoreResult<()> {
        drop(self.guard.take().expect("committed once"));
        self.commit_requested.notify_one();
        batch_durable(self.outcome.clone()).await
    }
}

impl Drop for GroupTx {
    fn drop(&mut self) {
        if let Some(mut guard) = self.guard.take() {
            // Rolled back by whoever takes the connection next; the committer is told so the
            // batch does not stay open if nobody else comes.
            guard.abandoned = true;
            drop(guard);
            self.commit_requested.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::{ConnectOptions, Row};

    use super::*;

    /// A writer on a fresh database holding one table, `t (x INTEGER NOT NULL UNIQUE)`, and
    /// the options to open more connections to it.
    async fn writer(dir: &tempfile::TempDir) -> (GroupWriter, SqliteConnectOptions) {
        let options = SqliteConnectOptions::from_str(&format!(
            "sqlite://{}",
            dir.path().join("t.db").display()
        ))
        .unwrap()
        .create_if_missing(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
        let mut connection = options.connect().await.unwrap();
        connection
            .execute("CREATE TABLE t (x INTEGER NOT NULL UNIQUE)")
            .await
            .unwrap();
        (GroupWriter::new(connection, None, ""), options)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_transactions_share_commits_and_failures_stay_their_own() {
        let dir = tempfile::tempdir().unwrap();
        let (writer, options) = writer(&dir).await;
        let writer = Arc::new(writer);
        let mut tasks = Vec::new();
        for n in 0..60_i64 {
            let writer = writer.clone();
            tasks.push(tokio::spawn(async move {
                let mut tx = writer.begin().await.unwrap();
                sqlx::query("INSERT INTO t (x) VALUES ($1)")
                    .bind(n)
                    .execute(tx.connection())
                    .await
                    .unwrap();
                if n % 7 == 0 {
                    // A second statement fails (duplicate): the caller drops the transaction.
                    let duplicate = sqlx::query("INSERT INTO t (x) VALUES ($1)")
                        .bind(n)
                        .execute(tx.connection())
                        .await;
                    assert!(duplicate.is_err());
                    return false;
                }
                if n % 5 == 0 {
                    return false; // abandoned without commit
                }
                tx.commit().await.unwrap();
                true
            }));
        }
        let mut committed = Vec::new();
        for (n, task) in tasks.into_iter().enumerate() {
            if task.await.unwrap() {
                committed.push(n as i64);
            }
        }
        // Whatever a commit acknowledged is on disk, seen by a separate connection.
        let mut reader = options.connect().await.unwrap();
        let stored: Vec<i64> = sqlx::query("SELECT x FROM t ORDER BY x")
            .fetch_all(&mut reader)
            .await
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect();
        assert_eq!(stored, committed);
        assert!(
            writer.batches_committed() < committed.len() as u64,
            "{} batches for {} transactions",
            writer.batches_committed(),
            committed.len()
        );
    }

    #[tokio::test]
    async fn an_abandoned_transaction_alone_does_not_hold_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let (writer, options) = writer(&dir).await;
        {
            let mut tx = writer.begin().await.unwrap();
            sqlx::query("INSERT INTO t (x) VALUES (1)")
                .execute(tx.connection())
                .await
                .unwrap();
        }
        // The committer closes the empty batch, so another connection can write.
        let mut other = options.connect().await.unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(5), async {
            loop {
                if sqlx::query("INSERT INTO t (x) VALUES (2)")
                    .execute(&mut other)
                    .await
                    .is_ok()
                {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        })
        .await
        .expect("the write lock was released");
        let count: i64 = sqlx::query("SELECT COUNT(*) FROM t WHERE x = 1")
            .fetch_one(&mut other)
            .await
            .unwrap()
            .get(0);
        assert_eq!(count, 0);
    }

    /// Requests whose futures are dropped at any point (clients hanging up) must leave the
    /// writer usable, and a write acknowledged before must stay.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn cancelled_transactions_never_wedge_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let (writer, options) = writer(&dir).await;
        // Cut each write off after a growing delay, so that some are dropped inside every
        // await of begin, the statements and commit.
        for micros in 0..400_u64 {
            let work = async {
                let mut tx = writer.begin().await?;
                sqlx::query("INSERT INTO t (x) VALUES ($1)")
                    .bind(micros as i64)
                    .execute(tx.connection())
                    .await?;
                tx.commit().await
            };
            let _ = tokio::time::timeout(std::time::Duration::from_micros(micros), work).await;
        }
        let mut tx = tokio::time::timeout(std::time::Duration::from_secs(5), writer.begin())
            .await
            .expect("the writer is not stuck")
            .expect("the writer still works");
        sqlx::query("INSERT INTO t (x) VALUES (-1)")
            .execute(tx.connection())
            .await
            .unwrap();
        tx.commit().await.expect("and commits");
        let mut reader = options.connect().await.unwrap();
        let last: i64 = sqlx::query("SELECT COUNT(*) FROM t WHERE x = -1")
            .fetch_one(&mut reader)
            .await
            .unwrap()
            .get(0);
        assert_eq!(last, 1);
    }

    /// The statement that carries the savepoint reports its own rows and row counts only:
    /// SQLite would report the previous write's count again for the SAVEPOINT step.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_first_statement_answers_as_if_it_ran_alone() {
        let dir = tempfile::tempdir().unwrap();
        let (writer, _) = writer(&dir).await;

        let mut tx = writer.begin().await.unwrap();
        let inserted = sqlx::query("INSERT INTO t (x) VALUES (1), (2)")
            .execute(tx.connection())
            .await
            .unwrap();
        assert_eq!(inserted.rows_affected(), 2);
        tx.commit().await.unwrap();

        let mut tx = writer.begin().await.unwrap();
        let missed = sqlx::query("UPDATE t SET x = 5 WHERE x = $1")
            .bind(99_i64)
            .execute(tx.connection())
            .await
            .unwrap();
        assert_eq!(missed.rows_affected(), 0);
        tx.commit().await.unwrap();

        let mut tx = writer.begin().await.unwrap();
        let row = sqlx::query("SELECT x FROM t WHERE x = $1")
            .bind(2_i64)
            .fetch_optional(tx.connection())
            .await
            .unwrap()
            .expect("the row is found");
        assert_eq!(row.get::<i64, _>(0), 2);
        let all: Vec<i64> = sqlx::query_scalar("SELECT x FROM t ORDER BY x")
            .fetch_all(tx.connection())
            .await
            .unwrap();
        assert_eq!(all, [1, 2]);
        tx.commit().await.unwrap();

        let mut tx = writer.begin().await.unwrap();
        let all: Vec<i64> = sqlx::query_scalar("SELECT x FROM t ORDER BY x")
            .fetch_all(tx.connection())
            .await
            .unwrap();
        assert_eq!(
            all,
            [1, 2],
            "a first statement that returns rows returns them all"
        );
        drop(tx);
    }

    /// A transaction whose very first statement fails, and one that fails later, are undone
    /// alone: the writes before them in the batch stay.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn failures_undo_only_their_own_transaction() {
        let dir = tempfile::tempdir().unwrap();
        let writer = std::sync::Arc::new(writer(&dir).await.0);

        let mut tx = writer.begin().await.unwrap();
        sqlx::query("INSERT INTO t (x) VALUES (1)")
            .execute(tx.connection())
            .await
            .unwrap();
        // Committing waits for the batch; the next transactions join the same batch meanwhile.
        let first = tokio::spawn(tx.commit());

        let mut tx = writer.begin().await.unwrap();
        let duplicate = sqlx::query("INSERT INTO t (x) VALUES (1)")
            .execute(tx.connection())
            .await;
        assert!(duplicate.is_err());
        drop(tx);

        let mut tx = writer.begin().await.unwrap();
        sqlx::query("INSERT INTO t (x) VALUES (2)")
            .execute(tx.connection())
            .await
            .unwrap();
        assert!(
            sqlx::query("INSERT INTO t (x) VALUES (1)")
                .execute(tx.connection())
                .await
                .is_err()
        );
        drop(tx);

        first.await.unwrap().unwrap();
        let mut tx = writer.begin().await.unwrap();
        let all: Vec<i64> = sqlx::query_scalar("SELECT x FROM t ORDER BY x")
            .fetch_all(tx.connection())
            .await
            .unwrap();
        assert_eq!(all, [1]);
    }
}
