//! Webhook endpoints and deliveries: claiming due deliveries under a lease, recording what
//! each attempt produced, listing them, and queueing a replay.
//!
//! Claiming is one `UPDATE … WHERE seq IN (SELECT …) RETURNING`: on PostgreSQL the inner
//! select gains `FOR UPDATE SKIP LOCKED`, so several workers never claim the same delivery.

use roster_model::time::Millis;
use roster_model::webhooks::{ClaimedDelivery, Delivery, DeliveryStatus, WebhookEndpoint};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::{Backend, Store, StoreError, StoreResult, Tx};

/// What one delivery attempt produced, as the domain decided to record it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptRecord {
    pub status: DeliveryStatus,
    pub attempted_at: Millis,
    pub next_attempt_at: Millis,
    pub response_code: Option<i64>,
    pub error: Option<String>,
}

const ENDPOINT_COLUMNS: &str = "id, url, events, created_at, updated_at";

const DELIVERY_COLUMNS: &str = "d.id, d.endpoint_id, e.id AS event_id, e.type AS event_type, \
    d.status, d.attempts, d.next_attempt_at, d.last_attempt_at, d.last_response_code, \
    d.last_error, d.delivered_at, d.created_at";

impl Store {
    pub async fn get_webhook_endpoint(
        &self,
        id: &str,
    ) -> StoreResult<Option<(WebhookEndpoint, String, Vec<u8>)>> {
        match &self.backend {
            Backend::Sqlite { reader, .. } => {
                let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {ENDPOINT_COLUMNS}, key_id, sealed_secret FROM webhook_endpoints \
                     WHERE id = $1"
                )))
                .bind(id)
                .fetch_optional(reader)
                .await?;
                row.map(|row| {
                    Ok((
                        endpoint_from_row(&row)?,
                        row.try_get("key_id")?,
                        row.try_get("sealed_secret")?,
                    ))
                })
                .transpose()
            }
        }
    }

    /// Every endpoint, oldest first, with its sealed secret and the key that sealed it.
    pub async fn list_webhook_endpoints(
        &self,
    ) -> StoreResult<Vec<(WebhookEndpoint, String, Vec<u8>)>> {
        match &self.backend {
            Backend::Sqlite { reader, .. } => {
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {ENDPOINT_COLUMNS}, key_id, sealed_secret FROM webhook_endpoints \
                     ORDER BY created_at, id"
                )))
                .fetch_all(reader)
                .await?;
                rows.iter()
                    .map(|row| {
                        Ok((
                            endpoint_from_row(row)?,
                            row.try_get("key_id")?,
                            row.try_get("sealed_secret")?,
                        ))
                    })
                    .collect()
            }
        }
    }

    /// The endpoint's deliveries, newest first.
    pub async fn list_deliveries(
        &self,
        endpoint_id: &str,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Vec<Delivery>> {
        match &self.backend {
            Backend::Sqlite { reader, .. } => {
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d \
                     JOIN events e ON e.seq = d.event_seq WHERE d.endpoint_id = $1 \
                     ORDER BY d.seq DESC LIMIT $2 OFFSET $3"
                )))
                .bind(endpoint_id)
                .bind(limit)
                .bind(offset)
                .fetch_all(reader)
                .await?;
                rows.iter().map(delivery_from_row).collect()
            }
        }
    }

    /// The earliest time a pending delivery may be claimed, if any is pending; a cheap read
    /// that lets an idle worker sleep without taking the write lock. Deliveries waiting
    /// behind an earlier one of the same ordering key do not count: they follow it.
    pub async fn next_delivery_due(&self) -> StoreResult<Option<Millis>> {
        match &self.backend {
            Backend::Sqlite { reader, .. } => Ok(sqlx::query(
                "SELECT MIN(MAX(d.next_attempt_at, COALESCE(d.lease_until, 0))) \
                 FROM webhook_deliveries d WHERE d.status = 'pending' \
                   AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p \
                     WHERE p.endpoint_id = d.endpoint_id AND p.ordering_key = d.ordering_key \
                       AND p.status = 'pending' AND p.seq < d.seq)",
            )
            .fetch_one(reader)
            .await?
            .try_get(0)?),
        }
    }

    /// Claims up to `limit` due deliveries until `lease_until`. A delivery is due when its
    /// time has come, nobody holds a lease on it, and no earlier delivery with the same
    /// ordering key to the same endpoint is still pending, so one user's events arrive in
    /// order. No endpoint gets more than `per_endpoint` deliveries in flight, so a slow one
    /// cannot take every slot from the others.
    pub async fn claim_deliveries(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: i64,
        per_endpoint: i64,
    ) -> StoreResult<Vec<ClaimedDelivery>> {
        let mut tx = self.begin().await?;
        let claimed: Vec<i64> = sqlx::query(
            "UPDATE webhook_deliveries SET lease_until = $2 WHERE seq IN ( \
               SELECT seq FROM ( \
                 SELECT d.seq, \
                   ROW_NUMBER() OVER (PARTITION BY d.endpoint_id ORDER BY d.seq) \
                   + (SELECT COUNT(*) FROM webhook_deliveries l \
                       WHERE l.endpoint_id = d.endpoint_id AND l.status = 'pending' \
                         AND l.lease_until > $1) AS slot \
                 FROM webhook_deliveries d \
                 WHERE d.status = 'pending' AND d.next_attempt_at <= $1 \
                   AND (d.lease_until IS NULL OR d.lease_until <= $1) \
                   AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p \
                     WHERE p.endpoint_id = d.endpoint_id AND p.ordering_key = d.ordering_key \
                       AND p.status = 'pending' AND p.seq < d.seq)) \
               WHERE slot <= $4 ORDER BY seq LIMIT $3) RETURNING seq",
        )
        .bind(now)
        .bind(lease_until)
        .bind(limit)
        .bind(per_endpoint)
        .fetch_all(tx.connection())
        .await?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<_, _>>()?;
        let mut deliveries = Vec::with_capacity(claimed.len());
        for seq in claimed {
            let row = sqlx::query(
                "SELECT d.id, d.endpoint_id, w.url, w.key_id, w.sealed_secret, e.id AS event_id, \
                 e.payload, d.attempts FROM webhook_deliveries d \
                 JOIN webhook_endpoints w ON w.id = d.endpoint_id \
                 JOIN events e ON e.seq = d.event_seq WHERE d.seq = $1",
            )
            .bind(seq)
            .fetch_one(tx.connection())
            .await?;
            deliveries.push(ClaimedDelivery {
                id: row.try_get("id")?,
                endpoint_id: row.try_get("endpoint_id")?,
                url: row.try_get("url")?,
                key_id: row.try_get("key_id")?,
                sealed_secret: row.try_get("sealed_secret")?,
                event_id: row.try_get("event_id")?,
                payload: row.try_get("payload")?,
                attempts: row.try_get("attempts")?,
            });
        }
        tx.commit().await?;
        Ok(deliveries)
    }

    /// Forgets finished deliveries made before `before`, and events that no delivery
    /// refers to any more. Returns how many events went.
    pub async fn prune_deliveries(&self, before: Millis) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM webhook_deliveries WHERE status <> 'pending' AND created_at < $1")
            .bind(before)
            .execute(tx.connection())
            .await?;
        let events = sqlx::query(
            "DELETE FROM events WHERE created_at < $1 AND NOT EXISTS \
             (SELECT 1 FROM webhook_deliveries d WHERE d.event_seq = events.seq)",
        )
        .bind(before)
        .execute(tx.connection())
        .await?;
        tx.commit().await?;
        Ok(events.rows_affected())
    }

    /// Records an attempt of a claimed delivery and releases its lease.
    pub async fn record_attempt(
        &self,
        delivery_id: &str,
        record: &AttemptRecord,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1, \
             last_attempt_at = $3, next_attempt_at = $4, last_response_code = $5, \
             last_error = $6, lease_until = NULL, \
             delivered_at = CASE WHEN $2 = 'delivered' THEN $3 ELSE delivered_at END \
             WHERE id = $1 AND status = 'pending'",
        )
        .bind(delivery_id)
        .bind(record.status.as_str())
        .bind(record.attempted_at)
        .bind(record.next_attempt_at)
        .bind(record.response_code)
        .bind(&record.error)
        .execute(tx.connection())
        .await?;
        tx.commit().await
    }
}

impl Tx {
    pub async fn insert_webhook_endpoint(
        &mut self,
        endpoint: &WebhookEndpoint,
        key_id: &str,
        sealed_secret: &[u8],
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO webhook_endpoints (id, url, events, key_id, sealed_secret, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&endpoint.id)
        .bind(&endpoint.url)
        .bind(events_text(endpoint.events.as_deref()))
        .bind(key_id)
        .bind(sealed_secret)
        .bind(endpoint.created_at)
        .bind(endpoint.updated_at)
        .execute(self.connection())
        .await?;
        Ok(())
    }

    pub async fn update_webhook_endpoint(
        &mut self,
        endpoint: &WebhookEndpoint,
    ) -> StoreResult<bool> {
        let result = sqlx::query(
            "UPDATE webhook_endpoints SET url = $2, events = $3, updated_at = $4 WHERE id = $1",
        )
        .bind(&endpoint.id)
        .bind(&endpoint.url)
        .bind(events_text(endpoint.events.as_deref()))
        .bind(endpoint.updated_at)
        .execute(self.connection())
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Replaces a secret sealed under `old_key_id`; false when it changed meanwhile.
    pub async fn reseal_webhook_secret(
        &mut self,
        id: &str,
        old_key_id: &str,
        key_id: &str,
        sealed_secret: &[u8],
    ) -> StoreResult<bool> {
        let result = sqlx::query(
            "UPDATE webhook_endpoints SET key_id = $3, sealed_secret = $4 \
             WHERE id = $1 AND key_id = $2",
        )
        .bind(id)
        .bind(old_key_id)
        .bind(key_id)
        .bind(sealed_secret)
        .execute(self.connection())
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Deletes the endpoint and, with it, its deliveries.
    pub async fn delete_webhook_endpoint(&mut self, id: &str) -> StoreResult<bool> {
        let result = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1")
            .bind(id)
            .execute(self.connection())
            .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Queues another delivery of a stored event to an endpoint; false when no event has
    /// that id.
    pub async fn replay_event(
        &mut self,
        endpoint_id: &str,
        event_id: &str,
        delivery_id: &str,
        now: Millis,
    ) -> StoreResult<bool> {
        let row = sqlx::query("SELECT seq, ordering_key FROM events WHERE id = $1")
            .bind(event_id)
            .fetch_optional(self.connection())
            .await?;
        let Some(row) = row else { return Ok(false) };
        let seq: i64 = row.try_get(0)?;
        let ordering_key: Option<String> = row.try_get(1)?;
        self.insert_delivery(delivery_id, seq, endpoint_id, ordering_key.as_deref(), now)
            .await?;
        Ok(true)
    }
}

fn events_text(events: Option<&[String]>) -> Option<String> {
    events.map(|events| serde_json::Value::from(events.to_vec()).to_string())
}

fn endpoint_from_row(row: &SqliteRow) -> StoreResult<WebhookEndpoint> {
    let events: Option<String> = row.try_get("events")?;
    let events = events
        .map(|text| {
            serde_json::from_str(&text)
                .map_err(|error| StoreError::Corrupt(format!("endpoint events: {error}")))
        })
        .transpose()?;
    Ok(WebhookEndpoint {
        id: row.try_get("id")?,
        url: row.try_get("url")?,
        events,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn delivery_from_row(row: &SqliteRow) -> StoreResult<Delivery> {
    let status: String = row.try_get("status")?;
    let status = DeliveryStatus::parse(&status)
        .ok_or_else(|| StoreError::Corrupt(format!("delivery status {status}")))?;
    Ok(Delivery {
        id: row.try_get("id")?,
        endpoint_id: row.try_get("endpoint_id")?,
        event_id: row.try_get("event_id")?,
        event_type: row.try_get("event_type")?,
        status,
        attempts: row.try_get("attempts")?,
        next_attempt_at: (status == DeliveryStatus::Pending)
            .then(|| row.try_get("next_attempt_at"))
            .transpose()?,
        last_attempt_at: row.try_get("last_attempt_at")?,
        last_response_code: row.try_get("last_response_code")?,
        last_error: row.try_get("last_error")?,
        delivered_at: row.try_get("delivered_at")?,
        created_at: row.try_get("created_at")?,
    })
}

#[cfg(test)]
mod tests {
    use roster_model::webhooks::{DeliveryStatus, WebhookEndpoint};

    use crate::{AttemptRecord, Durability, EventRecord, Store, StoreOptions};

    async fn store(dir: &tempfile::TempDir) -> Store {
        Store::open(&StoreOptions {
            url: format!("sqlite://{}", dir.path().join("t.db").display()),
            durability: Durability::Normal,
            max_readers: 1,
        })
        .await
        .expect("store")
    }

    fn event(id: &str, created_at: i64) -> EventRecord {
        EventRecord {
            id: id.to_owned(),
            event_type: "user.created".to_owned(),
            ordering_key: Some("user_1".to_owned()),
            payload: "{}".to_owned(),
            created_at,
        }
    }

    #[tokio::test]
    async fn pruning_forgets_old_finished_deliveries_and_keeps_pending_ones() {
        let dir = tempfile::tempdir().expect("folder");
        let store = store(&dir).await;
        let mut tx = store.begin().await.expect("tx");
        let endpoint = WebhookEndpoint {
            id: "ep_1".to_owned(),
            url: "http://127.0.0.1:9/".to_owned(),
            events: None,
            created_at: 0,
            updated_at: 0,
        };
        tx.insert_webhook_endpoint(&endpoint, "k", b"sealed")
            .await
            .expect("endpoint");
        let mut ids = ["dlv_1", "dlv_2"].into_iter().map(str::to_owned);
        tx.insert_event(&event("msg_old", 1_000), || ids.next().expect("id"))
            .await
            .expect("event");
        let mut ids = ["dlv_3"].into_iter().map(str::to_owned);
        tx.insert_event(&event("msg_pending", 1_000), || ids.next().expect("id"))
            .await
            .expect("event");
        tx.commit().await.expect("commit");

        // The first event is delivered; the second stays pending.
        let claimed = store
            .claim_deliveries(2_000, 3_000, 1, 8)
            .await
            .expect("claim");
        assert_eq!(claimed[0].event_id, "msg_old");
        let delivered = AttemptRecord {
            status: DeliveryStatus::Delivered,
            attempted_at: 2_000,
            next_attempt_at: 2_000,
            response_code: Some(200),
            error: None,
        };
        store
            .record_attempt(&claimed[0].id, &delivered)
            .await
            .expect("record");

        assert_eq!(store.prune_deliveries(1_000).await.expect("prune"), 0);
        assert_eq!(store.prune_deliveries(5_000).await.expect("prune"), 1);
        let left = store.list_deliveries("ep_1", 10, 0).await.expect("list");
        assert_eq!(
            left.iter().map(|d| d.event_id.as_str()).collect::<Vec<_>>(),
            ["msg_pending"]
        );
    }
}
