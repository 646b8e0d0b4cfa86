//! Event payloads in Clerk's wire format, for the domain's outbox: the domain decides which
//! event a change causes, and this renders it with the same wire types the API answers with.

use std::sync::Arc;

use roster_domain::events::{EventHeader, EventPayloads};
use roster_model::messages::{Channel, NewMessage};
use roster_model::organizations::{Invitation, Membership, Organization};
use roster_model::sessions::Session;
use roster_model::users::User;
use roster_wire::common::DeletedObject;
use roster_wire::sessions::Session as WireSession;
use roster_wire::users::User as WireUser;
use roster_wire::webhooks::{DeletedUser, Email, Event, SessionWithUser, SmsMessage};

/// Renders payloads with avatar links under `public_url`.
pub fn event_payloads(public_url: &str) -> Arc<dyn EventPayloads> {
    Arc::new(WirePayloads {
        public_url: public_url.trim_end_matches('/').to_owned(),
    })
}

struct WirePayloads {
    public_url: String,
}

impl WirePayloads {
    fn wire_user(&self, user: &User) -> WireUser {
        crate::users::render_with(&self.public_url, user)
    }
}

fn to_value(value: impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(value).expect("wire types always serialize")
}

impl EventPayloads for WirePayloads {
    fn user(&self, user: &User) -> serde_json::Value {
        to_value(self.wire_user(user))
    }

    fn deleted_user(&self, user: &User) -> serde_json::Value {
        to_value(DeletedUser {
            object: "user",
            id: user.id.clone(),
            deleted: true,
            external_id: user.external_id.clone(),
        })
    }

    fn session(&self, session: &Session, user: &User) -> serde_json::Value {
        to_value(SessionWithUser {
            session: WireSession::from_model(session),
            user: self.wire_user(user),
        })
    }

    fn message(&self, message: &NewMessage, identification_id: Option<&str>) -> serde_json::Value {
        let data = serde_json::Value::Object(Default::default());
        match message.channel {
            Channel::Email => to_value(Email {
                object: "email",
                id: message.id.clone(),
                slug: message.template,
                from_email_name: "notifications",
                to_email_address: message.recipient.clone(),
                email_address_id: identification_id.map(str::to_owned),
                user_id: message.user_id.clone(),
                subject: message.subject.clone(),
                body: message.body.clone(),
                body_plain: message.body.clone(),
                status: "queued",
                delivered_by_clerk: true,
                data,
            }),
            Channel::Sms => to_value(SmsMessage {
                object: "sms_message",
                id: message.id.clone(),
                slug: message.template,
                from_phone_number: "",
                to_phone_number: message.recipient.clone(),
                phone_number_id: identification_id.map(str::to_owned),
                user_id: message.user_id.clone(),
                message: message.body.clone(),
                status: "queued",
                delivered_by_clerk: true,
                data,
            }),
        }
    }

    fn organization(&self, organization: &Organization) -> serde_json::Value {
        to_value(crate::organizations::render_organization(
            &self.public_url,
            organization,
            false,
        ))
    }

    fn deleted_organization(&self, organization: &Organization) -> serde_json::Value {
        to_value(DeletedObject::new("organization", organization.id.clone()))
    }

    fn membership(&self, membership: &Membership) -> serde_json::Value {
        to_value(crate::organizations::render_membership(
            &self.public_url,
            membership,
        ))
    }

    fn invitation(&self, invitation: &Invitation) -> serde_json::Value {
        to_value(crate::organization_invitations::render_invitation(
            &self.public_url,
            invitation,
            false,
        ))
    }

    fn envelope(&self, header: EventHeader<'_>, data: serde_json::Value) -> serde_json::Value {
        to_value(Event {
            data,
            object: "event",
            event_type: header.event_type.to_owned(),
            timestamp: header.timestamp,
            instance_id: header.instance_id.to_owned(),
        })
    }
}
