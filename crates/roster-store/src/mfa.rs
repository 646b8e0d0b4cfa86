//! Second factors: a user's sealed TOTP secret and the digests of their backup codes. Both are
//! opaque here; sealing and hashing happen in the domain.

use roster_model::time::Millis;
use sqlx::{FromRow, Row};

use crate::{Store, StoreResult, Tx, execute, on_connection};

/// A TOTP secret as stored: sealed under the key `key_id`.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct TotpRecord {
    pub key_id: String,
    pub sealed_secret: Vec<u8>,
    pub last_used_step: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct BackupCodeRecord {
    pub id: String,
    pub digest: String,
}

impl Store {
    pub async fn totp_secret(&self, user_id: &str) -> StoreResult<Option<TotpRecord>> {
        let mut reader = self.reader().await?;
        on_connection!(reader.conn(), |c| Ok(sqlx::query_as(
            "SELECT key_id, sealed_secret, last_used_step FROM totp_secrets WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(&mut *c)
        .await?))
    }

    pub async fn backup_codes(&self, user_id: &str) -> StoreResult<Vec<BackupCodeRecord>> {
        let mut reader = self.reader().await?;
        on_connection!(reader.conn(), |c| Ok(sqlx::query_as(
            "SELECT id, digest FROM backup_codes WHERE user_id = $1 ORDER BY created_at, id",
        )
        .bind(user_id)
        .fetch_all(&mut *c)
        .await?))
    }

    /// Every sealed TOTP secret, for re-sealing under a new key.
    pub async fn all_totp_secrets(&self) -> StoreResult<Vec<(String, TotpRecord)>> {
        let mut reader = self.reader().await?;
        on_connection!(reader.conn(), |c| {
            let rows = sqlx::query(
                "SELECT user_id, key_id, sealed_secret, last_used_step FROM totp_secrets",
            )
            .fetch_all(&mut *c)
            .await?;
            rows.iter()
                .map(|row| Ok((row.try_get(0)?, TotpRecord::from_row(row)?)))
                .collect()
        })
    }
}

impl Tx {
    /// Stores (or replaces) the user's TOTP secret; a new secret starts with no used step.
    pub async fn put_totp_secret(
        &mut self,
        user_id: &str,
        key_id: &str,
        sealed_secret: &[u8],
        now: Millis,
    ) -> StoreResult<()> {
        execute!(
            self.conn(),
            "INSERT INTO totp_secrets (user_id, key_id, sealed_secret, last_used_step, created_at, \
             updated_at) VALUES ($1, $2, $3, NULL, $4, $4) \
             ON CONFLICT (user_id) DO UPDATE SET key_id = excluded.key_id, \
             sealed_secret = excluded.sealed_secret, last_used_step = NULL, \
             updated_at = excluded.updated_at",
            user_id,
            key_id,
            sealed_secret,
            now
        );
        Ok(())
    }

    pub async fn delete_totp_secret(&mut self, user_id: &str) -> StoreResult<bool> {
        let rows = execute!(
            self.conn(),
            "DELETE FROM totp_secrets WHERE user_id = $1",
            user_id
        );
        Ok(rows == 1)
    }

    /// Records that the code of `step` was accepted. The condition makes this the single
    /// atomic check against replay: of two requests with the same code only one gets `true`.
    pub async fn use_totp_step(&mut self, user_id: &str, step: i64) -> StoreResult<bool> {
        let rows = execute!(
            self.conn(),
            "UPDATE totp_secrets SET last_used_step = $2 \
             WHERE user_id = $1 AND (last_used_step IS NULL OR last_used_step < $2)",
            user_id,
            step
        );
        Ok(rows == 1)
    }

    /// Replaces all of the user's backup codes with these digests.
    pub async fn replace_backup_codes(
        &mut self,
        user_id: &str,
        codes: &[BackupCodeRecord],
        now: Millis,
    ) -> StoreResult<()> {
        self.delete_backup_codes(user_id).await?;
        for code in codes {
            on_connection!(self.conn(), |c| {
                sqlx::query(
                "INSERT INTO backup_codes (id, user_id, digest, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(&code.id)
            .bind(user_id)
            .bind(&code.digest)
            .bind(now)
            .execute(&mut *c)
            .await?
            .rows_affected()
            });
        }
        Ok(())
    }

    pub async fn delete_backup_codes(&mut self, user_id: &str) -> StoreResult<u64> {
        let rows = execute!(
            self.conn(),
            "DELETE FROM backup_codes WHERE user_id = $1",
            user_id
        );
        Ok(rows)
    }

    /// Consumes one backup code. Only one of two concurrent uses of a code gets `true`.
    pub async fn consume_backup_code(&mut self, code_id: &str) -> StoreResult<bool> {
        let rows = execute!(
            self.conn(),
            "DELETE FROM backup_codes WHERE id = $1",
            code_id
        );
        Ok(rows == 1)
    }

    pub async fn count_backup_codes(&mut self, user_id: &str) -> StoreResult<i64> {
        on_connection!(self.conn(), |c| Ok(sqlx::query(
            "SELECT COUNT(*) FROM backup_codes WHERE user_id = $1"
        )
        .bind(user_id)
        .fetch_one(&mut *c)
        .await?
        .try_get(0)?))
    }
}
