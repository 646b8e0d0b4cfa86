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
pub mod identifications;
mod lockout;
pub mod messages;
pub mod metadata;
pub mod mfa;
pub mod passwords;
pub mod secret_keys;
pub mod settings;
pub mod users;
mod validate;
pub mod verifications;

pub use api_keys::{ApiKeys, KeyEnvironment, NewApiKey};
pub use error::{DomainError, DomainResult, FieldError, FieldErrorKind};
pub use secret_keys::SecretKeys;
pub use settings::InstanceSettings;
pub use users::Users;

use roster_store::Store;

/// Every use case, sharing one store and one set of instance settings.
#[derive(Clone)]
pub struct Services {
    pub users: Users,
    pub api_keys: ApiKeys,
}

impl Services {
    pub fn new(
        store: Store,
        settings: InstanceSettings,
        secret_keys: SecretKeys,
        bootstrap_key: Option<&str>,
    ) -> DomainResult<Self> {
        Ok(Services {
            users: Users::new(store.clone(), settings, secret_keys)?,
            api_keys: ApiKeys::new(store, bootstrap_key),
        })
    }
}
