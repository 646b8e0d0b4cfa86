//! Housekeeping that runs beside the couriers on a fixed rhythm: erasing expired codes,
//! forgetting old webhook deliveries.

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;

pub trait Sweep: Send + Sync + 'static {
    /// Names the sweep in logs.
    fn name(&self) -> &'static str;
    /// The time between two sweeps.
    fn every(&self) -> Duration;
    /// One sweep; it logs its own failures, and the next sweep tries again.
    fn sweep(&self) -> impl Future<Output = ()> + Send;
}

/// Sweeps at once, then every [`Sweep::every`], until `stop` turns true.
pub(crate) async fn run(sweep: impl Sweep, mut stop: watch::Receiver<bool>) {
    tracing::debug!(sweep = sweep.name(), "sweep started");
    loop {
        sweep.sweep().await;
        tokio::select! {
            () = tokio::time::sleep(sweep.every()) => {}
            changed = stop.changed() => if changed.is_err() { return },
        }
        if *stop.borrow() {
            return;
        }
    }
}
