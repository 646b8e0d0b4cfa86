//! The sweep that erases one-time codes at their expiry from the outbox and from stored
//! events, whether or not they were delivered. Delivery erases them earlier where it can (a
//! sent message at once, an event when its last delivery finishes); this catches the rest:
//! messages never sent, and events still waiting for an endpoint that is down or gone.

use std::time::Duration;

use roster_model::time::now_millis;
use roster_store::Store;
use tokio::sync::watch;

/// Sweeps every `interval` until `stop` turns true. Each sweep is a read unless something
/// expired, so a short interval costs the writer nothing.
pub(crate) async fn run(store: Store, interval: Duration, mut stop: watch::Receiver<bool>) {
    loop {
        let now = now_millis();
        match store.erase_expired_message_codes(now).await {
            Ok(0) => {}
            Ok(count) => tracing::debug!(count, "erased expired codes from the outbox"),
            Err(error) => tracing::error!(?error, "erasing expired codes from the outbox failed"),
        }
        match store.erase_expired_event_codes(now).await {
            Ok(0) => {}
            Ok(count) => tracing::debug!(count, "erased expired codes from stored events"),
            Err(error) => tracing::error!(?error, "erasing expired codes from events failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            return;
        }
    }
}
