//! Secret API keys, stored only as SHA-256 digests of the whole key.

use roster_model::time::Millis;
use sqlx::{FromRow, Row};

use crate::{Store, StoreResult, execute, on_connection};

#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct ApiKeyRecord {
    pub id: String,
    pub prefix: String,
    pub environment: String,
    pub label: Option<String>,
    pub created_at: Millis,
    pub revoked_at: Option<Millis>,
}

impl Store {
    pub async fn insert_api_key(&self, record: &ApiKeyRecord, key_hash: &[u8]) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        execute!(
            tx.conn(),
            "INSERT INTO api_keys (id, key_hash, prefix, environment, label, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            &record.id,
            key_hash,
            &record.prefix,
            &record.environment,
            &record.label,
            record.created_at
        );
        tx.commit().await
    }

    /// Whether an unrevoked key has this digest.
    pub async fn api_key_is_active(&self, key_hash: &[u8]) -> StoreResult<bool> {
        let mut reader = self.reader().await?;
        on_connection!(reader.conn(), |c| {
            let row =
                sqlx::query("SELECT 1 FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL")
                    .bind(key_hash)
                    .fetch_optional(&mut *c)
                    .await?;
            Ok(row.is_some())
        })
    }

    pub async fn list_api_keys(&self) -> StoreResult<Vec<ApiKeyRecord>> {
        let mut reader = self.reader().await?;
        on_connection!(reader.conn(), |c| Ok(sqlx::query_as(
            "SELECT id, prefix, environment, label, created_at, revoked_at FROM api_keys \
             ORDER BY created_at, id",
        )
        .fetch_all(&mut *c)
        .await?))
    }

    /// Marks a key revoked; false when no unrevoked key has that id.
    pub async fn revoke_api_key(&self, id: &str, now: Millis) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let rows = execute!(
            tx.conn(),
            "UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
            id,
            now
        );
        tx.commit().await?;
        Ok(rows == 1)
    }

    /// How many unrevoked keys exist.
    pub async fn count_active_api_keys(&self) -> StoreResult<i64> {
        let mut reader = self.reader().await?;
        on_connection!(reader.conn(), |c| Ok(sqlx::query(
            "SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL",
        )
        .fetch_one(&mut *c)
        .await?
        .try_get(0)?))
    }
}
