//! The outbox of messages to users, one courier per channel (e-mail, SMS): rows of the
//! `outbox` table, claimed with a lease that counts the attempt, stamped sent (erasing a
//! one-time code) or failed.

use std::sync::Arc;
use std::time::Duration;

use roster_model::messages::{Channel, OutboxMessage};
use roster_model::time::now_millis;
use roster_store::Store;

use crate::courier::{Courier, CourierLimits};
use crate::outbox::{Claimed, Outbox, OutboxError, Outcome, millis};
use crate::sender::Sender;
use crate::tuning::MessageTuning;

/// Messages go one at a time per channel and node, as a mail relay or SMS gateway expects of
/// one client.
const CONCURRENCY: usize = 1;

/// The courier of `channel`'s messages through `sender`.
pub fn message_courier(
    store: Store,
    channel: Channel,
    sender: Arc<dyn Sender<OutboxMessage>>,
    tuning: MessageTuning,
) -> Courier<MessageOutbox> {
    Courier::new(
        channel.as_str(),
        MessageOutbox { store, channel },
        sender,
        Arc::new(tuning.backoff()),
        CourierLimits {
            concurrency: CONCURRENCY,
            lease: Duration::from_secs(tuning.lease_seconds),
            idle_poll: Duration::from_millis(tuning.poll_interval_ms),
        },
    )
}

/// The messages of one channel.
pub struct MessageOutbox {
    store: Store,
    channel: Channel,
}

impl Claimed for OutboxMessage {
    fn id(&self) -> &str {
        &self.id
    }

    /// The claim counted this attempt already.
    fn attempt(&self) -> i64 {
        self.attempts
    }
}

impl Outbox for MessageOutbox {
    type Item = OutboxMessage;

    /// The outbox answers only whether a message is due; one whose retry lies ahead waits
    /// for the idle poll.
    async fn next_due(&self) -> Result<Option<Duration>, OutboxError> {
        let due = self
            .store
            .has_due_messages(self.channel, now_millis())
            .await?;
        Ok(due.then_some(Duration::ZERO))
    }

    async fn claim(
        &self,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<OutboxMessage>, OutboxError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        Ok(self
            .store
            .claim_messages(self.channel, now_millis(), millis(lease), limit)
            .await?)
    }

    async fn record(&self, message: &OutboxMessage, outcome: Outcome) -> Result<(), OutboxError> {
        let now = now_millis();
        match outcome {
            Outcome::Delivered(_) => {
                self.store.mark_message_sent(&message.id, now).await?;
                tracing::info!(message_id = %message.id, template = %message.template, "message delivered");
            }
            Outcome::Failed { error, retry_at } => {
                self.store
                    .mark_message_failed(&message.id, &error.reason, retry_at, now)
                    .await?;
                tracing::warn!(
                    message_id = %message.id,
                    attempt = message.attempts,
                    given_up = retry_at.is_none(),
                    error = %error.reason,
                    "message not delivered"
                );
            }
        }
        Ok(())
    }
}
