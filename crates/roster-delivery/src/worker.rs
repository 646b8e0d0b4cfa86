//! The delivery loop for one channel: wait, claim due messages, send, stamp.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use roster_model::messages::{Channel, OutboxMessage};
use roster_model::time::now_millis;
use roster_store::Store;
use serde::Deserialize;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::sender::Sender;

/// Timing of delivery; the defaults suit production, tests shorten them.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct DeliveryTuning {
    /// How often the outbox is checked for due messages.
    pub poll_interval_ms: u64,
    /// The wait before the first retry; it doubles with each further failure.
    pub retry_base_ms: u64,
    /// The longest wait between two attempts.
    pub retry_max_ms: u64,
    /// Attempts before a message is given up (marked failed).
    pub max_attempts: i64,
    /// How long a claim lasts; a worker that dies mid-send releases its messages after it.
    pub lease_seconds: u64,
}

impl Default for DeliveryTuning {
    fn default() -> Self {
        DeliveryTuning {
            poll_interval_ms: 500,
            retry_base_ms: 5_000,
            retry_max_ms: 3_600_000,
            max_attempts: 12,
            lease_seconds: 120,
        }
    }
}

impl DeliveryTuning {
    /// The wait after the `attempts`-th failure: base × 2^(attempts−1), capped, plus up to a
    /// tenth of jitter so that many failed messages do not retry in lockstep.
    fn backoff_ms(&self, attempts: i64) -> u64 {
        let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        let wait = self
            .retry_base_ms
            .saturating_mul(1u64 << exponent)
            .min(self.retry_max_ms);
        wait + rand::rng().random_range(0..=wait / 10)
    }
}

/// How many messages one claim takes.
const BATCH: i64 = 16;

/// Starts the worker for `channel`; it stops when `shutdown` turns true.
pub fn spawn_worker(
    store: Store,
    channel: Channel,
    sender: Arc<dyn Sender>,
    tuning: DeliveryTuning,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        tracing::info!(channel = channel.as_str(), "delivery worker started");
        loop {
            if *shutdown.borrow() {
                break;
            }
            if let Err(error) = deliver_due(&store, channel, sender.as_ref(), &tuning).await {
                tracing::warn!(channel = channel.as_str(), %error, "delivery round failed");
            }
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(tuning.poll_interval_ms)) => {}
                _ = shutdown.changed() => {}
            }
        }
    })
}

async fn deliver_due(
    store: &Store,
    channel: Channel,
    sender: &dyn Sender,
    tuning: &DeliveryTuning,
) -> Result<(), roster_store::StoreError> {
    loop {
        let now = now_millis();
        if !store.has_due_messages(channel, now).await? {
            return Ok(());
        }
        let lease_ms = i64::try_from(tuning.lease_seconds * 1000).unwrap_or(i64::MAX / 2);
        let claimed = store.claim_messages(channel, now, lease_ms, BATCH).await?;
        if claimed.is_empty() {
            return Ok(());
        }
        for message in claimed {
            deliver(store, sender, tuning, &message).await?;
        }
    }
}

async fn deliver(
    store: &Store,
    sender: &dyn Sender,
    tuning: &DeliveryTuning,
    message: &OutboxMessage,
) -> Result<(), roster_store::StoreError> {
    match sender.send(message).await {
        Ok(()) => {
            store.mark_message_sent(&message.id, now_millis()).await?;
            tracing::info!(message_id = %message.id, template = %message.template, "message delivered");
        }
        Err(error) => {
            let now = now_millis();
            let give_up = error.permanent || message.attempts >= tuning.max_attempts;
            let retry_at = (!give_up).then(|| {
                now + i64::try_from(tuning.backoff_ms(message.attempts)).unwrap_or(i64::MAX / 2)
            });
            store
                .mark_message_failed(&message.id, &error.reason, retry_at, now)
                .await?;
            tracing::warn!(
                message_id = %message.id,
                attempt = message.attempts,
                given_up = give_up,
                error = %error.reason,
                "message not delivered"
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let tuning = DeliveryTuning {
            retry_base_ms: 1000,
            retry_max_ms: 10_000,
            ..DeliveryTuning::default()
        };
        let first = tuning.backoff_ms(1);
        let third = tuning.backoff_ms(3);
        assert!((1000..=1100).contains(&first));
        assert!((4000..=4400).contains(&third));
        assert!(tuning.backoff_ms(40) <= 11_000);
    }
}
