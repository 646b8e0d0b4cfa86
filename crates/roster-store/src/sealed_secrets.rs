//! Secrets stored sealed under an encryption key (TOTP secrets, webhook signing secrets): each
//! row names its key in `key_id`, so that a key rotation can re-seal the rows one by one.

use crate::{StoreResult, Tx, execute};

/// The tables whose rows hold a sealed secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SealedSecret {
    /// `totp_secrets`, one row per user, keyed by the user's id.
    Totp,
    /// `webhook_endpoints`, keyed by the endpoint's id.
    WebhookSigning,
}

impl SealedSecret {
    fn reseal_statement(self) -> &'static str {
        match self {
            SealedSecret::Totp => {
                "UPDATE totp_secrets SET key_id = $3, sealed_secret = $4 \
                 WHERE user_id = $1 AND key_id = $2"
            }
            SealedSecret::WebhookSigning => {
                "UPDATE webhook_endpoints SET key_id = $3, sealed_secret = $4 \
                 WHERE id = $1 AND key_id = $2"
            }
        }
    }
}

impl Tx {
    /// Re-seals the secret of row `row` (a user id for TOTP, an endpoint id for webhooks)
    /// under `key_id`, unless it is no longer sealed under `old_key_id` (another node re-sealed
    /// it meanwhile) or the row is gone: then false.
    pub async fn reseal(
        &mut self,
        secret: SealedSecret,
        row: &str,
        old_key_id: &str,
        key_id: &str,
        sealed_secret: &[u8],
    ) -> StoreResult<bool> {
        let rows = execute!(
            self.conn(),
            secret.reseal_statement(),
            row,
            old_key_id,
            key_id,
            sealed_secret
        );
        Ok(rows == 1)
    }
}
