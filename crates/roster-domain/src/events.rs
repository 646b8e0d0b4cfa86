//! Events for webhooks, written to the outbox in the same transaction as the change they
//! describe: no change without its event, no event without its change.
//!
//! The domain decides *which* event a change causes; the shape of its payload is Clerk's wire
//! format, which only the wire layer knows, so it is rendered through `EventPayloads`, handed
//! in when the application is assembled.

use std::sync::Arc;

use roster_model::ids::{IdPrefix, new_id};
use roster_model::sessions::Session;
use roster_model::time::{Millis, now_millis};
use roster_model::users::User;
use roster_store::{ErasablePayload, EventRecord, Tx};
use tokio::sync::Notify;

use crate::error::DomainResult;
use roster_model::messages::{Channel, NewMessage};
use roster_model::organizations::{Invitation, Membership, Organization};

/// The event of every change to a user; also named where a change skips the `Tx` when nobody
/// subscribes to it (`users/update.rs`).
pub(crate) const USER_UPDATED: &str = "user.updated";

/// Renders event payloads in Clerk's wire format.
pub trait EventPayloads: Send + Sync + 'static {
    /// A user as `user.created` / `user.updated` carry it.
    fn user(&self, user: &User) -> serde_json::Value;
    /// What `user.deleted` carries: the deleted-object stub.
    fn deleted_user(&self, user: &User) -> serde_json::Value;
    /// A session with its user, as the `session.*` events carry it.
    fn session(&self, session: &Session, user: &User) -> serde_json::Value;
    /// A queued e-mail or SMS as `email.created` / `sms.created` carry it; `identification_id`
    /// is the address or number it goes to, when that is one of the user's.
    fn message(&self, message: &NewMessage, identification_id: Option<&str>) -> serde_json::Value;
    /// An organization as `organization.created` / `organization.updated` carry it.
    fn organization(&self, organization: &Organization) -> serde_json::Value;
    /// What `organization.deleted` carries: the deleted-object stub.
    fn deleted_organization(&self, organization: &Organization) -> serde_json::Value;
    /// A membership as the `organizationMembership.*` events carry it.
    fn membership(&self, membership: &Membership) -> serde_json::Value;
    /// An invitation as the `organizationInvitation.*` events carry it.
    fn invitation(&self, invitation: &Invitation) -> serde_json::Value;
    /// The envelope around `data`: `{data, object:"event", type, timestamp, instance_id}`.
    fn envelope(&self, header: EventHeader<'_>, data: serde_json::Value) -> serde_json::Value;
}

/// What the envelope says of an event besides its data.
#[derive(Clone, Copy, Debug)]
pub struct EventHeader<'a> {
    pub event_type: &'a str,
    pub timestamp: Millis,
    pub instance_id: &'a str,
}

/// The session events Roster emits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionEvent {
    Created,
    Revoked,
    Ended,
    Removed,
}

impl SessionEvent {
    pub fn event_type(self) -> &'static str {
        match self {
            SessionEvent::Created => "session.created",
            SessionEvent::Revoked => "session.revoked",
            SessionEvent::Ended => "session.ended",
            SessionEvent::Removed => "session.removed",
        }
    }
}

/// What happened to an organization or a membership.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Change {
    Created,
    Updated,
    Deleted,
}

/// Writes events to the outbox; cheap to clone.
#[derive(Clone)]
pub struct Events {
    instance_id: Arc<str>,
    payloads: Arc<dyn EventPayloads>,
    /// Notified after each commit that wrote an event, so the delivery worker need not poll.
    delivery_wake: Arc<Notify>,
}

impl Events {
    pub fn new(
        instance_id: String,
        payloads: Arc<dyn EventPayloads>,
        delivery_wake: Arc<Notify>,
    ) -> Self {
        Events {
            instance_id: instance_id.into(),
            payloads,
            delivery_wake,
        }
    }

    /// A fresh `ins_…` id for a new instance.
    pub fn new_instance_id() -> String {
        new_id(IdPrefix::Instance)
    }

    pub fn instance_id(&self) -> &str {
        &self.instance_id
    }

    /// Writes one event of any type to the outbox inside `tx`; returns its `msg_…` id.
    /// `ordering_key` (a user id) keeps one user's events in order at each endpoint. Other
    /// capabilities (mail, SMS) call this with their own `data`.
    /// `email.created` or `sms.created` for a message queued in the same transaction. A message
    /// that carries a one-time code comes with `erasable`: the same message without the code,
    /// and when the code expires. Receivers get the code while it is valid (Clerk's events
    /// carry it too); the stored event loses it once delivered everywhere, or at expiry.
    pub(crate) async fn message_created(
        &self,
        tx: &mut Tx,
        message: &NewMessage,
        identification_id: Option<&str>,
        erasable: Option<(NewMessage, Millis)>,
    ) -> DomainResult<()> {
        let event_type = match message.channel {
            Channel::Email => "email.created",
            Channel::Sms => "sms.created",
        };
        let data = || self.payloads.message(message, identification_id);
        let redacted = erasable.map(|(redacted, erase_at)| {
            let data = move || self.payloads.message(&redacted, identification_id);
            (data, erase_at)
        });
        self.write_event(tx, event_type, message.user_id.as_deref(), data, redacted)
            .await?;
        Ok(())
    }

    /// Queues an event for every endpoint subscribed to `event_type`. `data` is rendered only
    /// when some endpoint subscribes: most writes of an instance without webhooks build no
    /// payload at all, and none while holding the write lock for nothing.
    pub async fn emit_event(
        &self,
        tx: &mut Tx,
        event_type: &str,
        ordering_key: Option<&str>,
        data: impl FnOnce() -> serde_json::Value,
    ) -> DomainResult<String> {
        self.write_event(
            tx,
            event_type,
            ordering_key,
            data,
            None::<(fn() -> serde_json::Value, Millis)>,
        )
        .await
    }

    /// `emit_event`, with a redacted form of the data that replaces it at `erase_at` or once
    /// every delivery has finished.
    async fn write_event(
        &self,
        tx: &mut Tx,
        event_type: &str,
        ordering_key: Option<&str>,
        data: impl FnOnce() -> serde_json::Value,
        redacted: Option<(impl FnOnce() -> serde_json::Value, Millis)>,
    ) -> DomainResult<String> {
        let id = new_id(IdPrefix::Message);
        let endpoints = tx.event_subscribers(event_type).await?;
        if endpoints.is_empty() {
            return Ok(id);
        }
        let now = now_millis();
        let header = EventHeader {
            event_type,
            timestamp: now,
            instance_id: &self.instance_id,
        };
        let envelope = self.payloads.envelope(header, data());
        let record = EventRecord {
            id,
            event_type: event_type.to_owned(),
            ordering_key: ordering_key.map(str::to_owned),
            payload: envelope.to_string(),
            created_at: now,
            erasable: redacted.map(|(data, erase_at)| ErasablePayload {
                redacted_payload: self.payloads.envelope(header, data()).to_string(),
                erase_at,
            }),
        };
        tx.insert_event(&record, &endpoints, || new_id(IdPrefix::Delivery))
            .await?;
        self.wake_delivery_after_commit(tx);
        Ok(record.id)
    }

    /// Wakes the delivery engine once `tx` has committed what it queued.
    pub(crate) fn wake_delivery_after_commit(&self, tx: &mut Tx) {
        let wake = self.delivery_wake.clone();
        tx.after_commit(move || wake.notify_one());
    }

    pub(crate) async fn user_created(&self, tx: &mut Tx, user: &User) -> DomainResult<()> {
        let data = || self.payloads.user(user);
        self.emit_event(tx, "user.created", Some(&user.id), data)
            .await
            .map(drop)
    }

    pub(crate) async fn user_updated(&self, tx: &mut Tx, user: &User) -> DomainResult<()> {
        let data = || self.payloads.user(user);
        self.emit_event(tx, USER_UPDATED, Some(&user.id), data)
            .await
            .map(drop)
    }

    pub(crate) async fn user_deleted(&self, tx: &mut Tx, user: &User) -> DomainResult<()> {
        let data = || self.payloads.deleted_user(user);
        self.emit_event(tx, "user.deleted", Some(&user.id), data)
            .await
            .map(drop)
    }

    /// `organization.created`, `organization.updated` or `organization.deleted`.
    pub(crate) async fn organization(
        &self,
        tx: &mut Tx,
        change: Change,
        organization: &Organization,
    ) -> DomainResult<()> {
        let event_type = match change {
            Change::Created => "organization.created",
            Change::Updated => "organization.updated",
            Change::Deleted => "organization.deleted",
        };
        let data = || match change {
            Change::Deleted => self.payloads.deleted_organization(organization),
            _ => self.payloads.organization(organization),
        };
        self.emit_event(tx, event_type, Some(&organization.id), data)
            .await
            .map(drop)
    }

    /// `organizationMembership.created`, `.updated` or `.deleted` (which carries the whole
    /// membership, as Clerk's does).
    pub(crate) async fn membership(
        &self,
        tx: &mut Tx,
        change: Change,
        membership: &Membership,
    ) -> DomainResult<()> {
        let event_type = match change {
            Change::Created => "organizationMembership.created",
            Change::Updated => "organizationMembership.updated",
            Change::Deleted => "organizationMembership.deleted",
        };
        let data = || self.payloads.membership(membership);
        self.emit_event(tx, event_type, Some(&membership.organization.id), data)
            .await
            .map(drop)
    }

    /// `organizationInvitation.created`, `.accepted` or `.revoked`.
    pub(crate) async fn invitation(
        &self,
        tx: &mut Tx,
        event_type: &'static str,
        invitation: &Invitation,
    ) -> DomainResult<()> {
        let data = || self.payloads.invitation(invitation);
        self.emit_event(tx, event_type, Some(&invitation.organization.id), data)
            .await
            .map(drop)
    }

    pub(crate) async fn session(
        &self,
        tx: &mut Tx,
        event: SessionEvent,
        session: &Session,
        user: &User,
    ) -> DomainResult<()> {
        let data = || self.payloads.session(session, user);
        self.emit_event(tx, event.event_type(), Some(&session.user_id), data)
            .await
            .map(drop)
    }
}

/// The free-function form of [`Events::emit_event`], for callers that hold an `Events`.
pub async fn emit_event(
    tx: &mut Tx,
    events: &Events,
    event_type: &str,
    ordering_key: Option<&str>,
    data: serde_json::Value,
) -> DomainResult<String> {
    events
        .emit_event(tx, event_type, ordering_key, || data)
        .await
}
