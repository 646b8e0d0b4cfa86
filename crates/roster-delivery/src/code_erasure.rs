//! The sweep that erases one-time codes at their expiry from the outbox and from stored
//! events, whether or not they were delivered. Delivery erases them earlier where it can (a
//! sent message at once, an event when its last delivery finishes); this catches the rest:
//! messages never sent, and events still waiting for an endpoint that is down or gone.

use std::time::Duration;

use roster_model::time::now_millis;
use roster_store::Store;

use crate::sweep::Sweep;

/// Shortest time between two sweeps.
const MIN_INTERVAL: Duration = Duration::from_millis(10);

pub struct CodeErasure {
    store: Store,
    every: Duration,
}

impl CodeErasure {
    /// Each sweep is a read unless something expired, so a short `every` costs the writer
    /// nothing. Codes expire whether or not a channel is configured, so it always runs.
    pub fn new(store: Store, every: Duration) -> Self {
        CodeErasure {
            store,
            every: every.max(MIN_INTERVAL),
        }
    }
}

impl Sweep for CodeErasure {
    fn name(&self) -> &'static str {
        "code erasure"
    }

    fn every(&self) -> Duration {
        self.every
    }

    async fn sweep(&self) {
        let now = now_millis();
        match self.store.erase_expired_message_codes(now).await {
            Ok(0) => {}
            Ok(count) => tracing::debug!(count, "erased expired codes from the outbox"),
            Err(error) => tracing::error!(?error, "erasing expired codes from the outbox failed"),
        }
        match self.store.erase_expired_event_codes(now).await {
            Ok(0) => {}
            Ok(count) => tracing::debug!(count, "erased expired codes from stored events"),
            Err(error) => tracing::error!(?error, "erasing expired codes from events failed"),
        }
    }
}
