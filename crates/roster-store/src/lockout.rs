//! The lockout counter. Each step is one conditional statement, so the database, not Roster,
//! decides which of many concurrent attempts still fit under the limit; nothing is read into
//! Rust, changed and written back.
//!
//! Failures are counted per kind of secret (`CredentialClass`), one column each, and the limit
//! applies to their sum. An attempt first reserves a slot in its kind's column (counts as
//! failed), is then checked, and on success gives back its own kind's count, never another's.
//! So between two successes of a kind at most `max_attempts` wrong secrets of that kind are
//! checked, however many requests arrive at once and whatever else succeeds meanwhile, and a
//! crash between the steps errs on the side of the count.

use roster_model::time::Millis;
use roster_model::users::CredentialClass;

use crate::{Store, StoreResult, execute, on_connection};

/// The result of asking for one more verification attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptSlot {
    /// The attempt may proceed.
    Granted,
    /// The user is locked, or its remaining attempts are all taken.
    Refused,
    NoSuchUser,
}

const FAILURE_COLUMNS: [&str; 3] = [
    "failed_password_attempts",
    "failed_second_factor_attempts",
    "failed_code_attempts",
];

const FAILURES: &str =
    "(failed_password_attempts + failed_second_factor_attempts + failed_code_attempts)";

fn failure_column(class: CredentialClass) -> &'static str {
    match class {
        CredentialClass::Password => FAILURE_COLUMNS[0],
        CredentialClass::SecondFactor => FAILURE_COLUMNS[1],
        CredentialClass::OneTimeCode => FAILURE_COLUMNS[2],
    }
}

// A lock that has run out is no lock, and its count starts over: every statement below treats
// `lock_expires_at <= now` as "not locked, nothing failed".
const EXPIRED: &str = "(lock_expires_at IS NOT NULL AND lock_expires_at <= $2)";

/// `SET` clauses that add the reserved attempt to `class`'s column, each column starting from
/// zero when the lock has run out.
fn reserving_assignments(class: CredentialClass) -> String {
    FAILURE_COLUMNS
        .iter()
        .map(|column| {
            let added = u8::from(*column == failure_column(class));
            format!("{column} = CASE WHEN {EXPIRED} THEN 0 ELSE {column} END + {added}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    pub async fn reserve_attempt(
        &self,
        user_id: &str,
        class: CredentialClass,
        now: Millis,
        max_attempts: i64,
    ) -> StoreResult<AttemptSlot> {
        let sql = format!(
            "UPDATE users SET {}, \
               locked_at = CASE WHEN {EXPIRED} THEN NULL ELSE locked_at END, \
               lock_expires_at = CASE WHEN {EXPIRED} THEN NULL ELSE lock_expires_at END, \
               version = version + 1 \
             WHERE id = $1 \
               AND (locked_at IS NULL OR {EXPIRED}) \
               AND (CASE WHEN {EXPIRED} THEN 0 ELSE {FAILURES} END) < $3",
            reserving_assignments(class)
        );
        let mut tx = self.begin().await?;
        let granted = on_connection!(tx.conn(), |c| sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(now)
            .bind(max_attempts)
            .execute(&mut *c)
            .await?
            .rows_affected())
            == 1;
        tx.commit().await?;
        if granted {
            return Ok(AttemptSlot::Granted);
        }
        Ok(if self.user_exists(user_id).await? {
            AttemptSlot::Refused
        } else {
            AttemptSlot::NoSuchUser
        })
    }

    /// A verified attempt clears the failures of its own kind, unless an operator locked the
    /// user meanwhile. The other kinds' failures stay: this secret says nothing about those.
    pub async fn clear_attempts(&self, user_id: &str, class: CredentialClass) -> StoreResult<()> {
        let column = failure_column(class);
        let sql = format!(
            "UPDATE users SET {column} = 0, version = version + 1 \
             WHERE id = $1 AND locked_at IS NULL AND {column} <> 0"
        );
        let mut tx = self.begin().await?;
        execute!(tx.conn(), sqlx::AssertSqlSafe(sql), user_id);
        tx.commit().await
    }

    /// An attempt that was reserved but never checked (the server was too busy) gives its
    /// reservation back. A lock that started meanwhile stays.
    pub async fn refund_attempt(&self, user_id: &str, class: CredentialClass) -> StoreResult<()> {
        let column = failure_column(class);
        let sql = format!(
            "UPDATE users SET {column} = {column} - 1, version = version + 1 \
             WHERE id = $1 AND locked_at IS NULL AND {column} > 0"
        );
        let mut tx = self.begin().await?;
        execute!(tx.conn(), sqlx::AssertSqlSafe(sql), user_id);
        tx.commit().await
    }

    /// A failed attempt keeps its reservation; once all failures together reach the limit the
    /// user locks. Returns whether this call locked the user.
    pub async fn lock_if_exhausted(
        &self,
        user_id: &str,
        now: Millis,
        max_attempts: i64,
        expires_at: Option<Millis>,
    ) -> StoreResult<bool> {
        let sql = format!(
            "UPDATE users SET locked_at = $2, lock_expires_at = $4, version = version + 1 \
             WHERE id = $1 AND locked_at IS NULL AND {FAILURES} >= $3"
        );
        let mut tx = self.begin().await?;
        let rows = execute!(
            tx.conn(),
            sqlx::AssertSqlSafe(sql),
            user_id,
            now,
            max_attempts,
            expires_at
        );
        tx.commit().await?;
        Ok(rows == 1)
    }

    async fn user_exists(&self, user_id: &str) -> StoreResult<bool> {
        let mut reader = self.reader().await?;
        on_connection!(reader.conn(), |c| Ok(sqlx::query(
            "SELECT 1 FROM users WHERE id = $1"
        )
        .bind(user_id)
        .fetch_optional(&mut *c)
        .await?
        .is_some()))
    }
}
