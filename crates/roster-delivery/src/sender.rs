//! The interface every transport implements, so the worker does not care how a message
//! travels.

use std::future::Future;
use std::pin::Pin;

use roster_model::messages::OutboxMessage;

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), SendError>> + Send + 'a>>;

/// Sends one message. Implementations must not log the message body: it may hold a code.
pub trait Sender: Send + Sync + 'static {
    fn send<'a>(&'a self, message: &'a OutboxMessage) -> SendFuture<'a>;
}

/// Why a send failed; `permanent` failures (a malformed address, a 5xx refusal) are not
/// retried.
#[derive(Debug, thiserror::Error)]
#[error("{reason}")]
pub struct SendError {
    pub reason: String,
    pub permanent: bool,
}

impl SendError {
    pub fn transient(reason: impl Into<String>) -> Self {
        SendError {
            reason: reason.into(),
            permanent: false,
        }
    }

    pub fn permanent(reason: impl Into<String>) -> Self {
        SendError {
            reason: reason.into(),
            permanent: true,
        }
    }
}
