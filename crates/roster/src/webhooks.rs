//! The webhook delivery worker: claims due deliveries from the outbox under a lease, sends
//! each signed request with a timeout, and records the outcome. At most `concurrency`
//! requests are in flight, each on its own task, and at most half of them to one endpoint, so
//! a slow or dead endpoint holds back only its own deliveries, and never a request to the API.
//!
//! Unless `allow_private_targets` is set, requests go only to public addresses: names are
//! resolved by [`PublicOnlyResolver`], inside the connection itself, so an answer that changes
//! between a check and the connect cannot slip through; IP-literal hosts, which skip any
//! resolver, are checked before sending. Recorded errors name only the kind of failure, never
//! the network's own words ("connection refused" against "no route" would map the network).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use roster_domain::Webhooks;
use roster_domain::webhooks::targets;
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
/// What a delivery records when its target is not a public address.
pub const TARGET_NOT_ALLOWED: &str = "target not allowed";

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
    allow_private_targets: bool,
}

impl DeliveryWorker {
    /// `wake` is notified when deliveries are queued.
    pub fn new(
        webhooks: Webhooks,
        settings: &WebhookSettings,
        wake: Arc<Notify>,
    ) -> anyhow::Result<Self> {
        let timeout = Duration::from_secs(settings.timeout_seconds.max(1));
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            // A redirect would lead to an address nobody checked.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Roster-Webhooks/", env!("CARGO_PKG_VERSION")));
        if !settings.allow_private_targets {
            // A proxy would resolve and connect on Roster's behalf, past the resolver below.
            builder = builder
                .no_proxy()
                .dns_resolver(Arc::new(PublicOnlyResolver));
        }
        let client = builder.build()?;
        Ok(DeliveryWorker {
            webhooks,
            client,
            concurrency: settings.concurrency.max(1),
            per_endpoint: i64::try_from(settings.concurrency.max(1).div_ceil(2)).unwrap_or(1),
            lease: timeout + LEASE_MARGIN,
            retention_ms: i64::try_from(settings.retention_days.saturating_mul(86_400_000))
                .unwrap_or(i64::MAX),
            wake,
            allow_private_targets: settings.allow_private_targets,
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
                            let allow_private = self.allow_private_targets;
                            in_flight.spawn(async move {
                                attempt(&webhooks, &client, delivery, allow_private).await;
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
async fn attempt(
    webhooks: &Webhooks,
    client: &reqwest::Client,
    delivery: OutgoingDelivery,
    allow_private: bool,
) {
    let outcome = if allowed_url(&delivery.url, allow_private) {
        send(client, &delivery).await
    } else {
        AttemptOutcome::Failed {
            status: None,
            error: TARGET_NOT_ALLOWED.to_owned(),
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

async fn send(client: &reqwest::Client, delivery: &OutgoingDelivery) -> AttemptOutcome {
    let response = client
        .post(&delivery.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("svix-id", &delivery.message_id)
        .header("svix-timestamp", delivery.timestamp.to_string())
        .header("svix-signature", &delivery.signature)
        .body(delivery.body.clone())
        .send()
        .await;
    match response {
        Ok(response) if response.status().is_success() => AttemptOutcome::Delivered {
            status: response.status().as_u16(),
        },
        Ok(response) => AttemptOutcome::Failed {
            status: Some(response.status().as_u16()),
            error: format!("HTTP {}xx", response.status().as_u16() / 100),
        },
        Err(error) => AttemptOutcome::Failed {
            status: None,
            error: failure_kind(&error).to_owned(),
        },
    }
}

/// Checks what the resolver cannot see: credentials in the URL (stored before they were
/// refused at registration) and hosts written as IP addresses, which are never resolved.
fn allowed_url(text: &str, allow_private: bool) -> bool {
    let Ok(url) = reqwest::Url::parse(text) else {
        return false;
    };
    if !url.username().is_empty() || url.password().is_some() {
        return false;
    }
    if allow_private {
        return true;
    }
    match url.host() {
        Some(url::Host::Ipv4(ip)) => targets::is_public(ip.into()),
        Some(url::Host::Ipv6(ip)) => targets::is_public(ip.into()),
        Some(url::Host::Domain(_)) => true,
        None => false,
    }
}

/// The kind of a failed request, in words that say nothing about the network behind it.
fn failure_kind(error: &reqwest::Error) -> &'static str {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if cause.is::<TargetNotAllowed>() {
            return TARGET_NOT_ALLOWED;
        }
        source = cause.source();
    }
    if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connection refused or unreachable"
    } else {
        "no valid HTTP answer"
    }
}

/// The resolver's refusal: every address the name has is non-public.
#[derive(Debug)]
struct TargetNotAllowed;

impl std::fmt::Display for TargetNotAllowed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(TARGET_NOT_ALLOWED)
    }
}

impl std::error::Error for TargetNotAllowed {}

/// Resolves names as the system does and hands the connection only their public addresses.
struct PublicOnlyResolver;

impl reqwest::dns::Resolve for PublicOnlyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            // `localhost` needs no rule of its own here: it resolves to loopback addresses,
            // which the filter drops like any other.
            let public: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|address| targets::is_public(address.ip()))
                .collect();
            if public.is_empty() {
                return Err(Box::new(TargetNotAllowed) as _);
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}
