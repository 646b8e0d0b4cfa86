//! Webhook endpoints and the deliveries of events to them.

use crate::time::Millis;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookEndpoint {
    pub id: String,
    pub url: String,
    /// Event types the endpoint receives; `None` means every event.
    pub events: Option<Vec<String>>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting for its next attempt, or in flight.
    Pending,
    Delivered,
    /// Every attempt of the retry schedule failed.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<DeliveryStatus> {
        [
            DeliveryStatus::Pending,
            DeliveryStatus::Delivered,
            DeliveryStatus::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// The delivery of one event to one endpoint, with what its attempts so far produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub id: String,
    pub endpoint_id: String,
    /// The event's `msg_…` id, sent as `svix-id`.
    pub event_id: String,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: Option<Millis>,
    pub last_attempt_at: Option<Millis>,
    pub last_response_code: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at: Option<Millis>,
    pub created_at: Millis,
}

/// A delivery a worker has claimed: what it needs to send it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimedDelivery {
    pub id: String,
    pub endpoint_id: String,
    pub url: String,
    pub key_id: String,
    pub sealed_secret: Vec<u8>,
    pub event_id: String,
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: i64,
}
