//! Webhook endpoints and deliveries: claiming due deliveries under a lease, recording what
//! each attempt produced, listing them, and queueing a replay.
//!
//! Claiming is one `UPDATE … WHERE seq IN (SELECT …) RETURNING`: on PostgreSQL the inner
//! select gains `FOR UPDATE SKIP LOCKED`, so several workers never claim the same delivery.

use roster_model::time::Millis;
use roster_model::webhooks::{ClaimedDelivery, Delivery, DeliveryStatus, WebhookEndpoint};
use sqlx::{FromRow, Row};

use crate::{Dialect, Store, StoreError, StoreResult, Tx, execute, on_connection};

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

/// Due deliveries: their time has come, nobody holds a lease on them, and no earlier delivery
/// with the same ordering key to the same endpoint is still pending.
const DUE: &str = "d.status = 'pending' AND d.next_attempt_at <= $1 \
    AND (d.lease_until IS NULL OR d.lease_until <= $1) \
    AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p \
      WHERE p.endpoint_id = d.endpoint_id AND p.ordering_key = d.ordering_key \
        AND p.status = 'pending' AND p.seq < d.seq)";

/// Each due delivery's place in its endpoint's queue, after the deliveries in flight there.
const RANKED: &str = "SELECT d.seq, \
    ROW_NUMBER() OVER (PARTITION BY d.endpoint_id ORDER BY d.seq) \
    + (SELECT COUNT(*) FROM webhook_deliveries l \
        WHERE l.endpoint_id = d.endpoint_id AND l.status = 'pending' \
          AND l.lease_until > $1) AS slot";

impl Store {
    pub async fn get_webhook_endpoint(
        &self,
        id: &str,
    ) -> StoreResult<Option<(WebhookEndpoint, String, Vec<u8>)>> {
        let mut reader = self.reader().await?;
        on_connection!(reader.conn(), |c| {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {ENDPOINT_COLUMNS}, key_id, sealed_secret FROM webhook_endpoints \
                 WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(&mut *c)
            .await?;
            row.map(|row| {
                Ok((
                    endpoint_from_row(&row)?,
                    row.try_get("key_id")?,
                    row.try_get("sealed_secret")?,
                ))
            })
            .transpose()
        })
    }

    /// Every endpoint, oldest first, with its sealed secret and the key that sealed it.
    pub async fn list_webhook_endpoints(
        &self,
    ) -> StoreResult<Vec<(WebhookEndpoint, String, Vec<u8>)>> {
        let mut reader = self.reader().await?;
        on_connection!(reader.conn(), |c| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {ENDPOINT_COLUMNS}, key_id, sealed_secret FROM webhook_endpoints \
                 ORDER BY created_at, id"
            )))
            .fetch_all(&mut *c)
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
        })
    }

    /// The endpoint's deliveries, newest first.
    pub async fn list_deliveries(
        &self,
        endpoint_id: &str,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Vec<Delivery>> {
        let mut reader = self.reader().await?;
        on_connection!(reader.conn(), |c| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d \
                 JOIN events e ON e.seq = d.event_seq WHERE d.endpoint_id = $1 \
                 ORDER BY d.seq DESC LIMIT $2 OFFSET $3"
            )))
            .bind(endpoint_id)
            .bind(limit)
            .bind(offset)
            .fetch_all(&mut *c)
            .await?;
            rows.iter().map(delivery_from_row).collect()
        })
    }

    /// The earliest time a pending delivery may be claimed, if any is pending; a cheap read
    /// that lets an idle worker sleep without taking the write lock. Deliveries waiting
    /// behind an earlier one of the same ordering key do not count: they follow it.
    pub async fn next_delivery_due(&self) -> StoreResult<Option<Millis>> {
        let mut reader = self.reader().await?;
        on_connection!(reader.conn(), |c| Ok(sqlx::query(
            "SELECT MIN(CASE WHEN d.next_attempt_at > COALESCE(d.lease_until, 0) \
                        THEN d.next_attempt_at ELSE COALESCE(d.lease_until, 0) END) \
             FROM webhook_deliveries d WHERE d.status = 'pending' \
               AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p \
                 WHERE p.endpoint_id = d.endpoint_id AND p.ordering_key = d.ordering_key \
                   AND p.status = 'pending' AND p.seq < d.seq)",
        )
        .fetch_one(&mut *c)
        .await?
        .try_get(0)?))
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
        let statement = match tx.conn().dialect() {
            Dialect::Sqlite => format!(
                "UPDATE webhook_deliveries SET lease_until = $2 WHERE seq IN ( \
                   SELECT seq FROM ({RANKED} FROM webhook_deliveries d WHERE {DUE}) \
                   WHERE slot <= $4 ORDER BY seq LIMIT $3) RETURNING seq"
            ),
            // PostgreSQL refuses FOR UPDATE beside a window function, so the due rows are
            // locked first (skipping those another node is claiming) and ranked after.
            Dialect::Postgres => format!(
                "WITH d AS (SELECT d.seq, d.endpoint_id FROM webhook_deliveries d WHERE {DUE} \
                   FOR UPDATE SKIP LOCKED) \
                 UPDATE webhook_deliveries SET lease_until = $2 WHERE seq IN ( \
                   SELECT seq FROM ({RANKED} FROM d) AS ranked \
                   WHERE slot <= $4 ORDER BY seq LIMIT $3) RETURNING seq"
            ),
        };
        let deliveries = on_connection!(tx.conn(), |c| {
            let claimed: Vec<i64> = sqlx::query(sqlx::AssertSqlSafe(statement))
                .bind(now)
                .bind(lease_until)
                .bind(limit)
                .bind(per_endpoint)
                .fetch_all(&mut *c)
                .await?
                .iter()
                .map(|row| row.try_get(0))
                .collect::<Result<_, _>>()?;
            let mut deliveries = Vec::with_capacity(claimed.len());
            for seq in claimed {
                let row = sqlx::query(
                    "SELECT d.id, d.endpoint_id, w.url, w.key_id, w.sealed_secret, \
                     e.id AS event_id, e.payload, d.attempts FROM webhook_deliveries d \
                     JOIN webhook_endpoints w ON w.id = d.endpoint_id \
                     JOIN events e ON e.seq = d.event_seq WHERE d.seq = $1",
                )
                .bind(seq)
                .fetch_one(&mut *c)
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
            deliveries
        });
        tx.commit().await?;
        Ok(deliveries)
    }

    /// Forgets finished deliveries made before `before`, and events that no delivery
    /// refers to any more. Returns how many events went.
    pub async fn prune_deliveries(&self, before: Millis) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let events = on_connection!(tx.conn(), |c| {
            sqlx::query(
                "DELETE FROM webhook_deliveries WHERE status <> 'pending' AND created_at < $1",
            )
            .bind(before)
            .execute(&mut *c)
            .await?;
            sqlx::query(
                "DELETE FROM events WHERE created_at < $1 AND NOT EXISTS \
                 (SELECT 1 FROM webhook_deliveries d WHERE d.event_seq = events.seq)",
            )
            .bind(before)
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
        tx.commit().await?;
        Ok(events)
    }

    /// Records an attempt of a claimed delivery and releases its lease.
    pub async fn record_attempt(
        &self,
        delivery_id: &str,
        record: &AttemptRecord,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        execute!(
            tx.conn(),
            "UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1, \
             last_attempt_at = $3, next_attempt_at = $4, last_response_code = $5, \
             last_error = $6, lease_until = NULL, \
             delivered_at = CASE WHEN $2 = 'delivered' THEN $3 ELSE delivered_at END \
             WHERE id = $1 AND status = 'pending'",
            delivery_id,
            record.status.as_str(),
            record.attempted_at,
            record.next_attempt_at,
            record.response_code,
            &record.error
        );
        // The last delivery of an event that carries a code has finished: nobody needs the
        // code any more.
        execute!(
            tx.conn(),
            "UPDATE events SET payload = redacted_payload, redacted_payload = NULL, \
             erase_at = NULL \
             WHERE seq = (SELECT event_seq FROM webhook_deliveries WHERE id = $1) \
             AND erase_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d \
                 WHERE d.event_seq = events.seq AND d.status = 'pending')",
            delivery_id
        );
        tx.commit().await
    }

    /// Replaces the payload of events whose one-time code expired by `now` with the payload
    /// without it, delivered or not (an event whose deliveries all finished was already);
    /// returns how many. Reads first, like `erase_expired_message_codes`.
    pub async fn erase_expired_event_codes(&self, now: Millis) -> StoreResult<u64> {
        self.erase_when_due(
            "SELECT 1 FROM events WHERE erase_at <= $1 LIMIT 1",
            "UPDATE events SET payload = redacted_payload, redacted_payload = NULL, \
             erase_at = NULL WHERE erase_at <= $1",
            now,
        )
        .await
    }
}

impl Tx {
    pub async fn insert_webhook_endpoint(
        &mut self,
        endpoint: &WebhookEndpoint,
        key_id: &str,
        sealed_secret: &[u8],
    ) -> StoreResult<()> {
        self.forget_subscribers();
        execute!(
            self.conn(),
            "INSERT INTO webhook_endpoints (id, url, events, key_id, sealed_secret, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &endpoint.id,
            &endpoint.url,
            events_text(endpoint.events.as_deref()),
            key_id,
            sealed_secret,
            endpoint.created_at,
            endpoint.updated_at
        );
        Ok(())
    }

    pub async fn update_webhook_endpoint(
        &mut self,
        endpoint: &WebhookEndpoint,
    ) -> StoreResult<bool> {
        self.forget_subscribers();
        let rows = execute!(
            self.conn(),
            "UPDATE webhook_endpoints SET url = $2, events = $3, updated_at = $4 WHERE id = $1",
            &endpoint.id,
            &endpoint.url,
            events_text(endpoint.events.as_deref()),
            endpoint.updated_at
        );
        Ok(rows == 1)
    }

    /// Deletes the endpoint and, with it, its deliveries.
    pub async fn delete_webhook_endpoint(&mut self, id: &str) -> StoreResult<bool> {
        self.forget_subscribers();
        let rows = execute!(
            self.conn(),
            "DELETE FROM webhook_endpoints WHERE id = $1",
            id
        );
        Ok(rows == 1)
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
        let event: Option<(i64, Option<String>)> = on_connection!(self.conn(), |c| sqlx::query_as(
            "SELECT seq, ordering_key FROM events WHERE id = $1"
        )
        .bind(event_id)
        .fetch_optional(&mut *c)
        .await?);
        let Some((seq, ordering_key)) = event else {
            return Ok(false);
        };
        self.insert_delivery(delivery_id, seq, endpoint_id, ordering_key.as_deref(), now)
            .await?;
        Ok(true)
    }
}

fn events_text(events: Option<&[String]>) -> Option<String> {
    events.map(|events| serde_json::Value::from(events.to_vec()).to_string())
}

#[derive(FromRow)]
struct EndpointRow {
    id: String,
    url: String,
    events: Option<String>,
    created_at: i64,
    updated_at: i64,
}

fn endpoint_from_row<'r, R: Row>(row: &'r R) -> StoreResult<WebhookEndpoint>
where
    EndpointRow: FromRow<'r, R>,
{
    let row = EndpointRow::from_row(row)?;
    let events = row
        .events
        .map(|text| {
            serde_json::from_str(&text)
                .map_err(|error| StoreError::Corrupt(format!("endpoint events: {error}")))
        })
        .transpose()?;
    Ok(WebhookEndpoint {
        id: row.id,
        url: row.url,
        events,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

#[derive(FromRow)]
struct DeliveryRow {
    id: String,
    endpoint_id: String,
    event_id: String,
    event_type: String,
    status: String,
    attempts: i64,
    next_attempt_at: i64,
    last_attempt_at: Option<i64>,
    last_response_code: Option<i64>,
    last_error: Option<String>,
    delivered_at: Option<i64>,
    created_at: i64,
}

fn delivery_from_row<'r, R: Row>(row: &'r R) -> StoreResult<Delivery>
where
    DeliveryRow: FromRow<'r, R>,
{
    let row = DeliveryRow::from_row(row)?;
    let status = DeliveryStatus::parse(&row.status)
        .ok_or_else(|| StoreError::Corrupt(format!("delivery status {}", row.status)))?;
    Ok(Delivery {
        id: row.id,
        endpoint_id: row.endpoint_id,
        event_id: row.event_id,
        event_type: row.event_type,
        status,
        attempts: row.attempts,
        next_attempt_at: (status == DeliveryStatus::Pending).then_some(row.next_attempt_at),
        last_attempt_at: row.last_attempt_at,
        last_response_code: row.last_response_code,
        last_error: row.last_error,
        delivered_at: row.delivered_at,
        created_at: row.created_at,
    })
}

#[cfg(test)]
mod tests {
    use roster_model::webhooks::{DeliveryStatus, WebhookEndpoint};

    use crate::{AttemptRecord, EventRecord, test_store as store};

    fn event(id: &str, created_at: i64) -> EventRecord {
        EventRecord {
            id: id.to_owned(),
            event_type: "user.created".to_owned(),
            ordering_key: Some("user_1".to_owned()),
            payload: "{}".to_owned(),
            created_at,
            erasable: None,
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
        let endpoints = vec!["ep_1".to_owned()];
        tx.insert_event(&event("msg_old", 1_000), &endpoints, || {
            ids.next().expect("id")
        })
        .await
        .expect("event");
        let mut ids = ["dlv_3"].into_iter().map(str::to_owned);
        tx.insert_event(&event("msg_pending", 1_000), &endpoints, || {
            ids.next().expect("id")
        })
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
