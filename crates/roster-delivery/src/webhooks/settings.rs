//! The `[webhooks]` settings: the retry schedule, and how deliveries are sent and kept.

use roster_domain::webhooks::RetrySchedule;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookSettings {
    /// Seconds to wait before each retry of a failed delivery; when they are spent the
    /// delivery is marked failed. The default is Svix's schedule (about a day and a half).
    pub retry_schedule_seconds: Vec<u64>,
    /// How long one delivery attempt may take.
    pub timeout_seconds: u64,
    /// Most deliveries in flight at once.
    pub concurrency: usize,
    /// Days a finished delivery (and its event, once no delivery needs it) is kept, for the
    /// deliveries list and replays.
    pub retention_days: u64,

    /// Whether endpoints may point at loopback, private, link-local and other non-public
    /// addresses. Off by default, so that whoever holds an API key cannot make Roster probe
    /// its own network; local development and tests against a receiver on 127.0.0.1 turn it on.
    pub allow_private_targets: bool,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            retry_schedule_seconds: vec![5, 300, 1800, 7200, 18_000, 36_000, 36_000],
            timeout_seconds: 15,
            concurrency: 8,
            retention_days: 30,

            allow_private_targets: false,
        }
    }
}

impl WebhookSettings {
    /// The schedule as the domain keeps it, in milliseconds.
    pub fn retry_schedule(&self) -> RetrySchedule {
        RetrySchedule {
            delays_ms: self
                .retry_schedule_seconds
                .iter()
                .map(|seconds| i64::try_from(seconds.saturating_mul(1000)).unwrap_or(i64::MAX))
                .collect(),
        }
    }

    /// How long one attempt may take, at least a second.
    pub(crate) fn timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.timeout_seconds.max(1))
    }

    /// How long a finished delivery is kept, in milliseconds.
    pub(crate) fn retention_ms(&self) -> i64 {
        i64::try_from(self.retention_days.saturating_mul(86_400_000)).unwrap_or(i64::MAX)
    }
}
