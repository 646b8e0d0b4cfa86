//! The rules of delivering events: Standard Webhooks signatures (what the `svix` and
//! `standardwebhooks` libraries verify), the retry schedule, and what an attempt records.
//! The delivery engine (`roster-delivery`) sends the requests; it asks this module what to
//! send and when to retry, and tells it what happened.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use roster_model::time::{Millis, now_millis};
use roster_model::webhooks::{ClaimedDelivery, DeliveryStatus};
use roster_store::AttemptRecord;
use sha2::Sha256;

use super::Webhooks;
use crate::error::{DomainError, DomainResult};

/// Waits before each retry, after the first attempt: Svix's published schedule (5 s, 5 min,
/// 30 min, 2 h, 5 h, 10 h, 10 h), so a delivery is tried for about a day and a half.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetrySchedule {
    pub delays_ms: Vec<Millis>,
}

impl Default for RetrySchedule {
    fn default() -> Self {
        let seconds: [i64; 7] = [5, 300, 1800, 7200, 18_000, 36_000, 36_000];
        RetrySchedule {
            delays_ms: seconds.iter().map(|s| s * 1000).collect(),
        }
    }
}

impl RetrySchedule {
    /// When to try again after `attempts` failed attempts, or `None` when they are spent.
    pub fn next_attempt(&self, attempts: i64, now: Millis) -> Option<Millis> {
        let index = usize::try_from(attempts.checked_sub(1)?).ok()?;
        self.delays_ms.get(index).map(|delay| now + delay)
    }
}

/// A signed request, ready to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutgoingDelivery {
    pub delivery_id: String,
    pub url: String,
    /// The body, exactly as signed.
    pub body: String,
    /// `svix-id`: the event's id, the same on every retry and replay.
    pub message_id: String,
    /// `svix-timestamp`: Unix seconds at signing.
    pub timestamp: i64,
    /// `svix-signature`: `v1,<base64>`.
    pub signature: String,
    /// Attempts made before this one.
    pub attempts: i64,
}

/// What one attempt produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The endpoint answered 2xx.
    Delivered { status: Option<u16> },
    /// Another status, or no answer (`status: None`: refused, timed out, …); tried again at
    /// `retry_at` (on [`Webhooks::retry_schedule`]), or failed for good when that is `None`.
    Failed {
        status: Option<u16>,
        error: String,
        retry_at: Option<Millis>,
    },
}

/// `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>` where the key is the base64
/// part of a `whsec_` secret.
pub fn signature(secret: &str, message_id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{message_id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

impl Webhooks {
    /// How long until a pending delivery may be due (zero: now), or `None` when none is
    /// pending: a cheap read that lets an idle worker sleep without taking the write lock.
    pub async fn next_due_in(&self) -> DomainResult<Option<std::time::Duration>> {
        let next = self.store.next_delivery_due().await?;
        Ok(next.map(|due| {
            std::time::Duration::from_millis(u64::try_from(due - now_millis()).unwrap_or(0))
        }))
    }

    /// Claims up to `limit` due deliveries (at most `per_endpoint` in flight to any one
    /// endpoint) for `lease_ms` and signs them. A worker that dies holding a claim loses it
    /// when the lease lapses; the delivery is then tried again.
    pub async fn claim_due(
        &self,
        limit: i64,
        per_endpoint: i64,
        lease_ms: Millis,
    ) -> DomainResult<Vec<OutgoingDelivery>> {
        let now = now_millis();
        let claimed = self
            .store
            .claim_deliveries(now, now + lease_ms, limit, per_endpoint)
            .await?;
        let mut outgoing = Vec::with_capacity(claimed.len());
        for delivery in claimed {
            match self.sign(&delivery, now / 1000) {
                Ok(request) => outgoing.push(request),
                Err(error) => {
                    // Unsignable (its key is gone): retrying cannot help, so record the failure.
                    tracing::error!(delivery = %delivery.id, %error, "a webhook delivery cannot be signed");
                    self.record(
                        &delivery.id,
                        AttemptOutcome::Failed {
                            status: None,
                            error: "the endpoint's secret cannot be opened".to_owned(),
                            retry_at: None,
                        },
                    )
                    .await?;
                }
            }
        }
        Ok(outgoing)
    }

    fn sign(&self, delivery: &ClaimedDelivery, timestamp: i64) -> DomainResult<OutgoingDelivery> {
        let secret = self.open_secret(
            &delivery.endpoint_id,
            &delivery.key_id,
            &delivery.sealed_secret,
        )?;
        let signature = signature(&secret, &delivery.event_id, timestamp, &delivery.payload)
            .ok_or(DomainError::Internal("a webhook secret is not base64"))?;
        Ok(OutgoingDelivery {
            delivery_id: delivery.id.clone(),
            url: delivery.url.clone(),
            body: delivery.payload.clone(),
            message_id: delivery.event_id.clone(),
            timestamp,
            signature,
            attempts: delivery.attempts,
        })
    }

    /// Forgets deliveries that finished more than `retention_ms` ago, and their events once
    /// no delivery needs them; pending deliveries and their events are always kept.
    pub async fn prune(&self, retention_ms: Millis) -> DomainResult<u64> {
        Ok(self
            .store
            .prune_deliveries(now_millis().saturating_sub(retention_ms))
            .await?)
    }

    /// The waits between a failed delivery's attempts, which the delivery engine keeps to.
    pub fn retry_schedule(&self) -> &RetrySchedule {
        &self.schedule
    }

    /// Records an attempt: delivered, retried later, or failed for good.
    pub async fn record(&self, delivery_id: &str, outcome: AttemptOutcome) -> DomainResult<()> {
        let now = now_millis();
        let record = match outcome {
            AttemptOutcome::Delivered { status } => AttemptRecord {
                status: DeliveryStatus::Delivered,
                attempted_at: now,
                next_attempt_at: now,
                response_code: status.map(i64::from),
                error: None,
            },
            AttemptOutcome::Failed {
                status,
                error,
                retry_at,
            } => AttemptRecord {
                status: if retry_at.is_some() {
                    DeliveryStatus::Pending
                } else {
                    DeliveryStatus::Failed
                },
                attempted_at: now,
                next_attempt_at: retry_at.unwrap_or(now),
                response_code: status.map(i64::from),
                error: Some(error),
            },
        };
        Ok(self.store.record_attempt(delivery_id, &record).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_waits_longer_each_time_and_ends() {
        let schedule = RetrySchedule::default();
        assert_eq!(schedule.next_attempt(1, 0), Some(5_000));
        assert_eq!(schedule.next_attempt(2, 0), Some(300_000));
        assert_eq!(schedule.next_attempt(7, 0), Some(36_000_000));
        assert_eq!(schedule.next_attempt(8, 0), None);
    }

    #[test]
    fn signatures_follow_the_standard_webhooks_example() {
        // The worked example of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }
}
