//! What the engine needs of an outbox: how soon something is due, a claim under a lease, and
//! a place to record each attempt's outcome. Mail, SMS and webhooks each implement it over
//! their own table; the claim, the lease and the conditional writes stay in the store.

use std::future::Future;
use std::time::Duration;

use roster_model::time::Millis;

use crate::sender::{Receipt, SendError};

/// A failure to read or write an outbox (not a failed send, which is an [`Outcome`]).
pub type OutboxError = Box<dyn std::error::Error + Send + Sync>;

/// An item claimed from an outbox.
pub trait Claimed: Send + Sync + 'static {
    /// Names the item in logs.
    fn id(&self) -> &str;
    /// Which attempt this claim is, counting from 1: what the retry schedule is read at.
    fn attempt(&self) -> i64;
}

/// What became of one attempt.
#[derive(Debug)]
pub enum Outcome {
    Delivered(Receipt),
    /// Not delivered: due again at `retry_at`, or given up when that is `None`.
    Failed {
        error: SendError,
        retry_at: Option<Millis>,
    },
}

pub trait Outbox: Send + Sync + 'static {
    type Item: Claimed;

    /// How long until an item may be due (zero: now), or `None` when none is known to be: a
    /// cheap read, so that an idle engine never takes the write lock.
    fn next_due(&self) -> impl Future<Output = Result<Option<Duration>, OutboxError>> + Send;

    /// Claims up to `limit` due items for `lease`. An engine that dies holding a claim loses
    /// it when the lease lapses; the item is then due again.
    fn claim(
        &self,
        limit: usize,
        lease: Duration,
    ) -> impl Future<Output = Result<Vec<Self::Item>, OutboxError>> + Send;

    /// Records the outcome of an attempt and releases the item's lease.
    fn record(
        &self,
        item: &Self::Item,
        outcome: Outcome,
    ) -> impl Future<Output = Result<(), OutboxError>> + Send;
}

/// `duration` in milliseconds, as the outboxes count time.
pub(crate) fn millis(duration: Duration) -> Millis {
    Millis::try_from(duration.as_millis()).unwrap_or(Millis::MAX / 2)
}
