//! WAL checkpoints on a connection of their own.
//!
//! In WAL mode a commit appends pages to the log, and a checkpoint copies them back into the
//! database file. SQLite's automatic checkpoint runs inside the commit that crosses its
//! threshold, on the writer connection, so every write queued behind that commit waited while
//! about a thousand pages were copied. Here a task copies them after each batch on a second
//! connection, in parallel with the writer (a PASSIVE checkpoint never blocks the writer). The
//! writer keeps its automatic checkpoint: it now finds the pages already copied, and it is still
//! what lets the next write start the log over from its beginning.

use std::sync::Arc;

use sqlx::{Executor, SqliteConnection};
use tokio::sync::Notify;

pub(crate) struct Checkpointer {
    wanted: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl Checkpointer {
    pub(crate) fn start(mut connection: SqliteConnection) -> Self {
        let wanted = Arc::new(Notify::new());
        let notified = wanted.clone();
        let task = tokio::spawn(async move {
            loop {
                // Batches committed while a checkpoint runs leave one permit: one more run.
                notified.notified().await;
                if let Err(error) = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").await {
                    tracing::warn!(%error, "a background checkpoint failed");
                }
            }
        });
        Checkpointer { wanted, task }
    }

    /// A batch was committed: its pages can be copied.
    pub(crate) fn batch_committed(&self) {
        self.wanted.notify_one();
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
