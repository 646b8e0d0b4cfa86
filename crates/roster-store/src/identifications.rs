//! Single identifications (email addresses, phone numbers, web3 wallets) changed on their
//! own, outside a whole-user write: find the owner of one, update or delete it.

use roster_model::users::Identification;
use sqlx::Row;

use crate::error::classify;
use crate::{Store, StoreResult, Tx, execute, on_connection};

impl Store {
    /// The user an identification belongs to.
    pub async fn identification_user(&self, id: &str) -> StoreResult<Option<String>> {
        let mut reader = self.reader().await?;
        on_connection!(reader.conn(), |c| Ok(sqlx::query(
            "SELECT user_id FROM identifications WHERE id = $1"
        )
        .bind(id)
        .fetch_optional(&mut *c)
        .await?
        .map(|row| row.get(0))))
    }
}

impl Tx {
    /// The user an identification belongs to, read inside the write transaction.
    pub async fn identification_user(&mut self, id: &str) -> StoreResult<Option<String>> {
        on_connection!(self.conn(), |c| Ok(sqlx::query(
            "SELECT user_id FROM identifications WHERE id = $1"
        )
        .bind(id)
        .fetch_optional(&mut *c)
        .await?
        .map(|row| row.get(0))))
    }

    /// Writes the mutable columns of an identification (never its value or owner).
    pub async fn update_identification(
        &mut self,
        identification: &Identification,
    ) -> StoreResult<bool> {
        let verification = identification.verification.as_ref();
        let rows = on_connection!(self.conn(), |c| sqlx::query(
            "UPDATE identifications SET reserved = $2, verification_strategy = $3, \
             verification_status = $4, verification_attempts = $5, verification_expire_at = $6, \
             reserved_for_second_factor = $7, default_second_factor = $8, updated_at = $9 \
             WHERE id = $1",
        )
        .bind(&identification.id)
        .bind(identification.reserved)
        .bind(verification.map(|v| v.strategy.as_str()))
        .bind(verification.map(|v| v.status.as_str()))
        .bind(verification.and_then(|v| v.attempts))
        .bind(verification.and_then(|v| v.expire_at))
        .bind(identification.reserved_for_second_factor)
        .bind(identification.default_second_factor)
        .bind(identification.updated_at)
        .execute(&mut *c)
        .await
        .map_err(|error| classify(error, Some(identification.kind)))?
        .rows_affected());
        Ok(rows == 1)
    }

    pub async fn delete_identification(&mut self, id: &str) -> StoreResult<bool> {
        let rows = execute!(self.conn(), "DELETE FROM identifications WHERE id = $1", id);
        Ok(rows == 1)
    }
}
