//! Updates of one `users` row that the SQLite writer runs itself, many in one round trip.
//!
//! A `Tx` holds the writer connection while its request's task runs each statement: every
//! statement crosses from that task to sqlx's connection thread and back, and the writes
//! queued behind it wait through each crossing. A change to the `users` row and nothing else
//! needs none of that. Its caller hands the columns to set to the `RowUpdater`
//! (`Store::update_user_row`), whose task takes the writer's connection whenever such updates
//! are queued and runs all of them as one multi-statement query: one crossing for all of them.
//! They join the open batch like any `Tx` and are acknowledged once its COMMIT is on disk.

use std::collections::VecDeque;
use std::sync::Arc;

use futures_util::StreamExt;
use roster_model::users::User;
use sqlx::{Either, Executor};
use tokio::sync::{Mutex, Notify, oneshot, watch};

use crate::error::classify;
use crate::group_commit::{BatchOutcome, GroupWriter, WriterConnection, batch_durable};
use crate::user_columns::{BindUserColumns, ColumnValue, changed_columns, push_update_statement};
use crate::{Backend, Store, StoreError, StoreResult};

/// What became of `Store::update_user_row`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowUpdateOutcome {
    /// Written and durably committed; the stored version is one past `before`'s.
    Written,
    /// The user changed since `before` was read (or is gone): nothing was written.
    Conflict,
    /// Nothing was written: the change must be made in a `Tx` (the event has subscribers, or
    /// the backend takes no row updates).
    NeedsTransaction,
}

/// A `users` row update that the writer's connection runs outside any `Tx`
/// (`RowUpdater::update_row`).
pub(crate) struct RowUpdate {
    pub(crate) user_id: String,
    /// The version the update was computed from; another write since then is a conflict.
    pub(crate) version: i64,
    pub(crate) columns: Vec<(&'static str, ColumnValue)>,
    /// The event the update causes. The writer takes the update only while it knows that no
    /// endpoint subscribes to it; otherwise the event must be written too, in a `Tx`.
    pub(crate) event_type: Option<&'static str>,
}

/// At most this many updates go in one query, which bounds its size.
const MAX_ROW_UPDATES_PER_STATEMENT: usize = 64;

type RowUpdateReply = StoreResult<(RowUpdateOutcome, Option<watch::Receiver<BatchOutcome>>)>;

struct QueuedRowUpdate {
    update: RowUpdate,
    /// What became of the update, and for one that was written, the batch to wait for.
    reply: oneshot::Sender<RowUpdateReply>,
}

#[derive(Default)]
struct RowUpdateQueue {
    queued: std::sync::Mutex<Vec<QueuedRowUpdate>>,
    wanted: Notify,
}

/// The writer connection's second client beside `Tx`: a task that runs the queued row updates.
pub(crate) struct RowUpdater {
    queue: Arc<RowUpdateQueue>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for RowUpdater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowUpdater").finish_non_exhaustive()
    }
}

impl Store {
    /// Writes the columns in which `after` differs from `before`, a user as `get_user` read
    /// it, if the stored user is still at `before`'s version, without a `Tx`: for a change to
    /// the `users` row and nothing else, whose only other effect is `event_type`. The SQLite
    /// writer runs such updates together (this module's work), and takes one only while no
    /// endpoint subscribes to its event; PostgreSQL always asks for a `Tx`.
    pub async fn update_user_row(
        &self,
        before: &User,
        after: &User,
        event_type: Option<&'static str>,
    ) -> StoreResult<RowUpdateOutcome> {
        let Backend::Sqlite { row_updater, .. } = &self.backend else {
            return Ok(RowUpdateOutcome::NeedsTransaction);
        };
        row_updater
            .update_row(RowUpdate {
                user_id: before.id.clone(),
                version: before.version,
                columns: changed_columns(before, after),
                event_type,
            })
            .await
    }
}

impl RowUpdater {
    /// Starts the task that runs row updates on `writer`'s connection, in its batches.
    pub(crate) fn start(writer: &GroupWriter) -> Self {
        let queue = Arc::new(RowUpdateQueue::default());
        let task = tokio::spawn(row_update_loop(
            writer.connection.clone(),
            queue.clone(),
            writer.commit_requested.clone(),
        ));
        RowUpdater { queue, task }
    }

    /// Stops the task; updates it has not taken yet are answered with an error.
    pub(crate) fn close(&self) {
        self.task.abort();
    }

    /// Runs `update` with the other row updates queued now, and for one that was written,
    /// waits until its batch is on disk.
    async fn update_row(&self, update: RowUpdate) -> StoreResult<RowUpdateOutcome> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .queued
            .lock()
            .expect("the queue's lock is never held across a panic")
            .push(QueuedRowUpdate { update, reply });
        self.queue.wanted.notify_one();
        let (outcome, batch) = answer
            .await
            .map_err(|_| StoreError::Corrupt("the writer stopped".to_owned()))??;
        if let Some(batch) = batch {
            batch_durable(batch).await?;
        }
        Ok(outcome)
    }
}

impl WriterConnection {
    /// Runs `updates` in the open batch, as few statements as possible, and tells each one
    /// how it went. Each is a single statement, so one that fails leaves nothing behind
    /// (SQLite undoes a failed statement whole) and needs no savepoint of its own. A failure
    /// other than a broken constraint may have ended the whole transaction, so the batch is
    /// then given up, as when a rollback fails.
    async fn run_row_updates(&mut self, updates: Vec<QueuedRowUpdate>) {
        let mut runnable = VecDeque::with_capacity(updates.len());
        for queued in updates {
            let unsubscribed = queued.update.event_type.is_none_or(|event_type| {
                self.subscribers.get(event_type).is_some_and(Vec::is_empty)
            });
            if unsubscribed {
                runnable.push_back(queued);
            } else {
                let _ = queued
                    .reply
                    .send(Ok((RowUpdateOutcome::NeedsTransaction, None)));
            }
        }
        while !runnable.is_empty() {
            let group = runnable.len().min(MAX_ROW_UPDATES_PER_STATEMENT);
            let mut sql = String::new();
            let mut first_parameter = 1;
            for queued in runnable.iter().take(group) {
                push_update_statement(&mut sql, &queued.update.columns, first_parameter);
                sql.push_str(";\n");
                first_parameter += 2 + queued.update.columns.len();
            }
            // Built only from the fixed column names of `user_columns`; values are bound.
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for queued in runnable.iter().take(group) {
                let update = &queued.update;
                query = query
                    .bind(&update.user_id)
                    .bind(update.version)
                    .bind_values(&update.columns);
            }
            let mut changed_rows = Vec::with_capacity(group);
            let mut failure = None;
            {
                let mut steps = self.tx.connection.fetch_many(query);
                while let Some(step) = steps.next().await {
                    match step {
                        Ok(Either::Left(done)) => changed_rows.push(done.rows_affected()),
                        Ok(Either::Right(_)) => {}
                        Err(error) => {
                            failure = Some(error);
                            break;
                        }
                    }
                }
            }
            for rows in changed_rows {
                let queued = runnable.pop_front().expect("one result per statement");
                let reply = if rows == 1 {
                    let batch = self.batch.as_ref().expect("a batch is open").subscribe();
                    (RowUpdateOutcome::Written, Some(batch))
                } else {
                    (RowUpdateOutcome::Conflict, None)
                };
                let _ = queued.reply.send(Ok(reply));
            }
            let Some(error) = failure else {
                continue;
            };
            let failed = runnable.pop_front().expect("the statement that failed");
            let broke_a_constraint = error
                .as_database_error()
                .is_some_and(|error| error.kind() != sqlx::error::ErrorKind::Other);
            let _ = failed.reply.send(Err(classify(error, None)));
            if !broke_a_constraint {
                self.give_up_batch("a row update failed").await;
                for queued in runnable.drain(..) {
                    let _ = queued.reply.send(Err(StoreError::BatchFailed(
                        "a row update before this one failed".to_owned(),
                    )));
                }
            }
        }
    }
}

/// Takes the connection whenever row updates are queued, and runs all of them at once.
async fn row_update_loop(
    connection: Arc<Mutex<WriterConnection>>,
    queue: Arc<RowUpdateQueue>,
    commit_requested: Arc<Notify>,
) {
    loop {
        queue.wanted.notified().await;
        let mut writer = connection.lock().await;
        // Taken once the connection is held, so updates queued meanwhile come along.
        let updates = std::mem::take(
            &mut *queue
                .queued
                .lock()
                .expect("the queue's lock is never held across a panic"),
        );
        if updates.is_empty() {
            continue;
        }
        match writer.prepare_transaction().await {
            Ok(()) => writer.run_row_updates(updates).await,
            Err(error) => {
                let message = error.to_string();
                for queued in updates {
                    let _ = queued
                        .reply
                        .send(Err(StoreError::BatchFailed(message.clone())));
                }
            }
        }
        drop(writer);
        commit_requested.notify_one();
    }
}

#[cfg(test)]
mod tests {
    /// Row updates queued while the writer is busy run together once it is free, and each
    /// comes back as what happened to it alone: written, refused by a unique index (the others
    /// beside it still written), in conflict with a newer version, or sent back to a `Tx`
    /// while the writer does not know that nobody subscribes to its event.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn row_updates_queued_together_each_get_their_own_outcome() {
        use roster_model::users::User;

        use crate::{RowUpdateOutcome, Store, StoreError, UniqueKey};

        let dir = tempfile::tempdir().unwrap();
        let store = crate::test_store(&dir).await;
        let mut tx = store.begin().await.unwrap();
        crate::on_connection!(tx.conn(), |c| {
            sqlx::query(
                "INSERT INTO users (id, username, username_normalized, first_name, created_at, \
                 updated_at) VALUES ('user_a', 'ada', 'ada', 'Ada', 1, 1), \
                 ('user_b', 'bob', 'bob', 'Bob', 1, 1), ('user_c', 'cy', 'cy', 'Cy', 1, 1)",
            )
            .execute(&mut *c)
            .await
            .unwrap()
            .rows_affected()
        });
        tx.commit().await.unwrap();
        let read = |id: &'static str| {
            let store = store.clone();
            async move { store.get_user(id).await.unwrap().unwrap() }
        };
        let (a, b, c) = (
            read("user_a").await,
            read("user_b").await,
            read("user_c").await,
        );
        let renamed = |user: &User, name: &str| User {
            first_name: Some(name.to_owned()),
            ..user.clone()
        };
        let stale_c = User {
            version: c.version - 1,
            ..c.clone()
        };
        let b_taking_ada = User {
            username: Some("Ada".to_owned()),
            ..b.clone()
        };
        let update = |before: User, after: User, event: Option<&'static str>| {
            let store: Store = store.clone();
            tokio::spawn(async move { store.update_user_row(&before, &after, event).await })
        };

        // While a transaction holds the writer, the updates can only queue.
        let held = store.begin().await.unwrap();
        let written = update(a.clone(), renamed(&a, "Augusta"), None);
        let refused = update(b.clone(), b_taking_ada, None);
        let conflicting = update(stale_c, renamed(&c, "Cyrus"), None);
        let unknown_event = update(b.clone(), renamed(&b, "Robert"), Some("user.updated"));
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        drop(held);

        assert_eq!(written.await.unwrap().unwrap(), RowUpdateOutcome::Written);
        assert!(matches!(
            refused.await.unwrap(),
            Err(StoreError::Duplicate(UniqueKey::Username))
        ));
        assert_eq!(
            conflicting.await.unwrap().unwrap(),
            RowUpdateOutcome::Conflict
        );
        assert_eq!(
            unknown_event.await.unwrap().unwrap(),
            RowUpdateOutcome::NeedsTransaction
        );
        let a_now = read("user_a").await;
        assert_eq!(
            (a_now.first_name.as_deref(), a_now.version),
            (Some("Augusta"), a.version + 1)
        );
        assert_eq!(read("user_b").await, b);
        assert_eq!(read("user_c").await, c);

        // Once a transaction has found that nobody subscribes, the writer knows it too.
        let mut tx = store.begin().await.unwrap();
        assert!(
            tx.event_subscribers("user.updated")
                .await
                .unwrap()
                .is_empty()
        );
        tx.commit().await.unwrap();
        let outcome = update(b.clone(), renamed(&b, "Robert"), Some("user.updated"));
        assert_eq!(outcome.await.unwrap().unwrap(), RowUpdateOutcome::Written);
        assert_eq!(read("user_b").await.first_name.as_deref(), Some("Robert"));
    }
}
