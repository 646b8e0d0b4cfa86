//! One outbox's delivery loop. It claims due items under a lease, sends each on its own task,
//! records the outcome with the retry its schedule gives, and sleeps until the next item is
//! due, a commit wakes it, or its idle poll comes round for what other nodes queued. At most
//! `concurrency` sends are in flight, so a slow receiver holds back only its own outbox and
//! never a request to the API.

use std::sync::Arc;
use std::time::Duration;

use roster_model::time::now_millis;
use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinSet;

use crate::outbox::{Claimed, Outbox, Outcome, millis};
use crate::retry::RetryPolicy;
use crate::sender::{Receipt, SendError, Sender};

/// How long sends in flight at a stop may take to finish; those that take longer are
/// abandoned, and their leases lapse so that the next start sends them again.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// How much one courier may do at once, and how long it trusts its claims.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CourierLimits {
    /// Most sends in flight at once.
    pub concurrency: usize,
    /// How long a claim lasts; it must outlast a send.
    pub lease: Duration,
    /// How often an idle courier looks for items that another node queued; its own node's
    /// commits wake it at once.
    pub idle_poll: Duration,
}

/// An outbox with the sender that carries its items, the schedule its failures retry on, and
/// its limits.
pub struct Courier<O: Outbox> {
    name: &'static str,
    outbox: O,
    sender: Arc<dyn Sender<O::Item>>,
    retry: Arc<dyn RetryPolicy>,
    limits: CourierLimits,
}

/// What a round of claiming leaves the loop to do.
enum Next {
    /// Claim again at once: more may be due and slots are free.
    Claim,
    /// Sleep until this long has passed, or a wake.
    Wait(Duration),
}

impl<O: Outbox> Courier<O> {
    /// `name` names the courier in logs.
    pub fn new(
        name: &'static str,
        outbox: O,
        sender: Arc<dyn Sender<O::Item>>,
        retry: Arc<dyn RetryPolicy>,
        limits: CourierLimits,
    ) -> Self {
        Courier {
            name,
            outbox,
            sender,
            retry,
            limits: CourierLimits {
                concurrency: limits.concurrency.max(1),
                ..limits
            },
        }
    }

    /// Delivers until `stop` turns true, then gives the sends in flight [`STOP_GRACE`].
    pub(crate) async fn run(self: Arc<Self>, wake: Arc<Notify>, mut stop: watch::Receiver<bool>) {
        tracing::info!(courier = self.name, "delivery started");
        let slots = Arc::new(Semaphore::new(self.limits.concurrency));
        let mut in_flight = JoinSet::new();
        loop {
            if *stop.borrow() {
                break;
            }
            while in_flight.try_join_next().is_some() {}
            let wait = match self.claim_round(&slots, &mut in_flight, &wake).await {
                Next::Claim => continue,
                Next::Wait(wait) => wait,
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = wake.notified() => {}
                // A closed channel means nobody is left to say stop: stop now.
                changed = stop.changed() => if changed.is_err() { break },
            }
        }
        let drained = async { while in_flight.join_next().await.is_some() {} };
        if tokio::time::timeout(STOP_GRACE, drained).await.is_err() {
            in_flight.abort_all();
        }
    }

    /// Claims what is due into the free slots and starts sending it.
    async fn claim_round(
        self: &Arc<Self>,
        slots: &Arc<Semaphore>,
        in_flight: &mut JoinSet<()>,
        wake: &Arc<Notify>,
    ) -> Next {
        let free = slots.available_permits();
        if free == 0 {
            return Next::Wait(self.limits.idle_poll);
        }
        match self.outbox.next_due().await {
            Ok(Some(due_in)) if due_in.is_zero() => {}
            Ok(Some(due_in)) => return Next::Wait(due_in.min(self.limits.idle_poll)),
            Ok(None) => return Next::Wait(self.limits.idle_poll),
            Err(error) => {
                tracing::error!(courier = self.name, %error, "reading the outbox failed");
                return Next::Wait(self.limits.idle_poll);
            }
        }
        let batch = match self.outbox.claim(free, self.limits.lease).await {
            Ok(batch) => batch,
            Err(error) => {
                tracing::error!(courier = self.name, %error, "claiming due items failed");
                Vec::new()
            }
        };
        // Fewer than the free slots: look once more, something else may have come due.
        let more = !batch.is_empty() && batch.len() < free;
        for item in batch {
            let Ok(permit) = slots.clone().acquire_owned().await else {
                break;
            };
            let courier = self.clone();
            let wake = wake.clone();
            in_flight.spawn(async move {
                courier.attempt(item).await;
                drop(permit);
                // A slot is free, and an item ordered behind this one may now be due.
                wake.notify_one();
            });
        }
        if more {
            Next::Claim
        } else {
            Next::Wait(self.limits.idle_poll)
        }
    }

    /// Sends one item and records what happened.
    async fn attempt(&self, item: O::Item) {
        let outcome = self.outcome(&item, self.sender.send(&item).await);
        if let Err(error) = self.outbox.record(&item, outcome).await {
            // The lease lapses and the item is tried again: at least once, never lost.
            tracing::error!(courier = self.name, item = item.id(), %error, "recording an attempt failed");
        }
    }

    fn outcome(&self, item: &O::Item, sent: Result<Receipt, SendError>) -> Outcome {
        match sent {
            Ok(receipt) => Outcome::Delivered(receipt),
            Err(error) => {
                let retry_at = if error.permanent {
                    None
                } else {
                    self.retry
                        .retry_after(item.attempt())
                        .map(|wait| now_millis() + millis(wait))
                };
                Outcome::Failed { error, retry_at }
            }
        }
    }
}
