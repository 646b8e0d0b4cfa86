//! A fixed set of threads for CPU-heavy work (password hashing, image decoding), with a
//! bounded queue and a deadline. Past either bound a request is refused with `Overloaded` (429
//! with `Retry-After`), so a burst costs bounded memory and cannot starve other requests.
//!
//! The threads are fixed and live as long as the pool. Work used to go to tokio's blocking
//! threads, a different one almost every time, and the allocator keeps an arena per thread:
//! after one burst of 100 sign-ups each of many threads held its own freed 19 MiB of argon2
//! blocks, and the process stayed near 600 MB. A fixed thread reuses its own arena's memory.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{DomainError, DomainResult};

#[derive(Clone)]
pub(crate) struct WorkPool {
    /// Requests admitted: running plus queued. Beyond this, refuse at once.
    admitted: Arc<Semaphore>,
    /// Jobs running at once.
    running: Arc<Semaphore>,
    max_wait: Duration,
    /// Feeds the pool's threads. A job is sent only by the holder of a `running` permit, so
    /// a thread is free for it at once; the threads end when the last clone of the pool goes.
    jobs: flume::Sender<Job>,
}

type Job = Box<dyn FnOnce() + Send>;

/// Starts `threads` threads named `<name>-<index>` that take jobs from one channel until it
/// closes.
fn start_threads(name: &str, threads: usize) -> DomainResult<flume::Sender<Job>> {
    let (sender, receiver) = flume::unbounded::<Job>();
    for index in 0..threads {
        let receiver = receiver.clone();
        std::thread::Builder::new()
            .name(format!("{name}-{index}"))
            .spawn(move || {
                for job in receiver.iter() {
                    // A panicking job loses only its own answer (its caller sees the
                    // dropped reply), never the thread.
                    let _ = catch_unwind(AssertUnwindSafe(job));
                }
            })
            .map_err(|_| DomainError::Internal("a worker thread could not be started"))?;
    }
    Ok(sender)
}

impl WorkPool {
    /// `threads` threads (one per core when 0), `queue` more requests waiting, each at most
    /// `max_wait`.
    pub(crate) fn new(
        name: &str,
        threads: usize,
        queue: usize,
        max_wait: Duration,
    ) -> DomainResult<Self> {
        let threads = if threads == 0 {
            std::thread::available_parallelism().map_or(1, usize::from)
        } else {
            threads
        };
        Ok(WorkPool {
            admitted: Arc::new(Semaphore::new(threads + queue)),
            running: Arc::new(Semaphore::new(threads)),
            max_wait,
            jobs: start_threads(name, threads)?,
        })
    }

    fn overloaded(&self) -> DomainError {
        DomainError::Overloaded {
            retry_after_seconds: self.max_wait.as_secs().max(1),
        }
    }

    /// A place in the queue, or `Overloaded` at once when the queue is full.
    pub(crate) fn admit(&self) -> DomainResult<Admission<'_>> {
        let admitted = self
            .admitted
            .clone()
            .try_acquire_owned()
            .map_err(|_| self.overloaded())?;
        Ok(Admission {
            pool: self,
            admitted,
        })
    }

    /// Waits for a thread: refused at once when the queue is full, and after the deadline
    /// when no thread frees up in time.
    pub(crate) async fn slot(&self) -> DomainResult<Slot> {
        self.admit()?.start().await
    }

    /// Runs `work` on one of the pool's threads once one is free.
    pub(crate) async fn run<T, F>(&self, work: F) -> DomainResult<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.slot().await?.run(work).await
    }
}

/// A place in the queue.
pub(crate) struct Admission<'a> {
    pool: &'a WorkPool,
    admitted: OwnedSemaphorePermit,
}

impl Admission<'_> {
    /// Waits for a thread, up to the pool's deadline.
    pub(crate) async fn start(self) -> DomainResult<Slot> {
        let pool = self.pool;
        let running = tokio::time::timeout(pool.max_wait, pool.running.clone().acquire_owned())
            .await
            .map_err(|_| pool.overloaded())?
            .map_err(|_| DomainError::Internal("the worker pool is closed"))?;
        Ok(Slot {
            _admitted: self.admitted,
            _running: running,
            jobs: pool.jobs.clone(),
        })
    }
}

/// A reserved place on one of the pool's threads.
pub(crate) struct Slot {
    _admitted: OwnedSemaphorePermit,
    _running: OwnedSemaphorePermit,
    jobs: flume::Sender<Job>,
}

impl Slot {
    pub(crate) async fn run<T, F>(self, work: F) -> DomainResult<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let interrupted = || DomainError::Internal("work on the pool was interrupted");
        let (reply, answer) = tokio::sync::oneshot::channel();
        let jobs = self.jobs.clone();
        // The slot travels with the job: its thread stays counted as busy until the work
        // ends, even when the request that asked for it has gone.
        let job: Job = Box::new(move || {
            let _slot = self;
            let _ = reply.send(work());
        });
        jobs.send(job).map_err(|_| interrupted())?;
        answer.await.map_err(|_| interrupted())
    }
}
