//! Secrets stored sealed under an encryption key (TOTP secrets, webhook signing secrets): each
//! row names its key in `key_id`, so that a key rotation can re-seal the rows one by one.

use crate::{StoreResult, Tx, execute};

impl Tx {
    /// Re-seals one row's secret under `key_id`, unless it is no longer sealed under
    /// `old_key_id` (another node re-sealed it meanwhile) or the row is gone: then false.
    /// `statement` is the table's `UPDATE … SET key_id = $3, sealed_secret = $4
    /// WHERE <row's key> = $1 AND key_id = $2`.
    pub(crate) async fn reseal(
        &mut self,
        statement: &'static str,
        row: &str,
        old_key_id: &str,
        key_id: &str,
        sealed_secret: &[u8],
    ) -> StoreResult<bool> {
        let rows = execute!(
            self.conn(),
            statement,
            row,
            old_key_id,
            key_id,
            sealed_secret
        );
        Ok(rows == 1)
    }
}
