//! Secret API keys: minted once, shown once, stored only as a SHA-256 digest.
//!
//! SHA-256 (rather than a slow password hash) suits these keys because they carry 238 bits
//! of randomness: nothing can be guessed, so the digest only has to be one-way and fast
//! enough to check on every request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;
use rand::distr::Alphanumeric;
use roster_model::ids::{IdPrefix, new_id};
use roster_model::time::now_millis;
use roster_store::{ApiKeyRecord, Store};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::{DomainError, DomainResult};

/// How long a key found valid is trusted without asking the database again. Bounds how long
/// a key revoked on another node keeps working there.
const CACHE_TTL: Duration = Duration::from_secs(5);
const CACHE_CAPACITY: usize = 1024;
const SECRET_LENGTH: usize = 40;
/// Fewest characters after `sk_test_` / `sk_live_` in a key given in settings: 32 random
/// characters (as `secrets.token_hex(16)` makes) are beyond guessing; `a` is not.
pub const MIN_CONFIGURED_SECRET_LENGTH: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyEnvironment {
    Test,
    Live,
}

impl KeyEnvironment {
    fn as_str(self) -> &'static str {
        match self {
            KeyEnvironment::Test => "test",
            KeyEnvironment::Live => "live",
        }
    }
}

/// A key just minted: the only moment its secret exists outside the client.
pub struct NewApiKey {
    pub record: ApiKeyRecord,
    pub secret: String,
}

#[derive(Clone)]
pub struct ApiKeys {
    store: Store,
    bootstrap_hash: Option<[u8; 32]>,
    recently_valid: Arc<Mutex<HashMap<[u8; 32], Instant>>>,
}

impl ApiKeys {
    /// `bootstrap_key` is a key given in settings, accepted without being stored.
    pub fn new(store: Store, bootstrap_key: Option<&str>) -> Self {
        ApiKeys {
            store,
            bootstrap_hash: bootstrap_key.map(digest),
            recently_valid: Arc::default(),
        }
    }

    /// Whether `presented` is known to be valid without asking the database: the key given in
    /// settings, or one found valid moments ago. The edge lets such keys past its limits on
    /// failed attempts, which must not cost a database read.
    pub fn known_valid(&self, presented: &str) -> bool {
        let hash = digest(presented);
        self.bootstrap_hash
            .as_ref()
            .is_some_and(|bootstrap| bool::from(bootstrap.ct_eq(&hash)))
            || self.cached(&hash)
    }

    /// Whether `presented` is an active secret key.
    pub async fn authenticate(&self, presented: &str) -> DomainResult<bool> {
        let hash = digest(presented);
        if let Some(bootstrap) = &self.bootstrap_hash
            && bool::from(bootstrap.ct_eq(&hash))
        {
            return Ok(true);
        }
        if self.cached(&hash) {
            return Ok(true);
        }
        let active = self
            .store
            .api_key_is_active(&hash)
            .await
            .map_err(DomainError::from)?;
        if active {
            self.remember(hash);
        }
        Ok(active)
    }

    pub async fn create(
        &self,
        environment: KeyEnvironment,
        label: Option<String>,
    ) -> DomainResult<NewApiKey> {
        let random: String = rand::rng()
            .sample_iter(Alphanumeric)
            .take(SECRET_LENGTH)
            .map(char::from)
            .collect();
        let secret = format!("sk_{}_{random}", environment.as_str());
        let record = ApiKeyRecord {
            id: new_id(IdPrefix::ApiKey),
            prefix: secret[..12].to_owned(),
            environment: environment.as_str().to_owned(),
            label,
            created_at: now_millis(),
            revoked_at: None,
        };
        self.store.insert_api_key(&record, &digest(&secret)).await?;
        Ok(NewApiKey { record, secret })
    }

    pub async fn list(&self) -> DomainResult<Vec<ApiKeyRecord>> {
        Ok(self.store.list_api_keys().await?)
    }

    pub async fn revoke(&self, id: &str) -> DomainResult<()> {
        if !self.store.revoke_api_key(id, now_millis()).await? {
            return Err(DomainError::NotFound {
                resource: "api key",
                id: id.to_owned(),
            });
        }
        self.recently_valid
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
        Ok(())
    }

    /// Whether any key could authenticate a request.
    pub async fn any_configured(&self) -> DomainResult<bool> {
        Ok(self.bootstrap_hash.is_some() || self.store.count_active_api_keys().await? > 0)
    }

    fn cached(&self, hash: &[u8; 32]) -> bool {
        let cache = self
            .recently_valid
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        cache
            .get(hash)
            .is_some_and(|seen| seen.elapsed() < CACHE_TTL)
    }

    fn remember(&self, hash: [u8; 32]) {
        let mut cache = self
            .recently_valid
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if cache.len() >= CACHE_CAPACITY {
            cache.retain(|_, seen| seen.elapsed() < CACHE_TTL);
        }
        if cache.len() < CACHE_CAPACITY {
            cache.insert(hash, Instant::now());
        }
    }
}

/// Why a key given in settings is refused, or `None` when it looks like a key Clerk or
/// `roster keys create` mints: `sk_test_` or `sk_live_`, then at least
/// [`MIN_CONFIGURED_SECRET_LENGTH`] characters.
pub fn configured_key_problem(key: &str) -> Option<String> {
    let Some(rest) = key
        .strip_prefix("sk_test_")
        .or_else(|| key.strip_prefix("sk_live_"))
    else {
        return Some("it must start with sk_test_ or sk_live_".to_owned());
    };
    (rest.chars().count() < MIN_CONFIGURED_SECRET_LENGTH).then(|| {
        format!(
            "it must have at least {MIN_CONFIGURED_SECRET_LENGTH} characters after the prefix \
             (`roster keys create` mints such keys)"
        )
    })
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_keys_must_look_minted() {
        assert!(configured_key_problem("a").is_some());
        assert!(configured_key_problem("sk_test_short").is_some());
        assert!(configured_key_problem(&format!("pk_test_{}", "x".repeat(40))).is_some());
        assert!(configured_key_problem(&format!("sk_live_{}", "x".repeat(31))).is_some());
        assert!(configured_key_problem(&format!("sk_test_{}", "x".repeat(32))).is_none());
    }
}
