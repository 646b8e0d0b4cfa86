//! Messages to users (e-mail and SMS) as they wait in the outbox, and the one-time-code
//! verifications some of them carry.

use crate::time::Millis;
use crate::users::{VerificationStatus, VerificationStrategy};

/// How a message travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "email" => Some(Channel::Email),
            "sms" => Some(Channel::Sms),
            _ => None,
        }
    }
}

/// A rendered message, ready to be queued. `subject` is empty for SMS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMessage {
    pub id: String,
    pub channel: Channel,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// Which template produced it, e.g. `verification_code`.
    pub template: &'static str,
    pub user_id: Option<String>,
    /// When the subject and body hold a one-time code: the moment the code expires. The text
    /// is erased once delivered, or at that moment if that comes first.
    pub code_expires_at: Option<Millis>,
    pub created_at: Millis,
}

/// Where a queued message stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryState {
    Pending,
    Sent,
    /// Given up after the last allowed attempt.
    Failed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Sent => "sent",
            DeliveryState::Failed => "failed",
        }
    }
}

/// A message in the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxMessage {
    pub id: String,
    pub channel: Channel,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub template: String,
    pub attempts: i64,
    pub next_attempt_at: Millis,
    pub last_error: Option<String>,
    pub state: DeliveryState,
    pub sent_at: Option<Millis>,
    pub created_at: Millis,
}

/// A prepared one-time code, as stored (its code only as a digest).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeVerification {
    pub id: String,
    pub identification_id: String,
    pub user_id: String,
    pub strategy: VerificationStrategy,
    pub status: VerificationStatus,
    pub code_digest: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub expire_at: Millis,
    pub created_at: Millis,
    pub updated_at: Millis,
}
