//! The lockout counter. Each step is one conditional statement, so the database, not Roster,
//! decides which of many concurrent attempts still fit under the limit; nothing is read into
//! Rust, changed and written back.
//!
//! An attempt first reserves a slot (counts as failed), is then checked, and on success gives
//! the whole count back. So at most `max_attempts` wrong secrets are ever checked between two
//! successes, however many requests arrive at once, and a crash between the steps errs on the
//! side of the count.

use roster_model::time::Millis;
use sqlx::Row;

use crate::{Store, StoreResult, execute, on_connection};

/// The result of asking for one more verification attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptSlot {
    /// The attempt may proceed; it is the `nth` since the counter was last cleared.
    Granted {
        nth: i64,
    },
    /// The user is locked, or its remaining attempts are all taken.
    Refused,
    NoSuchUser,
}

// A lock that has run out is no lock, and its count starts over: every statement below treats
// `lock_expires_at <= now` as "not locked, nothing failed".
const EXPIRED: &str = "(lock_expires_at IS NOT NULL AND lock_expires_at <= $2)";

impl Store {
    pub async fn reserve_attempt(
        &self,
        user_id: &str,
        now: Millis,
        max_attempts: i64,
    ) -> StoreResult<AttemptSlot> {
        let sql = format!(
            "UPDATE users SET \
               failed_attempts = CASE WHEN {EXPIRED} THEN 1 ELSE failed_attempts + 1 END, \
               locked_at = CASE WHEN {EXPIRED} THEN NULL ELSE locked_at END, \
               lock_expires_at = CASE WHEN {EXPIRED} THEN NULL ELSE lock_expires_at END, \
               version = version + 1 \
             WHERE id = $1 \
               AND (locked_at IS NULL OR {EXPIRED}) \
               AND (CASE WHEN {EXPIRED} THEN 0 ELSE failed_attempts END) < $3 \
             RETURNING failed_attempts"
        );
        let mut tx = self.begin().await?;
        let nth: Option<i64> = on_connection!(tx.conn(), |c| sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(now)
            .bind(max_attempts)
            .fetch_optional(&mut *c)
            .await?
            .map(|row| row.try_get(0))
            .transpose()?);
        tx.commit().await?;
        if let Some(nth) = nth {
            return Ok(AttemptSlot::Granted { nth });
        }
        Ok(if self.user_exists(user_id).await? {
            AttemptSlot::Refused
        } else {
            AttemptSlot::NoSuchUser
        })
    }

    /// A verified attempt clears the count, unless an operator locked the user meanwhile.
    pub async fn clear_attempts(&self, user_id: &str) -> StoreResult<()> {
        let sql = "UPDATE users SET failed_attempts = 0, version = version + 1 \
                   WHERE id = $1 AND locked_at IS NULL AND failed_attempts <> 0";
        let mut tx = self.begin().await?;
        execute!(tx.conn(), sql, user_id);
        tx.commit().await
    }

    /// An attempt that was reserved but never checked (the server was too busy) gives its
    /// reservation back. A lock that started meanwhile stays.
    pub async fn refund_attempt(&self, user_id: &str) -> StoreResult<()> {
        let sql = "UPDATE users SET failed_attempts = failed_attempts - 1, version = version + 1 \
                   WHERE id = $1 AND locked_at IS NULL AND failed_attempts > 0";
        let mut tx = self.begin().await?;
        execute!(tx.conn(), sql, user_id);
        tx.commit().await
    }

    /// A failed attempt keeps its reservation; once the count reaches the limit the user locks.
    /// Returns whether this call locked the user.
    pub async fn lock_if_exhausted(
        &self,
        user_id: &str,
        now: Millis,
        max_attempts: i64,
        expires_at: Option<Millis>,
    ) -> StoreResult<bool> {
        let sql = "UPDATE users SET locked_at = $2, lock_expires_at = $4, version = version + 1 \
                   WHERE id = $1 AND locked_at IS NULL AND failed_attempts >= $3";
        let mut tx = self.begin().await?;
        let rows = execute!(tx.conn(), sql, user_id, now, max_attempts, expires_at);
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
