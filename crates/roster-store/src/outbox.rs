//! The outbox: messages queued in the transaction of the change that causes them, then
//! claimed, sent and stamped by the delivery worker.
//!
//! A claim is a lease, not a lock: it sets `lease_until`, and a row whose lease ran out (its
//! worker crashed mid-send) is due again. Each step is one statement, so any number of
//! workers (and nodes) can share the table. On PostgreSQL the inner SELECT of the claim gains
//! `FOR UPDATE SKIP LOCKED`; on SQLite the single writer serialises claims already.

use roster_model::messages::{Channel, DeliveryState, NewMessage, OutboxMessage};
use roster_model::time::Millis;
use sqlx::FromRow;

use crate::{Dialect, Store, StoreError, StoreResult, Tx, execute, on_connection};

const COLUMNS: &str = "id, channel, recipient, subject, body, template, attempts, \
    next_attempt_at, last_error, sent_at, failed_at, created_at";

#[derive(FromRow)]
struct MessageRow {
    id: String,
    channel: String,
    recipient: String,
    subject: String,
    body: String,
    template: String,
    attempts: i64,
    next_attempt_at: i64,
    last_error: Option<String>,
    sent_at: Option<i64>,
    failed_at: Option<i64>,
    created_at: i64,
}

impl Tx {
    /// Queues a message; it is sent only if this transaction commits.
    pub async fn enqueue_message(&mut self, message: &NewMessage) -> StoreResult<()> {
        execute!(
            self.conn(),
            "INSERT INTO outbox (id, channel, recipient, subject, body, template, user_id, \
             sensitive, erase_at, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
            &message.id,
            message.channel.as_str(),
            &message.recipient,
            &message.subject,
            &message.body,
            message.template,
            &message.user_id,
            message.code_expires_at.is_some(),
            message.code_expires_at,
            message.created_at
        );
        Ok(())
    }
}

impl Store {
    /// Whether a message of `channel` is due at `now` (a cheap read before claiming).
    pub async fn has_due_messages(&self, channel: Channel, now: Millis) -> StoreResult<bool> {
        let mut reader = self.reader().await?;
        on_connection!(reader.conn(), |c| Ok(sqlx::query(
            "SELECT 1 FROM outbox WHERE channel = $1 AND sent_at IS NULL \
             AND failed_at IS NULL AND next_attempt_at <= $2 \
             AND (lease_until IS NULL OR lease_until <= $2) LIMIT 1",
        )
        .bind(channel.as_str())
        .bind(now)
        .fetch_optional(&mut *c)
        .await?
        .is_some()))
    }

    /// Claims up to `limit` due messages for `lease_ms`, counting one attempt for each.
    pub async fn claim_messages(
        &self,
        channel: Channel,
        now: Millis,
        lease_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<OutboxMessage>> {
        let mut tx = self.begin().await?;
        // Rows another node is claiming right now are skipped, not waited for.
        let skip_locked = match tx.conn().dialect() {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        };
        let sql = format!(
            "UPDATE outbox SET lease_until = $3, attempts = attempts + 1 \
             WHERE pk IN (SELECT pk FROM outbox WHERE channel = $1 AND sent_at IS NULL \
                 AND failed_at IS NULL AND next_attempt_at <= $2 \
                 AND (lease_until IS NULL OR lease_until <= $2) \
                 ORDER BY next_attempt_at, pk LIMIT $4{skip_locked}) \
             RETURNING {COLUMNS}"
        );
        let rows: Vec<MessageRow> =
            on_connection!(tx.conn(), |c| sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(channel.as_str())
                .bind(now)
                .bind(now + lease_ms)
                .bind(limit)
                .fetch_all(&mut *c)
                .await?);
        tx.commit().await?;
        rows.into_iter().map(from_row).collect()
    }

    /// Stamps a delivered message; a one-time code in its subject and body is erased.
    pub async fn mark_message_sent(&self, id: &str, now: Millis) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        execute!(
            tx.conn(),
            "UPDATE outbox SET sent_at = $2, lease_until = NULL, last_error = NULL, \
             subject = CASE WHEN sensitive THEN '' ELSE subject END, \
             body = CASE WHEN sensitive THEN '' ELSE body END, erase_at = NULL \
             WHERE id = $1 AND sent_at IS NULL",
            id,
            now
        );
        tx.commit().await
    }

    /// Erases the subject and body of messages whose one-time code expired by `now`, sent or
    /// not (a sent one was erased already); returns how many. A read comes first, so that the
    /// frequent sweep with nothing to erase never takes the write lock.
    pub async fn erase_expired_message_codes(&self, now: Millis) -> StoreResult<u64> {
        self.erase_when_due(
            "SELECT 1 FROM outbox WHERE erase_at <= $1 LIMIT 1",
            "UPDATE outbox SET subject = '', body = '', erase_at = NULL WHERE erase_at <= $1",
            now,
        )
        .await
    }

    /// Runs `erase` (an UPDATE taking `now` as `$1`) only when `due` (a SELECT taking `now` as
    /// `$1`) finds a row, so that a sweep with nothing to erase never takes the write lock;
    /// returns how many rows `erase` changed.
    pub(crate) async fn erase_when_due(
        &self,
        due: &'static str,
        erase: &'static str,
        now: Millis,
    ) -> StoreResult<u64> {
        let mut reader = self.reader().await?;
        let found = on_connection!(reader.conn(), |c| sqlx::query(due)
            .bind(now)
            .fetch_optional(&mut *c)
            .await?
            .is_some());
        drop(reader);
        if !found {
            return Ok(0);
        }
        let mut tx = self.begin().await?;
        let erased = execute!(tx.conn(), erase, now);
        tx.commit().await?;
        Ok(erased)
    }

    /// Records a failed send: due again at `retry_at`, or given up when that is `None`.
    pub async fn mark_message_failed(
        &self,
        id: &str,
        error: &str,
        retry_at: Option<Millis>,
        now: Millis,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        execute!(
            tx.conn(),
            "UPDATE outbox SET lease_until = NULL, last_error = $2, \
             next_attempt_at = COALESCE($3, next_attempt_at), \
             failed_at = CASE WHEN $3 IS NULL THEN $4 ELSE NULL END \
             WHERE id = $1 AND sent_at IS NULL",
            id,
            error,
            retry_at,
            now
        );
        tx.commit().await
    }

    /// The newest messages first, for operators and developers (`roster mail list`).
    pub async fn list_messages(&self, limit: i64) -> StoreResult<Vec<OutboxMessage>> {
        let mut reader = self.reader().await?;
        let rows: Vec<MessageRow> =
            on_connection!(reader.conn(), |c| sqlx::query_as(sqlx::AssertSqlSafe(
                format!("SELECT {COLUMNS} FROM outbox ORDER BY pk DESC LIMIT $1")
            ))
            .bind(limit)
            .fetch_all(&mut *c)
            .await?);
        rows.into_iter().map(from_row).collect()
    }
}

fn from_row(row: MessageRow) -> StoreResult<OutboxMessage> {
    let channel = Channel::parse(&row.channel)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown channel {}", row.channel)))?;
    let state = match (row.sent_at, row.failed_at) {
        (Some(_), _) => DeliveryState::Sent,
        (None, Some(_)) => DeliveryState::Failed,
        (None, None) => DeliveryState::Pending,
    };
    Ok(OutboxMessage {
        id: row.id,
        channel,
        recipient: row.recipient,
        subject: row.subject,
        body: row.body,
        template: row.template,
        attempts: row.attempts,
        next_attempt_at: row.next_attempt_at,
        last_error: row.last_error,
        state,
        sent_at: row.sent_at,
        created_at: row.created_at,
    })
}

#[cfg(test)]
mod tests {
    use roster_model::messages::NewMessage;

    use super::*;
    use crate::test_store as store;

    async fn queue(store: &Store, id: &str, channel: Channel, at: Millis) {
        let mut tx = store.begin().await.unwrap();
        tx.enqueue_message(&NewMessage {
            id: id.to_owned(),
            channel,
            recipient: "a@example.com".to_owned(),
            subject: "s".to_owned(),
            body: "code 123456".to_owned(),
            template: "verification_code",
            user_id: None,
            code_expires_at: Some(at + 600_000),
            created_at: at,
        })
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }

    #[tokio::test]
    async fn a_claim_is_a_lease_that_runs_out() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir).await;
        queue(&store, "msg_1", Channel::Email, 1_000).await;
        queue(&store, "msg_2", Channel::Sms, 1_000).await;

        let claimed = store
            .claim_messages(Channel::Email, 1_000, 500, 10)
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!(claimed[0].attempts, 1);
        // Leased: neither due nor claimable by another worker until the lease ends.
        assert!(!store.has_due_messages(Channel::Email, 1_200).await.unwrap());
        assert!(
            store
                .claim_messages(Channel::Email, 1_200, 500, 10)
                .await
                .unwrap()
                .is_empty()
        );
        // The worker "crashed": after the lease the message is claimed again.
        let again = store
            .claim_messages(Channel::Email, 1_500, 500, 10)
            .await
            .unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].attempts, 2);

        store.mark_message_sent("msg_1", 1_600).await.unwrap();
        assert!(
            !store
                .has_due_messages(Channel::Email, 10_000)
                .await
                .unwrap()
        );
        let listed = store.list_messages(10).await.unwrap();
        let sent = listed.iter().find(|m| m.id == "msg_1").unwrap();
        assert_eq!(sent.state, DeliveryState::Sent);
        assert_eq!(sent.body, "", "a delivered code is erased");
        assert_eq!(sent.subject, "", "from the subject too");
        // The SMS was never touched by the e-mail worker.
        assert!(store.has_due_messages(Channel::Sms, 1_000).await.unwrap());
        store.close().await;
    }

    #[tokio::test]
    async fn a_failure_is_retried_later_or_given_up() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir).await;
        queue(&store, "msg_1", Channel::Email, 1_000).await;
        store
            .claim_messages(Channel::Email, 1_000, 500, 10)
            .await
            .unwrap();
        store
            .mark_message_failed("msg_1", "connection refused", Some(5_000), 1_100)
            .await
            .unwrap();
        assert!(!store.has_due_messages(Channel::Email, 4_999).await.unwrap());
        assert!(store.has_due_messages(Channel::Email, 5_000).await.unwrap());
        store
            .claim_messages(Channel::Email, 5_000, 500, 10)
            .await
            .unwrap();
        store
            .mark_message_failed("msg_1", "refused for good", None, 5_100)
            .await
            .unwrap();
        assert!(
            !store
                .has_due_messages(Channel::Email, i64::MAX / 2)
                .await
                .unwrap()
        );
        let failed = &store.list_messages(10).await.unwrap()[0];
        assert_eq!(failed.state, DeliveryState::Failed);
        assert_eq!(failed.last_error.as_deref(), Some("refused for good"));
        store.close().await;
    }
}
