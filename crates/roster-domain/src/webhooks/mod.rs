//! Webhook endpoints (Roster's own API; Clerk leaves this to Svix): create, read, change,
//! delete, their recent deliveries, and the replay of an event. Each endpoint has a `whsec_`
//! signing secret, stored sealed because signing needs it back.

mod delivery;
pub mod targets;

pub use delivery::{AttemptOutcome, OutgoingDelivery, RetrySchedule, signature};

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use roster_model::Patch;
use roster_model::ids::{IdPrefix, WebhookEndpointId, new_id};
use roster_model::time::now_millis;
use roster_model::webhooks::{Delivery, WebhookEndpoint};
use roster_store::{SealedSecret, Store};
use tokio::sync::Notify;

use crate::encryption_keys::EncryptionKeys;
use crate::error::{DomainError, DomainResult, FieldErrorKind};
use crate::paging::PageLimit;

/// Event types an endpoint may subscribe to.
pub const EVENT_TYPES: [&str; 10] = [
    "user.created",
    "user.updated",
    "user.deleted",
    "session.created",
    "session.pending",
    "session.revoked",
    "session.ended",
    "session.removed",
    "email.created",
    "sms.created",
];

/// Random bytes in a signing secret (Svix uses 24).
const SECRET_BYTES: usize = 24;
/// Longest accepted endpoint URL.
const MAX_URL_LENGTH: usize = 2048;

/// An endpoint with its signing secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointWithSecret {
    pub endpoint: WebhookEndpoint,
    pub secret: String,
}

/// A change to an endpoint; absent fields stay as they are. `events: Null` subscribes to
/// every event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EndpointChanges {
    pub url: Option<String>,
    pub events: Patch<Vec<String>>,
}

#[derive(Clone)]
pub struct Webhooks {
    store: Store,
    encryption_keys: Arc<EncryptionKeys>,
    schedule: RetrySchedule,
    /// Notified when a replay queues a delivery.
    delivery_wake: Arc<Notify>,
    /// Endpoints may point at loopback, private and other non-public addresses (development
    /// and tests); see `targets`.
    allow_private_targets: bool,
}

impl Webhooks {
    pub fn new(
        store: Store,
        encryption_keys: Arc<EncryptionKeys>,
        schedule: RetrySchedule,
        delivery_wake: Arc<Notify>,
    ) -> Self {
        Webhooks {
            store,
            encryption_keys,
            schedule,
            delivery_wake,
            allow_private_targets: false,
        }
    }

    /// Lets endpoints point at loopback, private and other non-public addresses.
    pub fn allowing_private_targets(mut self, allow: bool) -> Self {
        self.allow_private_targets = allow;
        self
    }

    pub async fn create(
        &self,
        url: Option<String>,
        events: Option<Vec<String>>,
    ) -> DomainResult<EndpointWithSecret> {
        let url = url.ok_or_else(|| DomainError::field("url", FieldErrorKind::Missing))?;
        self.validate_url(&url).await?;
        let events = validate_events(events)?;
        let now = now_millis();
        let endpoint = WebhookEndpoint {
            id: new_id(IdPrefix::WebhookEndpoint),
            url,
            events,
            created_at: now,
            updated_at: now,
        };
        let secret = new_secret();
        let sealed = self.encryption_keys.seal(secret.as_bytes(), &endpoint.id);
        let mut tx = self.store.begin().await?;
        tx.insert_webhook_endpoint(&endpoint, &sealed.key_id, &sealed.bytes)
            .await?;
        tx.commit().await?;
        Ok(EndpointWithSecret { endpoint, secret })
    }

    pub async fn get(&self, id: &WebhookEndpointId) -> DomainResult<EndpointWithSecret> {
        let id = id.as_str();
        let (endpoint, key_id, sealed) = self
            .store
            .get_webhook_endpoint(id)
            .await?
            .ok_or_else(|| endpoint_not_found(id))?;
        let secret = self.open_secret(&endpoint.id, &key_id, &sealed)?;
        Ok(EndpointWithSecret { endpoint, secret })
    }

    pub async fn list(&self) -> DomainResult<Vec<EndpointWithSecret>> {
        self.store
            .list_webhook_endpoints()
            .await?
            .into_iter()
            .map(|(endpoint, key_id, sealed)| {
                let secret = self.open_secret(&endpoint.id, &key_id, &sealed)?;
                Ok(EndpointWithSecret { endpoint, secret })
            })
            .collect()
    }

    pub async fn update(
        &self,
        id: &WebhookEndpointId,
        changes: EndpointChanges,
    ) -> DomainResult<EndpointWithSecret> {
        let events = self
            .check_changes(changes.url.as_deref(), changes.events)
            .await?;
        let mut current = self.get(id).await?;
        let id = id.as_str();
        if let Some(url) = changes.url {
            current.endpoint.url = url;
        }
        if let Some(events) = events {
            current.endpoint.events = events;
        }
        current.endpoint.updated_at = now_millis().max(current.endpoint.updated_at);
        let mut tx = self.store.begin().await?;
        if !tx.update_webhook_endpoint(&current.endpoint).await? {
            return Err(endpoint_not_found(id));
        }
        tx.commit().await?;
        Ok(current)
    }

    /// The new URL must be a permitted target; the event types, if given, known ones.
    async fn check_changes(
        &self,
        url: Option<&str>,
        events: Patch<Vec<String>>,
    ) -> DomainResult<Option<Option<Vec<String>>>> {
        if let Some(url) = url {
            self.validate_url(url).await?;
        }
        events.given().map(validate_events).transpose()
    }

    /// Deletes the endpoint and its pending deliveries.
    pub async fn delete(&self, id: &WebhookEndpointId) -> DomainResult<()> {
        let id = id.as_str();
        let mut tx = self.store.begin().await?;
        if !tx.delete_webhook_endpoint(id).await? {
            return Err(endpoint_not_found(id));
        }
        tx.commit().await?;
        Ok(())
    }

    /// The endpoint's deliveries, newest first.
    pub async fn deliveries(
        &self,
        id: &WebhookEndpointId,
        limit: i64,
        offset: i64,
    ) -> DomainResult<Vec<Delivery>> {
        check_page(limit, offset)?;
        self.get(id).await?;
        Ok(self
            .store
            .list_deliveries(id.as_str(), limit, offset)
            .await?)
    }

    /// Queues the event `event_id` (`msg_…`) for delivery to the endpoint again, with the
    /// same `svix-id`; returns the new delivery.
    pub async fn replay(
        &self,
        endpoint_id: &WebhookEndpointId,
        event_id: &str,
    ) -> DomainResult<Delivery> {
        self.get(endpoint_id).await?;
        let endpoint_id = endpoint_id.as_str();
        let delivery_id = new_id(IdPrefix::Delivery);
        let mut tx = self.store.begin().await?;
        if !tx
            .replay_event(endpoint_id, event_id, &delivery_id, now_millis())
            .await?
        {
            return Err(DomainError::NotFound {
                resource: "event",
                id: event_id.to_owned(),
            });
        }
        let wake = self.delivery_wake.clone();
        tx.after_commit(move || wake.notify_one());
        tx.commit().await?;
        self.store
            .list_deliveries(endpoint_id, 50, 0)
            .await?
            .into_iter()
            .find(|delivery| delivery.id == delivery_id)
            .ok_or(DomainError::Internal("a replayed delivery vanished"))
    }

    /// Re-seals every endpoint's secret under the current encryption key, after a rotation.
    /// Returns how many were re-sealed.
    pub async fn reseal_secrets(&self) -> DomainResult<usize> {
        let mut count = 0;
        for (endpoint, key_id, sealed) in self.store.list_webhook_endpoints().await? {
            if key_id == self.encryption_keys.current_id() {
                continue;
            }
            let secret = self.encryption_keys.open(&key_id, &sealed, &endpoint.id)?;
            let resealed = self.encryption_keys.seal(&secret, &endpoint.id);
            let mut tx = self.store.begin().await?;
            if tx
                .reseal(
                    SealedSecret::WebhookSigning,
                    &endpoint.id,
                    &key_id,
                    &resealed.key_id,
                    &resealed.bytes,
                )
                .await?
            {
                count += 1;
            }
            tx.commit().await?;
        }
        Ok(count)
    }

    fn open_secret(&self, endpoint_id: &str, key_id: &str, sealed: &[u8]) -> DomainResult<String> {
        let bytes = self.encryption_keys.open(key_id, sealed, endpoint_id)?;
        String::from_utf8(bytes).map_err(|_| DomainError::Internal("a webhook secret is not text"))
    }
}

fn check_page(limit: i64, offset: i64) -> DomainResult<()> {
    PageLimit::new(limit)?;
    if offset < 0 {
        return Err(DomainError::field(
            "offset",
            FieldErrorKind::ValueInvalid {
                reason: "must be 0 or more".to_owned(),
            },
        ));
    }
    Ok(())
}

pub fn endpoint_not_found(id: &str) -> DomainError {
    DomainError::NotFound {
        resource: "webhook endpoint",
        id: id.to_owned(),
    }
}

fn new_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    format!("whsec_{}", STANDARD.encode(bytes))
}

/// How long registration waits for DNS before leaving the name to the check at delivery.
const REGISTRATION_LOOKUP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

impl Webhooks {
    async fn validate_url(&self, text: &str) -> DomainResult<()> {
        let url = parse_url(text)?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(url_refused(
                "must not carry a user name or password; put credentials in the path or query",
            ));
        }
        if self.allow_private_targets || self.host_is_public(&url).await {
            Ok(())
        } else {
            Err(url_refused(
                "must point at a public address, not a loopback, private, link-local or other \
                 non-public one",
            ))
        }
    }

    /// Whether the URL's host is, or resolves only to, public addresses. A name that does not
    /// resolve now passes: it may later, and every delivery checks the addresses again.
    async fn host_is_public(&self, url: &url::Url) -> bool {
        match url.host() {
            Some(url::Host::Ipv4(ip)) => targets::is_public(ip.into()),
            Some(url::Host::Ipv6(ip)) => targets::is_public(ip.into()),
            Some(url::Host::Domain(name)) if targets::is_localhost_name(name) => false,
            Some(url::Host::Domain(name)) => {
                let port = url.port_or_known_default().unwrap_or(443);
                let lookup = tokio::net::lookup_host((name, port));
                match tokio::time::timeout(REGISTRATION_LOOKUP_TIMEOUT, lookup).await {
                    Ok(Ok(mut addresses)) => addresses.all(|a| targets::is_public(a.ip())),
                    _ => true,
                }
            }
            None => false,
        }
    }
}

fn url_refused(reason: &str) -> DomainError {
    DomainError::field(
        "url",
        FieldErrorKind::ValueInvalid {
            reason: reason.to_owned(),
        },
    )
}

fn parse_url(text: &str) -> DomainResult<url::Url> {
    let invalid = || {
        DomainError::field(
            "url",
            FieldErrorKind::FormatInvalid {
                expected: "an absolute http or https URL".to_owned(),
            },
        )
    };
    if text.len() > MAX_URL_LENGTH {
        return Err(DomainError::field(
            "url",
            FieldErrorKind::MaxLengthExceeded {
                max: MAX_URL_LENGTH,
            },
        ));
    }
    let url = url::Url::parse(text).map_err(|_| invalid())?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(invalid());
    }
    Ok(url)
}

/// An empty or absent list subscribes to every event.
fn validate_events(events: Option<Vec<String>>) -> DomainResult<Option<Vec<String>>> {
    let Some(mut events) = events.filter(|events| !events.is_empty()) else {
        return Ok(None);
    };
    if let Some(unknown) = events.iter().find(|e| !EVENT_TYPES.contains(&e.as_str())) {
        return Err(DomainError::field(
            "events",
            FieldErrorKind::ValueInvalid {
                reason: format!(
                    "names an unknown event type ({unknown}); known types are {}",
                    EVENT_TYPES.join(", ")
                ),
            },
        ));
    }
    events.dedup();
    Ok(Some(events))
}
