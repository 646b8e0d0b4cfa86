//! Event payloads in Clerk's wire format, for the domain's outbox: the domain decides which
//! event a change causes, and this renders it with the same wire types the API answers with.

use std::sync::Arc;

use roster_domain::EventPayloads;
use roster_model::sessions::Session;
use roster_model::time::Millis;
use roster_model::users::User;
use roster_wire::sessions::Session as WireSession;
use roster_wire::users::User as WireUser;
use roster_wire::webhooks::{DeletedUser, Event, SessionWithUser};

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

    fn envelope(
        &self,
        event_type: &str,
        data: serde_json::Value,
        timestamp: Millis,
        instance_id: &str,
    ) -> serde_json::Value {
        to_value(Event {
            data,
            object: "event",
            event_type: event_type.to_owned(),
            timestamp,
            instance_id: instance_id.to_owned(),
        })
    }
}
