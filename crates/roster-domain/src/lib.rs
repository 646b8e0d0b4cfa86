//! Roster's rules and use cases.
//!
//! **Invariant:** nothing here knows HTTP or JSON wire shapes. Inputs are plain structs,
//! outputs are `roster_model` values, and failures are `DomainError`s named after what went
//! wrong; the HTTP crate maps them to Clerk's error envelope.
//!
//! **Invariant:** every write is one `roster_store::Tx`: validation happens before anything is
//! written, and a failure anywhere drops the transaction, so a refused request changes nothing.

pub mod api_keys;
pub mod breached;
pub mod context;
pub mod encryption_keys;
pub mod error;
pub mod events;
pub mod exports;
mod hashing;
pub mod identifications;
mod identifiers;
pub mod images;
pub mod imports;
mod lockout;
pub mod messages;
pub mod metadata;
pub mod mfa;
pub mod organizations;
pub mod paging;
pub mod passwords;
pub mod sessions;
pub mod settings;
pub mod signing_keys;
mod user_record;
pub mod users;
mod validate;
pub mod verifications;
pub mod webhooks;
mod work_pool;

pub use api_keys::{ApiKeys, KeyEnvironment, NewApiKey};
pub use context::Context;
pub use encryption_keys::EncryptionKeys;
pub use error::{DomainError, DomainResult, FieldError, FieldErrorKind};
pub use events::{EventPayloads, Events, emit_event};
pub use exports::Exports;
pub use identifications::Identifications;
pub use images::Images;
pub use imports::Imports;
pub use mfa::SecondFactors;
pub use organizations::{Invitations, Memberships, Organizations, Roles};
pub use passwords::Passwords;
pub use sessions::Sessions;
pub use settings::InstanceSettings;
pub use signing_keys::SigningKeys;
pub use users::Users;
pub use verifications::Verifications;
pub use webhooks::Webhooks;

use std::sync::Arc;

/// Every use case. The user-facing services share one `Context`; a new one is a module and
/// one line in `Services::new`.
#[derive(Clone)]
pub struct Services {
    pub users: Users,
    pub organizations: Organizations,
    pub memberships: Memberships,
    pub invitations: Invitations,
    pub roles: Roles,
    pub identifications: Identifications,
    pub images: Images,
    pub imports: Imports,
    pub exports: Exports,
    pub verifications: Verifications,
    pub second_factors: SecondFactors,
    pub passwords: Passwords,
    pub api_keys: ApiKeys,
    pub sessions: Sessions,
    pub webhooks: Webhooks,
}

/// What sessions and webhooks need besides the context: the outbox writer, the token signing
/// keys, the tokens' issuer, and the delivery retry schedule.
pub struct SessionAndWebhookSettings {
    pub events: Events,
    pub signing_keys: SigningKeys,
    /// The `iss` of session tokens (this server's public URL).
    pub issuer: String,
    pub retry_schedule: webhooks::RetrySchedule,
    /// Shared with `events` and the delivery worker: notified when deliveries are queued.
    pub delivery_wake: Arc<tokio::sync::Notify>,
}

impl Services {
    /// The context takes `outbound.events` as its outbox writer.
    pub fn new(
        context: Context,
        bootstrap_key: Option<&str>,
        outbound: SessionAndWebhookSettings,
    ) -> Self {
        let SessionAndWebhookSettings {
            events,
            signing_keys,
            issuer,
            retry_schedule,
            delivery_wake,
        } = outbound;
        let cx = Arc::new(context.with_events(events.clone()));
        let store = cx.store.clone();
        Services {
            users: Users::new(cx.clone()),
            organizations: Organizations::new(cx.clone()),
            memberships: Memberships::new(cx.clone()),
            invitations: Invitations::new(cx.clone()),
            roles: Roles::new(cx.clone()),
            identifications: Identifications::new(cx.clone()),
            images: Images::new(cx.clone()),
            imports: Imports::new(cx.clone()),
            exports: Exports::new(cx.clone()),
            verifications: Verifications::new(cx.clone()),
            second_factors: SecondFactors::new(cx.clone()),
            passwords: Passwords::new(cx.clone()),
            api_keys: ApiKeys::new(store.clone(), bootstrap_key),
            sessions: Sessions::new(store.clone(), events, Arc::new(signing_keys), issuer),
            webhooks: Webhooks::new(
                store,
                cx.encryption_keys.clone(),
                retry_schedule,
                delivery_wake,
            ),
        }
    }
}
