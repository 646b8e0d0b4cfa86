//! The pool that runs password hashing and every other credential check that costs real CPU
//! (imported digests, bcrypt backup codes). argon2id at OWASP's parameters costs tens of
//! milliseconds of CPU and 19 MiB of memory per hash, so the work runs on a `WorkPool` of its
//! own, one thread per core by default, never on the async workers.

use std::sync::Arc;
use std::time::Duration;

use roster_password::{Argon2Params, Digest};

use crate::error::{DomainError, DomainResult};
use crate::settings::PasswordHashing;
use crate::work_pool::{Admission, Slot, WorkPool};

#[derive(Clone)]
pub(crate) struct HashingPool {
    params: Argon2Params,
    pool: WorkPool,
    /// An argon2id digest of nothing anyone knows, at the current parameters: checking a
    /// password against it costs what a real check costs.
    dummy: Arc<Digest>,
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
        Ok(HashingPool {
            params,
            pool: WorkPool::new(
                "roster-hashing",
                settings.threads,
                settings.queue,
                Duration::from_millis(settings.max_wait_ms),
            )?,
            dummy: Arc::new(roster_password::dummy_digest(&params)),
        })
    }

    pub(crate) fn params(&self) -> &Argon2Params {
        &self.params
    }

    /// A place in the hashing queue, or `Overloaded` at once when it is full.
    pub(crate) fn admit(&self) -> DomainResult<Admission<'_>> {
        self.pool.admit()
    }

    /// Runs `work` on a hashing thread once one is free.
    pub(crate) async fn run<T, F>(&self, work: F) -> DomainResult<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.pool.run(work).await
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
        let slot = self.pool.slot().await?;
        self.verify_on(slot, digest, password).await
    }

    /// `verify` on a thread already reserved.
    pub(crate) async fn verify_on(
        &self,
        slot: Slot,
        digest: Option<Digest>,
        password: String,
    ) -> DomainResult<bool> {
        let dummy = self.dummy.clone();
        slot.run(move || match digest {
            Some(digest) => digest.verify(&password),
            None => {
                dummy.verify(&password);
                false
            }
        })
        .await
    }
}
