//! One-time-code verifications: stored with a digest of the code, never the code.

use roster_model::messages::CodeVerification;
use roster_model::users::{VerificationStatus, VerificationStrategy};
use sqlx::FromRow;

use crate::{Store, StoreError, StoreResult, Tx, execute, on_connection};

const COLUMNS: &str = "id, identification_id, user_id, strategy, status, code_digest, attempts, \
    max_attempts, expire_at, created_at, updated_at";

#[derive(FromRow)]
struct VerificationRow {
    id: String,
    identification_id: String,
    user_id: String,
    strategy: String,
    status: String,
    code_digest: String,
    attempts: i64,
    max_attempts: i64,
    expire_at: i64,
    created_at: i64,
    updated_at: i64,
}

impl Store {
    pub async fn verification(&self, id: &str) -> StoreResult<Option<CodeVerification>> {
        let mut reader = self.reader().await?;
        let row: Option<VerificationRow> = on_connection!(reader.conn(), |c| sqlx::query_as(
            sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM verifications WHERE id = $1"))
        )
        .bind(id)
        .fetch_optional(&mut *c)
        .await?);
        row.map(from_row).transpose()
    }
}

impl Tx {
    pub async fn insert_verification(&mut self, v: &CodeVerification) -> StoreResult<()> {
        execute!(
            self.conn(),
            sqlx::AssertSqlSafe(format!(
                "INSERT INTO verifications ({COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            )),
            &v.id,
            &v.identification_id,
            &v.user_id,
            v.strategy.as_str(),
            v.status.as_str(),
            &v.code_digest,
            v.attempts,
            v.max_attempts,
            v.expire_at,
            v.created_at,
            v.updated_at
        );
        Ok(())
    }

    /// When the newest code for an identification was prepared.
    pub async fn last_verification_at(
        &mut self,
        identification_id: &str,
    ) -> StoreResult<Option<i64>> {
        let row: Option<(Option<i64>,)> = on_connection!(self.conn(), |c| sqlx::query_as(
            "SELECT MAX(created_at) FROM verifications WHERE identification_id = $1",
        )
        .bind(identification_id)
        .fetch_optional(&mut *c)
        .await?);
        Ok(row.and_then(|(at,)| at))
    }

    pub async fn load_verification(&mut self, id: &str) -> StoreResult<Option<CodeVerification>> {
        let row: Option<VerificationRow> = on_connection!(self.conn(), |c| sqlx::query_as(
            sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM verifications WHERE id = $1"))
        )
        .bind(id)
        .fetch_optional(&mut *c)
        .await?);
        row.map(from_row).transpose()
    }

    /// Records an attempt's outcome, provided no concurrent attempt was recorded since
    /// `previous_attempts` was read; returns whether this write won.
    pub async fn record_verification_attempt(
        &mut self,
        v: &CodeVerification,
        previous_attempts: i64,
    ) -> StoreResult<bool> {
        let rows = execute!(
            self.conn(),
            "UPDATE verifications SET status = $2, attempts = $3, updated_at = $4 \
             WHERE id = $1 AND attempts = $5",
            &v.id,
            v.status.as_str(),
            v.attempts,
            v.updated_at,
            previous_attempts
        );
        Ok(rows == 1)
    }
}

fn from_row(row: VerificationRow) -> StoreResult<CodeVerification> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("unknown {what} in verification"));
    Ok(CodeVerification {
        strategy: VerificationStrategy::parse(&row.strategy).ok_or_else(|| corrupt("strategy"))?,
        status: VerificationStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?,
        id: row.id,
        identification_id: row.identification_id,
        user_id: row.user_id,
        code_digest: row.code_digest,
        attempts: row.attempts,
        max_attempts: row.max_attempts,
        expire_at: row.expire_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}
