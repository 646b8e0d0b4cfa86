//! The outbox of webhook deliveries, kept by the domain's `Webhooks`: it claims due
//! deliveries (one user's in order, at most `per_endpoint` in flight to one endpoint), signs
//! them with the endpoint's secret, and records each attempt.

use std::time::Duration;

use roster_domain::Webhooks;
use roster_domain::webhooks::{AttemptOutcome, OutgoingDelivery};

use crate::outbox::{Claimed, Outbox, OutboxError, Outcome, millis};

pub struct WebhookOutbox {
    webhooks: Webhooks,
    /// Most deliveries in flight to one endpoint, so that one slow endpoint leaves the others
    /// room.
    per_endpoint: i64,
}

impl WebhookOutbox {
    pub(crate) fn new(webhooks: Webhooks, per_endpoint: usize) -> Self {
        WebhookOutbox {
            webhooks,
            per_endpoint: i64::try_from(per_endpoint.max(1)).unwrap_or(1),
        }
    }
}

impl Claimed for OutgoingDelivery {
    fn id(&self) -> &str {
        &self.delivery_id
    }

    /// The delivery counts the attempts it has finished, not this one.
    fn attempt(&self) -> i64 {
        self.attempts.saturating_add(1)
    }
}

impl Outbox for WebhookOutbox {
    type Item = OutgoingDelivery;

    async fn next_due(&self) -> Result<Option<Duration>, OutboxError> {
        Ok(self.webhooks.next_due_in().await?)
    }

    async fn claim(
        &self,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<OutgoingDelivery>, OutboxError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        Ok(self
            .webhooks
            .claim_due(limit, self.per_endpoint, millis(lease))
            .await?)
    }

    async fn record(
        &self,
        delivery: &OutgoingDelivery,
        outcome: Outcome,
    ) -> Result<(), OutboxError> {
        let outcome = match outcome {
            Outcome::Delivered(receipt) => AttemptOutcome::Delivered {
                status: receipt.status,
            },
            Outcome::Failed { error, retry_at } => {
                tracing::debug!(delivery = %delivery.delivery_id, error = %error.reason, "a webhook delivery attempt failed");
                AttemptOutcome::Failed {
                    status: error.status,
                    error: error.reason,
                    retry_at,
                }
            }
        };
        Ok(self.webhooks.record(&delivery.delivery_id, outcome).await?)
    }
}
