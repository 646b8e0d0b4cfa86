//! The timing of e-mail and SMS delivery, as the `[delivery]` settings give it.

use serde::Deserialize;

use crate::retry::Backoff;

/// Timing of message delivery; the defaults suit production, tests shorten them.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct MessageTuning {
    /// How often the outbox is checked for messages that another node queued, or whose retry
    /// came due; a commit on this node wakes delivery at once. Also the rhythm of the sweep
    /// that erases expired codes.
    pub poll_interval_ms: u64,
    /// The wait before the first retry; it doubles with each further failure.
    pub retry_base_ms: u64,
    /// The longest wait between two attempts.
    pub retry_max_ms: u64,
    /// Attempts before a message is given up (marked failed).
    pub max_attempts: i64,
    /// How long a claim lasts; a node that dies mid-send releases its messages after it.
    pub lease_seconds: u64,
}

impl Default for MessageTuning {
    fn default() -> Self {
        MessageTuning {
            poll_interval_ms: 500,
            retry_base_ms: 5_000,
            retry_max_ms: 3_600_000,
            max_attempts: 12,
            lease_seconds: 120,
        }
    }
}

impl MessageTuning {
    pub fn backoff(&self) -> Backoff {
        Backoff {
            base_ms: self.retry_base_ms,
            max_ms: self.retry_max_ms,
            max_attempts: self.max_attempts,
        }
    }
}
