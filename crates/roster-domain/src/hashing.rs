//! The pool that runs password hashing and every other credential check that costs real CPU
//! (imported digests, bcrypt backup codes). argon2id at OWASP's parameters costs tens of
//! milliseconds of CPU and 19 MiB of memory per hash, so the work runs on the pool's own
//! threads, one per core by default, never on the async workers. Requests wait in a bounded
//! queue with a deadline; past either bound they are refused with `Overloaded` (429 with
//! `Retry-After`), so a burst of sign-ups costs bounded memory and cannot starve other requests.
//!
//! The threads are fixed and live as long as the pool. Work used to go to tokio's blocking
//! threads, a different one almost every time, and the allocator keeps an arena per thread:
//! after one burst of 100 sign-ups each of many threads held its own freed 19 MiB of argon2
//! blocks, and the process stayed near 600 MB. A fixed thread reuses its own arena's memory.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

use roster_password::{Argon2Params, Digest};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{DomainError, DomainResult};
use crate::settings::PasswordHashing;

#[derive(Clone)]
pub(crate) struct HashingPool {
    params: Argon2Params,
    /// Requests admitted: running plus queued. Beyond this, refuse at once.
    admitted: Arc<Semaphore>,
    /// Hashes running at once.
    running: Arc<Semaphore>,
    max_wait: Duration,
    /// An argon2id digest of nothing anyone knows, at the current parameters: checking a
    /// password against it costs what a real check costs.
    dummy: Arc<Digest>,
    /// Feeds the pool's threads. A job is sent only by the holder of a `running` permit, so
    /// a thread is free for it at once; the threads end when the last clone of the pool goes.
    jobs: flume::Sender<Job>,
}

type Job = Box<dyn FnOnce() + Send>;

/// Starts `threads` hashing threads that take jobs from one channel until it closes.
fn start_threads(threads: usize) -> DomainResult<flume::Sender<Job>> {
    let (sender, receiver) = flume::unbounded::<Job>();
    for index in 0..threads {
        let receiver = receiver.clone();
        std::thread::Builder::new()
            .name(format!("roster-hashing-{index}"))
            .spawn(move || {
                for job in receiver.iter() {
                    // A panicking job loses only its own answer (its caller sees the
                    // dropped reply), never the thread.
                    let _ = catch_unwind(AssertUnwindSafe(job));
                }
            })
            .map_err(|_| DomainError::Internal("a hashing thread could not be started"))?;
    }
    Ok(sender)
}

impl HashingPool {
    pub(crate) fn new(settings: &PasswordHashing) -> DomainResult<Self> {
        let params = Argon2Params {
            memory_kib: settings.memory_kib,
            iterations: settings.iterations,
            parallelism: settings.parallelism,
        };
        params
            .validate()
            .map_err(|_| DomainError::Internal("the argon2id parameters are out of bounds"))?;
        let threads = if settings.threads == 0 {
            std::thread::available_parallelism().map_or(1, usize::from)
        } else {
            settings.threads
        };
        Ok(HashingPool {
            params,
            admitted: Arc::new(Semaphore::new(threads + settings.queue)),
            running: Arc::new(Semaphore::new(threads)),
            max_wait: Duration::from_millis(settings.max_wait_ms),
            dummy: Arc::new(roster_password::dummy_digest(&params)),
            jobs: start_threads(threads)?,
        })
    }

    pub(crate) fn params(&self) -> &Argon2Params {
        &self.params
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

    /// Waits for a hashing slot: refused at once when the queue is full, and after the
    /// deadline when no thread frees up in time.
    pub(crate) async fn slot(&self) -> DomainResult<HashingSlot> {
        self.admit()?.start().await
    }

    /// Runs `work` on a hashing thread once one is free.
    pub(crate) async fn run<T, F>(&self, work: F) -> DomainResult<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.slot().await?.run(work).await
    }

    /// A new argon2id digest of `password` at the current parameters.
    pub(crate) async fn hash(&self, password: String) -> DomainResult<Digest> {
        let params = self.params;
        self.run(move || roster_password::hash_argon2id(&password, &params))
            .await
    }

    /// Checks `password` against `digest`, or against the dummy digest when there is none, so
    /// that the answer takes as long either way.
    pub(crate) async fn verify(
        &self,
        digest: Option<Digest>,
        password: String,
    ) -> DomainResult<bool> {
        self.slot().await?.verify(self, digest, password).await
    }
}

/// A place in the hashing queue.
pub(crate) struct Admission<'a> {
    pool: &'a HashingPool,
    admitted: OwnedSemaphorePermit,
}

impl Admission<'_> {
    /// Waits for a hashing thread, up to the pool's deadline.
    pub(crate) async fn start(self) -> DomainResult<HashingSlot> {
        let pool = self.pool;
        let running = tokio::time::timeout(pool.max_wait, pool.running.clone().acquire_owned())
            .await
            .map_err(|_| pool.overloaded())?
            .map_err(|_| DomainError::Internal("the hashing pool is closed"))?;
        Ok(HashingSlot {
            _admitted: self.admitted,
            _running: running,
            jobs: pool.jobs.clone(),
        })
    }
}

/// A reserved place on a hashing thread.
pub(crate) struct HashingSlot {
    _admitted: OwnedSemaphorePermit,
    _running: OwnedSemaphorePermit,
    jobs: flume::Sender<Job>,
}

impl HashingSlot {
    pub(crate) async fn run<T, F>(self, work: F) -> DomainResult<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let interrupted = || DomainError::Internal("a password hash was interrupted");
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

    pub(crate) async fn verify(
        self,
        pool: &HashingPool,
        digest: Option<Digest>,
        password: String,
    ) -> DomainResult<bool> {
        let dummy = pool.dummy.clone();
        self.run(move || match digest {
            Some(digest) => digest.verify(&password),
            None => {
                dummy.verify(&password);
                false
            }
        })
        .await
    }
}
