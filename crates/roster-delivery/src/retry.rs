//! When a failed attempt is tried again: each courier brings its channel's own schedule, and
//! an attempt past its end gives the item up.

use std::time::Duration;

use rand::Rng;
use roster_domain::webhooks::RetrySchedule;

pub trait RetryPolicy: Send + Sync + 'static {
    /// The wait after the `attempt`-th attempt (counting from 1) failed, or `None` when the
    /// attempts are spent.
    fn retry_after(&self, attempt: i64) -> Option<Duration>;
}

/// Exponential back-off: base × 2^(attempt−1), capped, plus up to a tenth of jitter so that
/// many failed items do not retry in lockstep; given up after `max_attempts`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    pub base_ms: u64,
    pub max_ms: u64,
    pub max_attempts: i64,
}

impl RetryPolicy for Backoff {
    fn retry_after(&self, attempt: i64) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let exponent = u32::try_from(attempt.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        let wait = self
            .base_ms
            .saturating_mul(1u64 << exponent)
            .min(self.max_ms);
        Some(Duration::from_millis(
            wait + rand::rng().random_range(0..=wait / 10),
        ))
    }
}

/// Webhooks wait the domain's fixed list of delays (Svix's), one per retry.
impl RetryPolicy for RetrySchedule {
    fn retry_after(&self, attempt: i64) -> Option<Duration> {
        let delay = self.next_attempt(attempt, 0)?;
        Some(Duration::from_millis(u64::try_from(delay).unwrap_or(0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis(policy: &dyn RetryPolicy, attempt: i64) -> Option<u128> {
        policy.retry_after(attempt).map(|wait| wait.as_millis())
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let backoff = Backoff {
            base_ms: 1000,
            max_ms: 10_000,
            max_attempts: 100,
        };
        let first = millis(&backoff, 1).expect("retried");
        let third = millis(&backoff, 3).expect("retried");
        assert!((1000..=1100).contains(&first));
        assert!((4000..=4400).contains(&third));
        assert!(millis(&backoff, 40).expect("retried") <= 11_000);
    }

    #[test]
    fn backoff_gives_up_at_its_last_attempt() {
        let backoff = Backoff {
            base_ms: 1000,
            max_ms: 10_000,
            max_attempts: 12,
        };
        assert!(millis(&backoff, 11).is_some());
        assert_eq!(millis(&backoff, 12), None);
    }

    #[test]
    fn the_webhook_schedule_is_read_per_retry() {
        let schedule = RetrySchedule::default();
        assert_eq!(millis(&schedule, 1), Some(5_000));
        assert_eq!(millis(&schedule, 7), Some(36_000_000));
        assert_eq!(millis(&schedule, 8), None);
    }
}
