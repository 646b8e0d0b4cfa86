//! The sweep that forgets finished webhook deliveries past their retention, and their events
//! once no delivery needs them.

use std::time::Duration;

use roster_domain::Webhooks;

use crate::sweep::Sweep;

/// How often finished deliveries past their retention are pruned.
const EVERY: Duration = Duration::from_secs(600);

pub struct WebhookPruning {
    webhooks: Webhooks,
    retention_ms: i64,
}

impl WebhookPruning {
    pub(crate) fn new(webhooks: Webhooks, retention_ms: i64) -> Self {
        WebhookPruning {
            webhooks,
            retention_ms,
        }
    }
}

impl Sweep for WebhookPruning {
    fn name(&self) -> &'static str {
        "webhook pruning"
    }

    fn every(&self) -> Duration {
        EVERY
    }

    async fn sweep(&self) {
        match self.webhooks.prune(self.retention_ms).await {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "pruned delivered webhook events"),
            Err(error) => tracing::error!(?error, "pruning webhook deliveries failed"),
        }
    }
}
