//! Roster's rules and use cases.
//!
//! **Invariant:** nothing here knows HTTP or JSON wire shapes. Inputs are plain structs,
//! outputs are `roster_model` values, and failures are `DomainError`s named after what went
//! wrong; the HTTP crate maps them to Clerk's error envelope.
//!
//! **Invariant:** every write is one `roster_store::Tx`: validation happens before anything is
//! written, and a failure anywhere drops the transaction, so a refused request changes nothing.

pub mod api_keys;
pub mod error;
pub mod events;
pub mod identifications;
mod lockout;
pub mod messages;
pub mod metadata;
pub mod mfa;
pub mod paging;
pub mod passwords;
pub mod secret_keys;
pub mod sessions;
pub mod settings;
pub mod signing_keys;
pub mod users;
mod validate;
pub mod verifications;
pub mod webhooks;

pub use api_keys::{ApiKeys, KeyEnvironment, NewApiKey};
pub use error::{DomainError, DomainResult, FieldError, FieldErrorKind};
pub use events::{EventPayloads, Events, emit_event};
pub use secret_keys::SecretKeys;
pub use sessions::Sessions;
pub use settings::InstanceSettings;
pub use signing_keys::SigningKeys;
pub use users::Users;
pub use webhooks::Webhooks;

use roster_store::Store;

/// Every use case, sharing one store and one set of instance settings.
#[derive(Clone)]
pub struct Services {
    pub users: Users,
    pub api_keys: ApiKeys,
    pub sessions: Sessions,
    pub webhooks: Webhooks,
}

/// What sessions and webhooks need besides the store: the outbox writer, the token signing
/// keys, the tokens' issuer, and the delivery retry schedule.
pub struct SessionAndWebhookSettings {
    pub events: Events,
    pub signing_keys: SigningKeys,
    /// The `iss` of session tokens (this server's public URL).
    pub issuer: String,
    pub retry_schedule: webhooks::RetrySchedule,
    /// Shared with `events` and the delivery worker: notified when deliveries are queued.
    pub delivery_wake: std::sync::Arc<tokio::sync::Notify>,
}

impl Services {
    pub fn new(
        store: Store,
        settings: InstanceSettings,
        secret_keys: SecretKeys,
        bootstrap_key: Option<&str>,
        outbound: SessionAndWebhookSettings,
    ) -> DomainResult<Self> {
        let SessionAndWebhookSettings {
            events,
            signing_keys,
            issuer,
            retry_schedule,
            delivery_wake,
        } = outbound;
        let webhook_keys = std::sync::Arc::new(secret_keys.clone());
        Ok(Services {
            users: Users::new(store.clone(), settings, secret_keys)?.with_events(events.clone()),
            api_keys: ApiKeys::new(store.clone(), bootstrap_key),
            sessions: Sessions::new(
                store.clone(),
                events,
                std::sync::Arc::new(signing_keys),
                issuer,
            ),
            webhooks: Webhooks::new(store, webhook_keys, retry_schedule, delivery_wake),
        })
    }
}
