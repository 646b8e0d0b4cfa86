//! The webhook delivery worker: claims due deliveries from the outbox under a lease, sends
//! each signed request with a timeout, and records the outcome. At most `concurrency`
//! requests are in flight, each on its own task, and at most half of them to one endpoint, so
//! a slow or dead endpoint holds back only its own deliveries, and never a request to the API.

use std::sync::Arc;
use std::time::Duration;

use roster_domain::Webhooks;
use roster_domain::webhooks::{AttemptOutcome, OutgoingDelivery};
use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinSet;

use crate::config::WebhookSettings;

/// How often an idle worker looks for deliveries that another node queued; its own writes
/// and finished attempts wake it at once.
const IDLE_POLL: Duration = Duration::from_secs(10);
/// A claim outlives the request's timeout by this much, so it never lapses mid-attempt.
const LEASE_MARGIN: Duration = Duration::from_secs(10);
/// How often finished deliveries past their retention are pruned.
const PRUNE_INTERVAL: Duration = Duration::from_secs(600);
/// Longest error text kept with a delivery.
const MAX_ERROR_LENGTH: usize = 300;

pub struct DeliveryWorker {
    webhooks: Webhooks,
    client: reqwest::Client,
    concurrency: usize,
    /// Most deliveries in flight to one endpoint: half the slots, so that one slow endpoint
    /// leaves the others room.
    per_endpoint: i64,
    lease: Duration,
    retention_ms: i64,
    wake: Arc<Notify>,
}

impl DeliveryWorker {
    /// `wake` is notified when deliveries are queued.
    pub fn new(
        webhooks: Webhooks,
        settings: &WebhookSettings,
        wake: Arc<Notify>,
    ) -> anyhow::Result<Self> {
        let timeout = Duration::from_secs(settings.timeout_seconds.max(1));
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Roster-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(DeliveryWorker {
            webhooks,
            client,
            concurrency: settings.concurrency.max(1),
            per_endpoint: i64::try_from(settings.concurrency.max(1).div_ceil(2)).unwrap_or(1),
            lease: timeout + LEASE_MARGIN,
            retention_ms: i64::try_from(settings.retention_days.saturating_mul(86_400_000))
                .unwrap_or(i64::MAX),
            wake,
        })
    }

    /// Delivers until `stop` turns true; in-flight attempts are then abandoned, and their
    /// leases lapse so that the next start retries them.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let slots = Arc::new(Semaphore::new(self.concurrency));
        let mut in_flight = JoinSet::new();
        let lease_ms = i64::try_from(self.lease.as_millis()).unwrap_or(i64::MAX);
        let mut next_prune = tokio::time::Instant::now();
        loop {
            if *stop.borrow() {
                break;
            }
            if tokio::time::Instant::now() >= next_prune {
                next_prune += PRUNE_INTERVAL;
                match self.webhooks.prune(self.retention_ms).await {
                    Ok(0) => {}
                    Ok(count) => tracing::info!(count, "pruned delivered webhook events"),
                    Err(error) => tracing::error!(?error, "pruning webhook deliveries failed"),
                }
            }
            while in_flight.try_join_next().is_some() {}
            let free = slots.available_permits();
            // Until the next due delivery, a wake (a new event, a finished attempt), or a
            // look for what other nodes queued.
            let mut wait = IDLE_POLL;
            if free > 0 {
                match self.webhooks.next_due_in().await {
                    Ok(Some(due_in)) if due_in.is_zero() => {
                        let batch = match self
                            .webhooks
                            .claim_due(free as i64, self.per_endpoint, lease_ms)
                            .await
                        {
                            Ok(batch) => batch,
                            Err(error) => {
                                tracing::error!(?error, "claiming webhook deliveries failed");
                                Vec::new()
                            }
                        };
                        let more = !batch.is_empty() && batch.len() < free;
                        for delivery in batch {
                            let Ok(permit) = slots.clone().acquire_owned().await else {
                                break;
                            };
                            let webhooks = self.webhooks.clone();
                            let client = self.client.clone();
                            let wake = self.wake.clone();
                            in_flight.spawn(async move {
                                attempt(&webhooks, &client, delivery).await;
                                drop(permit);
                                // A slot is free, and a delivery ordered behind this one may
                                // now be due.
                                wake.notify_one();
                            });
                        }
                        if more {
                            continue;
                        }
                    }
                    Ok(Some(due_in)) => wait = wait.min(due_in),
                    Ok(None) => {}
                    Err(error) => tracing::error!(?error, "reading the webhook outbox failed"),
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.wake.notified() => {}
                _ = stop.changed() => {}
            }
        }
        in_flight.abort_all();
    }
}

/// Sends one delivery and records what happened.
async fn attempt(webhooks: &Webhooks, client: &reqwest::Client, delivery: OutgoingDelivery) {
    let response = client
        .post(&delivery.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("svix-id", &delivery.message_id)
        .header("svix-timestamp", delivery.timestamp.to_string())
        .header("svix-signature", &delivery.signature)
        .body(delivery.body.clone())
        .send()
        .await;
    let outcome = match response {
        Ok(response) if response.status().is_success() => AttemptOutcome::Delivered {
            status: response.status().as_u16(),
        },
        Ok(response) => AttemptOutcome::Failed {
            status: Some(response.status().as_u16()),
            error: format!("the endpoint answered {}", response.status()),
        },
        Err(error) => {
            // reqwest's own message is generic; the cause (refused, timed out, …) is in its
            // sources.
            let error = error.without_url();
            let mut text = error.to_string();
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                text.push_str(": ");
                text.push_str(&cause.to_string());
                source = cause.source();
            }
            text.truncate(MAX_ERROR_LENGTH);
            AttemptOutcome::Failed {
                status: None,
                error: text,
            }
        }
    };
    if let AttemptOutcome::Failed { error, .. } = &outcome {
        tracing::debug!(delivery = %delivery.delivery_id, %error, "a webhook delivery attempt failed");
    }
    if let Err(error) = webhooks
        .record(&delivery.delivery_id, delivery.attempts, outcome)
        .await
    {
        // The lease lapses and the delivery is tried again: at least once, never lost.
        tracing::error!(delivery = %delivery.delivery_id, ?error, "recording a webhook attempt failed");
    }
}
