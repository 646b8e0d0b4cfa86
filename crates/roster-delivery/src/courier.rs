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

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::outbox::OutboxError;
    use crate::retry::Backoff;
    use crate::sender::SendFuture;

    /// An item of the in-memory outbox: its attempts so far and where it stands.
    #[derive(Clone, Debug, PartialEq)]
    struct Row {
        id: String,
        attempts: i64,
        due: bool,
        state: &'static str,
    }

    impl Claimed for Row {
        fn id(&self) -> &str {
            &self.id
        }

        fn attempt(&self) -> i64 {
            self.attempts
        }
    }

    #[derive(Default)]
    struct MemoryOutbox(Mutex<Vec<Row>>);

    impl MemoryOutbox {
        fn queue(&self, id: &str) {
            self.0.lock().unwrap().push(Row {
                id: id.to_owned(),
                attempts: 0,
                due: true,
                state: "pending",
            });
        }

        fn row(&self, id: &str) -> Row {
            let rows = self.0.lock().unwrap();
            rows.iter().find(|row| row.id == id).unwrap().clone()
        }
    }

    impl Outbox for Arc<MemoryOutbox> {
        type Item = Row;

        async fn next_due(&self) -> Result<Option<Duration>, OutboxError> {
            let rows = self.0.lock().unwrap();
            Ok(rows.iter().any(|row| row.due).then_some(Duration::ZERO))
        }

        async fn claim(&self, limit: usize, _: Duration) -> Result<Vec<Row>, OutboxError> {
            let mut rows = self.0.lock().unwrap();
            let mut claimed = Vec::new();
            for row in rows.iter_mut().filter(|row| row.due).take(limit) {
                row.due = false;
                row.attempts += 1;
                claimed.push(row.clone());
            }
            Ok(claimed)
        }

        async fn record(&self, item: &Row, outcome: Outcome) -> Result<(), OutboxError> {
            let mut rows = self.0.lock().unwrap();
            let row = rows.iter_mut().find(|row| row.id == item.id).unwrap();
            row.state = match outcome {
                Outcome::Delivered(_) => "sent",
                Outcome::Failed { retry_at: None, .. } => "failed",
                Outcome::Failed { .. } => {
                    // Due again at once: the test's back-off is a millisecond.
                    row.due = true;
                    "pending"
                }
            };
            Ok(())
        }
    }

    /// Fails every send of an item whose id starts with `fail`, for good when it starts with
    /// `refuse`, and accepts the others from their `accept_from`-th attempt on.
    struct ScriptedSender {
        accept_from: i64,
    }

    impl Sender<Row> for ScriptedSender {
        fn send<'a>(&'a self, row: &'a Row) -> SendFuture<'a> {
            Box::pin(async move {
                if row.id.starts_with("refuse") {
                    Err(SendError::permanent("refused"))
                } else if row.id.starts_with("fail") || row.attempts < self.accept_from {
                    Err(SendError::transient("down"))
                } else {
                    Ok(Receipt::default())
                }
            })
        }
    }

    async fn until_state(outbox: &MemoryOutbox, id: &str, state: &str) -> Row {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let row = outbox.row(id);
            if row.state == state {
                return row;
            }
            assert!(tokio::time::Instant::now() < deadline, "{row:?}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    #[tokio::test]
    async fn items_are_retried_on_the_schedule_given_up_at_its_end_and_woken_by_commits() {
        let outbox = Arc::new(MemoryOutbox::default());
        let courier = Arc::new(Courier::new(
            "test",
            outbox.clone(),
            Arc::new(ScriptedSender { accept_from: 3 }),
            Arc::new(Backoff {
                base_ms: 1,
                max_ms: 1,
                max_attempts: 5,
            }),
            CourierLimits {
                concurrency: 2,
                lease: Duration::from_secs(60),
                // Only a wake can start delivery within the test.
                idle_poll: Duration::from_secs(3600),
            },
        ));
        let wake = Arc::new(Notify::new());
        let (stop, stopped) = watch::channel(false);
        let running = tokio::spawn(courier.run(wake.clone(), stopped));

        for id in ["late", "fail", "refuse"] {
            outbox.queue(id);
        }
        wake.notify_one();
        assert_eq!(until_state(&outbox, "late", "sent").await.attempts, 3);
        assert_eq!(until_state(&outbox, "fail", "failed").await.attempts, 5);
        assert_eq!(until_state(&outbox, "refuse", "failed").await.attempts, 1);

        let _ = stop.send(true);
        running.await.unwrap();
    }
}
