//! The delivery engine: the couriers of every configured outbox and the sweeps beside them,
//! started together and stopped together. One commit wake from the domain reaches every
//! courier, since a transaction may queue a message and an event at once and each courier
//! then looks at its own outbox (a cheap read).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::courier::Courier;
use crate::outbox::Outbox;
use crate::sweep::{self, Sweep};

/// How long a stopping task may take beyond the couriers' own grace for sends in flight.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

type Start = Box<dyn FnOnce(Arc<Notify>, watch::Receiver<bool>) -> JoinHandle<()> + Send>;

/// The couriers and sweeps to run, not yet started.
pub struct Engine {
    wake: Arc<Notify>,
    couriers: Vec<Start>,
    sweeps: Vec<Start>,
}

/// A started engine; [`RunningEngine::stop`] ends it.
pub struct RunningEngine {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Engine {
    /// `wake` is what commits that queue something notify.
    pub fn new(wake: Arc<Notify>) -> Self {
        Engine {
            wake,
            couriers: Vec::new(),
            sweeps: Vec::new(),
        }
    }

    pub fn add_courier<O: Outbox>(&mut self, courier: Courier<O>) {
        let courier = Arc::new(courier);
        self.couriers.push(Box::new(move |wake, stop| {
            tokio::spawn(courier.run(wake, stop))
        }));
    }

    pub fn add_sweep(&mut self, sweep: impl Sweep) {
        self.sweeps.push(Box::new(move |_, stop| {
            tokio::spawn(sweep::run(sweep, stop))
        }));
    }

    /// Starts every courier and sweep; must be called inside the runtime.
    pub fn start(self) -> RunningEngine {
        let (stop, stopped) = watch::channel(false);
        let mut wakes = Vec::with_capacity(self.couriers.len());
        let mut tasks = Vec::new();
        for start in self.couriers {
            // Each courier has a wake of its own, which its finished sends notify too.
            let wake = Arc::new(Notify::new());
            wakes.push(wake.clone());
            tasks.push(start(wake, stopped.clone()));
        }
        for start in self.sweeps {
            tasks.push(start(Arc::default(), stopped.clone()));
        }
        tasks.push(tokio::spawn(pass_on_wakes(self.wake, wakes, stopped)));
        RunningEngine { stop, tasks }
    }
}

/// Hands each commit's wake to every courier. A courier that is busy keeps it (`Notify`
/// stores one permit), so a commit during a claim is not missed.
async fn pass_on_wakes(
    commits: Arc<Notify>,
    couriers: Vec<Arc<Notify>>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            () = commits.notified() => {
                for courier in &couriers {
                    courier.notify_one();
                }
            }
            _ = stop.changed() => return,
        }
    }
}

impl RunningEngine {
    /// Lets each courier finish the sends in hand; a task that does not stop in time is
    /// abandoned, and its claims run out so that a later start sends their items.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let abort = task.abort_handle();
            if tokio::time::timeout(STOP_TIMEOUT, task).await.is_err() {
                abort.abort();
            }
        }
    }
}
