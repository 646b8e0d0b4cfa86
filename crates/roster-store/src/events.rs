//! The outbox: events written in the transaction of the change that caused them, each fanned
//! out at once into one pending delivery per subscribed endpoint. Also the instance's id, which
//! every event names.

use roster_model::time::Millis;
use sqlx::Row;

use crate::{Dialect, Store, StoreResult, Tx, TxInner, execute, on_connection};

/// One event as the outbox stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRecord {
    pub id: String,
    pub event_type: String,
    pub ordering_key: Option<String>,
    /// The envelope, serialized once: these exact bytes are signed and sent.
    pub payload: String,
    pub created_at: Millis,
    /// For an event that carries a one-time code: the envelope without it, and when the code
    /// expires. The payload is replaced by it once every delivery has finished, or at expiry.
    pub erasable: Option<ErasablePayload>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErasablePayload {
    pub redacted_payload: String,
    pub erase_at: Millis,
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
    /// The endpoints subscribed to `event_type`, in the order their deliveries are queued.
    pub async fn event_subscribers(&mut self, event_type: &str) -> StoreResult<Vec<String>> {
        if let Some(endpoints) = self
            .subscriber_cache()
            .and_then(|cache| cache.get(event_type).cloned())
        {
            return Ok(endpoints);
        }
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
        let endpoints: Vec<String> = on_connection!(self.conn(), |c| {
            sqlx::query(subscribers)
                .bind(event_type)
                .fetch_all(&mut *c)
                .await?
                .iter()
                .map(|row| row.try_get(0))
                .collect::<Result<_, _>>()?
        });
        if let Some(cache) = self.subscriber_cache() {
            cache.insert(event_type.to_owned(), endpoints.clone());
        }
        Ok(endpoints)
    }

    /// Appends an event and queues one delivery of it to each of `endpoints` (as
    /// `event_subscribers` gave them); `new_delivery_id` names each delivery. An event nobody
    /// subscribes to is not stored at all: its id reaches no one, so it could never be
    /// replayed, and it would only cost every write a row and its WAL bytes.
    pub async fn insert_event(
        &mut self,
        event: &EventRecord,
        endpoints: &[String],
        mut new_delivery_id: impl FnMut() -> String,
    ) -> StoreResult<()> {
        let seq: i64 = on_connection!(self.conn(), |c| {
            sqlx::query(
                "INSERT INTO events (id, type, ordering_key, payload, created_at, \
                 redacted_payload, erase_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING seq",
            )
            .bind(&event.id)
            .bind(&event.event_type)
            .bind(&event.ordering_key)
            .bind(&event.payload)
            .bind(event.created_at)
            .bind(event.erasable.as_ref().map(|e| &e.redacted_payload))
            .bind(event.erasable.as_ref().map(|e| e.erase_at))
            .fetch_one(&mut *c)
            .await?
            .try_get(0)?
        });
        for endpoint_id in endpoints {
            self.insert_delivery(
                &new_delivery_id(),
                seq,
                endpoint_id,
                event.ordering_key.as_deref(),
                event.created_at,
            )
            .await?;
        }
        Ok(())
    }

    /// The endpoints-by-event-type cache of the SQLite writer; PostgreSQL has none, since
    /// other nodes change endpoints without this one knowing.
    fn subscriber_cache(&mut self) -> Option<&mut std::collections::HashMap<String, Vec<String>>> {
        match &mut self.inner {
            TxInner::Sqlite(tx) => Some(tx.subscribers()),
            TxInner::Postgres(_) => None,
        }
    }

    /// Called by every write to `webhook_endpoints`: later events look their subscribers up
    /// again.
    pub(crate) fn forget_subscribers(&mut self) {
        if let Some(cache) = self.subscriber_cache() {
            cache.clear();
        }
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
