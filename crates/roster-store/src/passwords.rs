//! A user's password digest. Opaque here: parsing, hashing and verifying happen in the domain.

use std::fmt;

use roster_model::time::Millis;
use sqlx::FromRow;

use crate::{Store, StoreResult, Tx, execute, on_connection};

/// A stored password digest and the hasher that reads it.
#[derive(Clone, PartialEq, Eq, FromRow)]
pub struct PasswordRecord {
    pub hasher: String,
    pub digest: String,
}

impl fmt::Debug for PasswordRecord {
    /// Shows only the hasher: a weak digest is as good as the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordRecord")
            .field("hasher", &self.hasher)
            .finish_non_exhaustive()
    }
}

impl Store {
    pub async fn password_digest(&self, user_id: &str) -> StoreResult<Option<PasswordRecord>> {
        let mut reader = self.reader().await?;
        on_connection!(reader.conn(), |c| Ok(sqlx::query_as(
            "SELECT hasher, digest FROM password_digests WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(&mut *c)
        .await?))
    }
}

impl Tx {
    /// Stores (or replaces) the user's password digest.
    pub async fn put_password_digest(
        &mut self,
        user_id: &str,
        record: &PasswordRecord,
        now: Millis,
    ) -> StoreResult<()> {
        execute!(
            self.conn(),
            "INSERT INTO password_digests (user_id, hasher, digest, updated_at) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id) DO UPDATE SET hasher = excluded.hasher, \
             digest = excluded.digest, updated_at = excluded.updated_at",
            user_id,
            &record.hasher,
            &record.digest,
            now
        );
        Ok(())
    }

    /// Replaces the digest `old` with `new` (a re-hash of the same password), unless the
    /// password was changed or removed since `old` was read: a concurrent change wins.
    pub async fn upgrade_password_digest(
        &mut self,
        user_id: &str,
        old: &PasswordRecord,
        new: &PasswordRecord,
        now: Millis,
    ) -> StoreResult<bool> {
        let rows = execute!(
            self.conn(),
            "UPDATE password_digests SET hasher = $4, digest = $5, updated_at = $6 \
             WHERE user_id = $1 AND hasher = $2 AND digest = $3",
            user_id,
            &old.hasher,
            &old.digest,
            &new.hasher,
            &new.digest,
            now
        );
        Ok(rows == 1)
    }

    pub async fn delete_password_digest(&mut self, user_id: &str) -> StoreResult<bool> {
        let rows = execute!(
            self.conn(),
            "DELETE FROM password_digests WHERE user_id = $1",
            user_id
        );
        Ok(rows == 1)
    }
}
