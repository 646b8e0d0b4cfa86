//! How a write transaction's statements reach the SQLite writer connection.
//!
//! Each `Tx` in a batch (`group_commit.rs`) works inside a savepoint of its own, so that a
//! failed or abandoned write can be undone without touching the batch's other writes. Opening
//! that savepoint as a statement of its own, and releasing it on commit, cost two extra round
//! trips to sqlx's connection thread per write while every other write waited for the
//! connection. Here the savepoint travels with the transaction's first statement instead
//! (`SAVEPOINT roster_tx; <statement>`, one round trip), and it is never released: savepoints
//! of successive writes nest, and the batch's COMMIT ends them all.
//!
//! sqlx runs a multi-statement query one statement after another on its thread, binding `$N`
//! parameters by number, and yields one result per statement; the savepoint's result is taken
//! out of the stream here, so callers see exactly what their own statement produced.

use futures_util::{StreamExt, TryStreamExt};
use sqlx::sqlite::{SqliteQueryResult, SqliteRow};
use sqlx::{Either, Execute, Executor, Sqlite, SqliteConnection};

/// Opens the current transaction's savepoint. Savepoints of one name nest; `ROLLBACK TO` and
/// `RELEASE` act on the innermost, which is the current transaction's.
pub(crate) const OPEN: &str = "SAVEPOINT roster_tx";
/// Undoes the current transaction and removes its (innermost) savepoint.
pub(crate) const UNDO: &str = "ROLLBACK TO roster_tx; RELEASE roster_tx";

/// Where the current transaction's savepoint stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Savepoint {
    /// No statement has run yet: the next one opens it.
    NotOpened,
    /// A statement carrying `SAVEPOINT` was sent and its outcome is not known yet. If the
    /// transaction is abandoned now, whether the savepoint exists is unknown.
    Opening,
    /// The savepoint is open: everything the transaction did can be undone.
    Open,
}

/// The writer connection as a transaction's statements see it: an sqlx executor that opens
/// the transaction's savepoint with its first statement.
pub(crate) struct TxConnection {
    pub(crate) connection: SqliteConnection,
    pub(crate) savepoint: Savepoint,
}

impl std::fmt::Debug for TxConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TxConnection")
            .field("savepoint", &self.savepoint)
            .finish_non_exhaustive()
    }
}

type Step = Either<SqliteQueryResult, SqliteRow>;

impl<'c> Executor<'c> for &'c mut TxConnection {
    type Database = Sqlite;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        mut query: E,
    ) -> futures_core::stream::BoxStream<'e, Result<Step, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Sqlite>,
    {
        if self.savepoint != Savepoint::NotOpened {
            return self.connection.fetch_many(query);
        }
        let arguments = match query.take_arguments() {
            Ok(arguments) => arguments,
            Err(error) => {
                return futures_util::stream::once(async { Err(sqlx::Error::Encode(error)) })
                    .boxed();
            }
        };
        let persistent = query.persistent();
        // The caller's statement text is already SQL-safe; only a fixed prefix is added.
        let sql = sqlx::AssertSqlSafe(format!("{OPEN}; {}", query.sql().as_str()));
        let prefixed = sqlx::query_with(sql, arguments.unwrap_or_default()).persistent(persistent);
        self.savepoint = Savepoint::Opening;
        let savepoint = &mut self.savepoint;
        let mut steps = self.connection.fetch_many(prefixed);
        futures_util::stream::once(async move {
            // The first step is the savepoint's own; an error there means it never opened
            // and the caller's statement never ran.
            match steps.next().await {
                Some(Ok(Either::Left(_))) => {
                    *savepoint = Savepoint::Open;
                    steps
                }
                Some(Err(error)) => {
                    *savepoint = Savepoint::NotOpened;
                    futures_util::stream::once(async { Err(error) }).boxed()
                }
                Some(Ok(Either::Right(_))) | None => {
                    unreachable!("SAVEPOINT returns no rows and always completes")
                }
            }
        })
        .flatten()
        .boxed()
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> futures_core::future::BoxFuture<'e, Result<Option<SqliteRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Sqlite>,
    {
        if self.savepoint != Savepoint::NotOpened {
            return self.connection.fetch_optional(query);
        }
        Box::pin(async move {
            let mut rows = self.fetch(query);
            let first = rows.try_next().await?;
            // The rest of the statement still runs to its end, as a single fetch would.
            while rows.try_next().await?.is_some() {}
            Ok(first)
        })
    }

    fn prepare_with<'e>(
        self,
        sql: sqlx::SqlStr,
        parameters: &'e [sqlx::sqlite::SqliteTypeInfo],
    ) -> futures_core::future::BoxFuture<'e, Result<sqlx::sqlite::SqliteStatement, sqlx::Error>>
    where
        'c: 'e,
    {
        self.connection.prepare_with(sql, parameters)
    }

    fn describe<'e>(
        self,
        sql: sqlx::SqlStr,
    ) -> futures_core::future::BoxFuture<'e, Result<sqlx::Describe<Sqlite>, sqlx::Error>>
    where
        'c: 'e,
    {
        self.connection.describe(sql)
    }
}
