//! Sessions: one signed-in device of a user, and the filters of a session listing.

use crate::time::Millis;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionStatus {
    Active,
    Revoked,
    Ended,
    Expired,
    Removed,
    Abandoned,
    Replaced,
    Pending,
}

impl SessionStatus {
    pub const ALL: [SessionStatus; 8] = [
        SessionStatus::Active,
        SessionStatus::Revoked,
        SessionStatus::Ended,
        SessionStatus::Expired,
        SessionStatus::Removed,
        SessionStatus::Abandoned,
        SessionStatus::Replaced,
        SessionStatus::Pending,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Active => "active",
            SessionStatus::Revoked => "revoked",
            SessionStatus::Ended => "ended",
            SessionStatus::Expired => "expired",
            SessionStatus::Removed => "removed",
            SessionStatus::Abandoned => "abandoned",
            SessionStatus::Replaced => "replaced",
            SessionStatus::Pending => "pending",
        }
    }

    pub fn parse(text: &str) -> Option<SessionStatus> {
        SessionStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    pub user_id: String,
    pub client_id: String,
    /// As stored; an active session past `expire_at` or `abandon_at` is presented as expired
    /// or abandoned by the domain.
    pub status: SessionStatus,
    pub last_active_organization_id: Option<String>,
    pub last_active_at: Millis,
    pub expire_at: Millis,
    pub abandon_at: Millis,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// Which sessions a listing returns; newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionFilter {
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    pub status: Option<SessionStatus>,
    pub limit: i64,
    pub offset: i64,
}
