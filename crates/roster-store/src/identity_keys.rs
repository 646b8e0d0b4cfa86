//! The one-time recomputation of stored identity keys that migration 0014 asks for.
//!
//! Emails and usernames are unique by their `identity_key`, a Unicode folding that SQL cannot
//! compute, so the migration only leaves a note in `pending_data_migrations` and the first
//! store to open the database afterwards re-keys the rows here, in Rust.

use roster_model::users::identity_key;

use crate::{Store, StoreResult, Tx, execute, on_connection};

const NAME: &str = "identity_keys_folded";

/// For ASCII text the folded key is the lower-cased one that was stored before, so only
/// values with other characters (more bytes than characters) can need a new key.
const USERNAMES: &str = "SELECT id, username, username_normalized FROM users \
    WHERE username IS NOT NULL AND octet_length(username) <> length(username)";
const EMAILS: &str = "SELECT id, value, value_normalized FROM identifications \
    WHERE kind = 'email_address' AND octet_length(value) <> length(value)";

/// Re-keys the stored emails and usernames if migration 0014's note is still there. Taking
/// the note is the statement's first write, so on PostgreSQL a second node opening the database
/// at the same moment waits on that row and then finds nothing left to do.
pub(crate) async fn refold_if_pending(store: &Store) -> StoreResult<()> {
    let mut tx = store.begin().await?;
    let taken = execute!(
        tx.conn(),
        "DELETE FROM pending_data_migrations WHERE name = $1",
        NAME
    );
    if taken == 0 {
        return Ok(());
    }
    let usernames = rows(&mut tx, USERNAMES).await?;
    let mut refolded = rekey(
        &mut tx,
        usernames,
        "SELECT id FROM users WHERE username_normalized = $1 AND id <> $2",
        "UPDATE users SET username_normalized = $1 WHERE id = $2",
    )
    .await?;
    let emails = rows(&mut tx, EMAILS).await?;
    refolded += rekey(
        &mut tx,
        emails,
        "SELECT id FROM identifications \
         WHERE kind = 'email_address' AND value_normalized = $1 AND id <> $2",
        "UPDATE identifications SET value_normalized = $1 WHERE id = $2",
    )
    .await?;
    tx.commit().await?;
    tracing::info!(refolded, "stored email and username keys recomputed");
    Ok(())
}

/// `(id, value, stored key)` rows.
async fn rows(
    tx: &mut Tx,
    sql: &'static str,
) -> StoreResult<Vec<(String, String, Option<String>)>> {
    Ok(on_connection!(tx.conn(), |c| sqlx::query_as(sql)
        .fetch_all(&mut *c)
        .await?))
}

/// Gives each row its folded key, unless another row already holds that key: two identities
/// that were distinct before and fold together now keep their old keys (and are logged), since
/// picking which of them loses its identifier is an operator's decision.
async fn rekey(
    tx: &mut Tx,
    rows: Vec<(String, String, Option<String>)>,
    holder_sql: &'static str,
    update_sql: &'static str,
) -> StoreResult<u64> {
    let mut changed = 0;
    for (id, value, stored) in rows {
        let key = identity_key(&value);
        if stored.as_deref() == Some(key.as_str()) {
            continue;
        }
        let holder: Option<String> = on_connection!(tx.conn(), |c| sqlx::query_scalar(holder_sql)
            .bind(&key)
            .bind(&id)
            .fetch_optional(&mut *c)
            .await?);
        if let Some(holder) = holder {
            tracing::warn!(
                %id,
                %holder,
                "two identities fold to the same key; this one keeps its old key"
            );
            continue;
        }
        changed += execute!(tx.conn(), update_sql, &key, &id);
    }
    Ok(changed)
}
