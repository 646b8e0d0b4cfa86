//! Roster's own webhook-endpoint API (Clerk leaves endpoints to Svix): the endpoint object,
//! its request bodies, deliveries, and the event envelope Clerk sends (spec §7.1).

use roster_model::webhooks::{Delivery as ModelDelivery, WebhookEndpoint as ModelEndpoint};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::list_query::{FromPairs, ListQuery, QueryError};
use roster_model::Patch;

#[derive(Clone, Debug, Serialize, PartialEq, Eq, ToSchema)]
pub struct WebhookEndpoint {
    #[schema(schema_with = crate::schema::webhook_endpoint)]
    pub object: &'static str,
    pub id: String,
    pub url: String,
    /// Subscribed event types; `null` means every event.
    #[schema(required = true)]
    pub events: Option<Vec<String>>,
    /// `whsec_…`: the key receivers verify signatures with.
    pub secret: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl WebhookEndpoint {
    pub fn from_model(endpoint: &ModelEndpoint, secret: &str) -> Self {
        WebhookEndpoint {
            object: "webhook_endpoint",
            id: endpoint.id.clone(),
            url: endpoint.url.clone(),
            events: endpoint.events.clone(),
            secret: secret.to_owned(),
            created_at: endpoint.created_at,
            updated_at: endpoint.updated_at,
        }
    }
}

/// `POST /webhook_endpoints`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq, ToSchema)]
pub struct CreateWebhookEndpointRequest {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
}

/// `PATCH /webhook_endpoints/{id}`: absent keys stay; `events: null` subscribes to all.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq, ToSchema)]
pub struct UpdateWebhookEndpointRequest {
    pub url: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    pub events: Patch<Vec<String>>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq, ToSchema)]
pub struct WebhookDelivery {
    #[schema(schema_with = crate::schema::webhook_delivery)]
    pub object: &'static str,
    pub id: String,
    pub endpoint_id: String,
    /// The event's id, sent as `svix-id`.
    pub event_id: String,
    pub event_type: String,
    /// `pending`, `delivered` or `failed`.
    pub status: &'static str,
    pub attempts: i64,
    #[schema(required = true)]
    pub next_attempt_at: Option<i64>,
    #[schema(required = true)]
    pub last_attempt_at: Option<i64>,
    #[schema(required = true)]
    pub last_response_code: Option<i64>,
    #[schema(required = true)]
    pub last_error: Option<String>,
    #[schema(required = true)]
    pub delivered_at: Option<i64>,
    pub created_at: i64,
}

impl WebhookDelivery {
    pub fn from_model(delivery: &ModelDelivery) -> Self {
        WebhookDelivery {
            object: "webhook_delivery",
            id: delivery.id.clone(),
            endpoint_id: delivery.endpoint_id.clone(),
            event_id: delivery.event_id.clone(),
            event_type: delivery.event_type.clone(),
            status: delivery.status.as_str(),
            attempts: delivery.attempts,
            next_attempt_at: delivery.next_attempt_at,
            last_attempt_at: delivery.last_attempt_at,
            last_response_code: delivery.last_response_code,
            last_error: delivery.last_error.clone(),
            delivered_at: delivery.delivered_at,
            created_at: delivery.created_at,
        }
    }
}

/// How many deliveries a page holds when the query does not say.
pub const DEFAULT_DELIVERY_LIMIT: i64 = 50;

/// The query of an endpoint's deliveries listing, as the OpenAPI document describes it.
#[allow(dead_code)]
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// How many deliveries to return (50 by default).
    #[param(required = false)]
    limit: i64,
    /// How many deliveries to skip.
    #[param(required = false)]
    offset: i64,
}

/// The page of an endpoint's deliveries listing; it takes no filters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeliveryPage {
    pub limit: i64,
    pub offset: i64,
}

impl FromPairs for DeliveryPage {
    fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, QueryError> {
        let page = ListQuery::read(pairs, |_, _| Ok(()))?;
        Ok(DeliveryPage {
            limit: page.limit.unwrap_or(DEFAULT_DELIVERY_LIMIT),
            offset: page.offset.unwrap_or(0),
        })
    }
}

/// The envelope of every event Clerk sends: `{data, object:"event", type, timestamp,
/// instance_id}`; `timestamp` in milliseconds.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Event {
    pub data: serde_json::Value,
    pub object: &'static str,
    #[serde(rename = "type")]
    pub event_type: String,
    pub timestamp: i64,
    pub instance_id: String,
}

/// A session as the `session.*` events carry it: the Session with its full `user`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SessionWithUser {
    #[serde(flatten)]
    pub session: crate::sessions::Session,
    pub user: crate::users::User,
}

/// What `user.deleted` carries.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct DeletedUser {
    pub object: &'static str,
    pub id: String,
    pub deleted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

/// What `email.created` carries: the message Roster queued for delivery, so that an application
/// that sends its own e-mail can do so.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Email {
    pub object: &'static str,
    pub id: String,
    pub slug: &'static str,
    pub from_email_name: &'static str,
    pub to_email_address: String,
    pub email_address_id: Option<String>,
    pub user_id: Option<String>,
    pub subject: String,
    pub body: String,
    pub body_plain: String,
    pub status: &'static str,
    pub delivered_by_clerk: bool,
    pub data: serde_json::Value,
}

/// What `sms.created` carries.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SmsMessage {
    pub object: &'static str,
    pub id: String,
    pub slug: &'static str,
    pub from_phone_number: &'static str,
    pub to_phone_number: String,
    pub phone_number_id: Option<String>,
    pub user_id: Option<String>,
    pub message: String,
    pub status: &'static str,
    pub delivered_by_clerk: bool,
    pub data: serde_json::Value,
}
