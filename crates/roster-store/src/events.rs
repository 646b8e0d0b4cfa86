//! The outbox: events written in the transaction of the change that caused them, each fanned
//! out at once into one pending delivery per subscribed endpoint. Also the instance's id, which
//! every event names.

use roster_model::time::Millis;
use sqlx::Row;

use crate::{Dialect, Store, StoreResult, Tx, execute, on_connection};

/// One event as the outbox stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRecord {
    pub id: String,
    pub event_type: String,
    pub ordering_key: Option<String>,
    /// The envelope, serialized once: these exact bytes are signed and sent.
    pub payload: String,
    pub created_at: Millis,
}

impl Store {
    /// The instance's id, made by `make` and stored on first call; later calls (and other
    /// nodes sharing the database) read the stored one.
    pub async fn instance_id(&self, make: impl FnOnce() -> String) -> StoreResult<String> {
        let mut tx = self.begin().await?;
        let made = make();
        let id: String = on_connection!(tx.conn(), |c| {
            sqlx::query(
                "INSERT INTO instance (key, value) VALUES ('id', $1) ON CONFLICT DO NOTHING",
            )
            .bind(made)
            .execute(&mut *c)
            .await?;
            sqlx::query("SELECT value FROM instance WHERE key = 'id'")
                .fetch_one(&mut *c)
                .await?
                .try_get(0)?
        });
        tx.commit().await?;
        Ok(id)
    }
}

impl Tx {
    /// Appends an event and queues its delivery to every endpoint that subscribes to its type;
    /// `new_delivery_id` names each delivery. Returns how many deliveries were queued (none,
    /// and nothing stored, when no endpoint subscribes).
    pub async fn insert_event(
        &mut self,
        event: &EventRecord,
        mut new_delivery_id: impl FnMut() -> String,
    ) -> StoreResult<u64> {
        // `events` is a JSON array of the types an endpoint subscribes to.
        let subscribers = match self.conn().dialect() {
            Dialect::Sqlite => {
                "SELECT id FROM webhook_endpoints WHERE events IS NULL \
                 OR EXISTS (SELECT 1 FROM json_each(webhook_endpoints.events) WHERE value = $1) \
                 ORDER BY created_at, id"
            }
            Dialect::Postgres => {
                "SELECT id FROM webhook_endpoints WHERE events IS NULL \
                 OR events::jsonb @> jsonb_build_array($1::text) \
                 ORDER BY created_at, id"
            }
        };
        // An event nobody subscribes to is not stored: its id reaches no one, so it could
        // never be replayed, and it would only cost every write a row and its WAL bytes.
        let (seq, endpoints): (i64, Vec<String>) = on_connection!(self.conn(), |c| {
            let endpoints: Vec<String> = sqlx::query(subscribers)
                .bind(&event.event_type)
                .fetch_all(&mut *c)
                .await?
                .iter()
                .map(|row| row.try_get(0))
                .collect::<Result<_, _>>()?;
            if endpoints.is_empty() {
                return Ok(0);
            }
            let seq: i64 = sqlx::query(
                "INSERT INTO events (id, type, ordering_key, payload, created_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING seq",
            )
            .bind(&event.id)
            .bind(&event.event_type)
            .bind(&event.ordering_key)
            .bind(&event.payload)
            .bind(event.created_at)
            .fetch_one(&mut *c)
            .await?
            .try_get(0)?;
            (seq, endpoints)
        });
        for endpoint_id in &endpoints {
            self.insert_delivery(
                &new_delivery_id(),
                seq,
                endpoint_id,
                event.ordering_key.as_deref(),
                event.created_at,
            )
            .await?;
        }
        Ok(endpoints.len() as u64)
    }

    pub(crate) async fn insert_delivery(
        &mut self,
        id: &str,
        event_seq: i64,
        endpoint_id: &str,
        ordering_key: Option<&str>,
        now: Millis,
    ) -> StoreResult<()> {
        execute!(
            self.conn(),
            "INSERT INTO webhook_deliveries (id, event_seq, endpoint_id, ordering_key, status, \
             attempts, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5)",
            id,
            event_seq,
            endpoint_id,
            ordering_key,
            now
        );
        Ok(())
    }
}
