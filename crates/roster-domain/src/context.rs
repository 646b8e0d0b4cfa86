//! What every use-case service shares: one `Context`, built once and held in an `Arc`, so a
//! service is a pointer and a request clones nothing.

use std::sync::Arc;
use std::time::Duration;

use roster_store::Store;

use crate::breached::RangeApi;
use crate::encryption_keys::EncryptionKeys;
use crate::error::DomainResult;
use crate::events::Events;
use crate::hashing::HashingPool;
use crate::settings::InstanceSettings;
use crate::work_pool::WorkPool;

/// Uploads and resizes that may wait for an imaging thread, and for how long.
const IMAGING_QUEUE: usize = 64;
const IMAGING_MAX_WAIT_MS: u64 = 30_000;

pub struct Context {
    pub(crate) store: Store,
    pub(crate) settings: InstanceSettings,
    /// Encryption keys of the secrets at rest (TOTP secrets, webhook signing secrets, code
    /// digests); shared with the webhooks service.
    pub(crate) encryption_keys: Arc<EncryptionKeys>,
    pub(crate) hashing: HashingPool,
    /// Image decoding, encoding and resizing: threads of their own, so uploads never queue
    /// ahead of sign-ins, with a longer wait, as a large photo takes a while to decode.
    pub(crate) imaging: WorkPool,
    /// The outbox writer; `None` only in a context built alone, as unit tests do, which then
    /// emits no events.
    pub(crate) events: Option<Events>,
    /// Asked, besides the local lists, whether a new password has leaked.
    pub(crate) breached_range_api: Option<Arc<dyn RangeApi>>,
}

impl Context {
    /// Fails only when the password-hashing settings are out of bounds.
    pub fn new(
        store: Store,
        settings: InstanceSettings,
        encryption_keys: EncryptionKeys,
    ) -> DomainResult<Self> {
        Ok(Context {
            hashing: HashingPool::new(&settings.password_hashing)?,
            imaging: WorkPool::new(
                "roster-imaging",
                settings.password_hashing.threads,
                IMAGING_QUEUE,
                Duration::from_millis(IMAGING_MAX_WAIT_MS),
            )?,
            store,
            settings,
            encryption_keys: Arc::new(encryption_keys),
            events: None,
            breached_range_api: None,
        })
    }

    /// Writes events to the outbox (the application always sets this).
    pub fn with_events(mut self, events: Events) -> Self {
        self.events = Some(events);
        self
    }

    /// Also asks this k-anonymity range API whether a new password has leaked.
    pub fn with_breached_range_api(mut self, api: impl RangeApi + 'static) -> Self {
        self.breached_range_api = Some(Arc::new(api));
        self
    }

    pub fn settings(&self) -> &InstanceSettings {
        &self.settings
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn encryption_keys(&self) -> Arc<EncryptionKeys> {
        self.encryption_keys.clone()
    }
}
