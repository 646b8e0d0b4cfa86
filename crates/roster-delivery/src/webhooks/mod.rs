//! Webhooks as a courier of the engine: the domain's deliveries, signed there, POSTed by
//! [`WebhookSender`] to public addresses only, retried on the domain's schedule; and the
//! sweep that prunes old deliveries.

mod outbox;
mod pruning;
mod sender;
mod settings;
mod targets;

pub use outbox::WebhookOutbox;
pub use pruning::WebhookPruning;
pub use sender::WebhookSender;
pub use settings::WebhookSettings;
pub use targets::TARGET_NOT_ALLOWED;

use std::sync::Arc;
use std::time::Duration;

use roster_domain::Webhooks;

use crate::courier::{Courier, CourierLimits};

/// How often an idle courier looks for deliveries that another node queued.
const IDLE_POLL: Duration = Duration::from_secs(10);
/// A claim outlives the request's timeout by this much, so it never lapses mid-attempt.
const LEASE_MARGIN: Duration = Duration::from_secs(10);

/// The courier of `webhooks`' deliveries: at most `concurrency` requests in flight, each on
/// its own task, and at most half of them to one endpoint, so a slow or dead endpoint holds
/// back only its own deliveries.
pub fn webhook_courier(
    webhooks: Webhooks,
    settings: &WebhookSettings,
) -> Result<Courier<WebhookOutbox>, reqwest::Error> {
    let concurrency = settings.concurrency.max(1);
    let retry = Arc::new(webhooks.retry_schedule().clone());
    Ok(Courier::new(
        "webhooks",
        WebhookOutbox::new(webhooks, concurrency.div_ceil(2)),
        Arc::new(WebhookSender::new(settings)?),
        retry,
        CourierLimits {
            concurrency,
            lease: settings.timeout() + LEASE_MARGIN,
            idle_poll: IDLE_POLL,
        },
    ))
}

/// The sweep that forgets `webhooks`' finished deliveries after the retention.
pub fn webhook_pruning(webhooks: Webhooks, settings: &WebhookSettings) -> WebhookPruning {
    WebhookPruning::new(webhooks, settings.retention_ms())
}
