//! The interface every transport implements, so the engine does not care how an item travels.

use std::future::Future;
use std::pin::Pin;

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<Receipt, SendError>> + Send + 'a>>;

/// Sends one claimed item of type `Item`. Implementations must not log what they send: it
/// may hold a code.
pub trait Sender<Item>: Send + Sync + 'static {
    fn send<'a>(&'a self, item: &'a Item) -> SendFuture<'a>;
}

/// What the receiving end said when it accepted an item.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Receipt {
    /// The HTTP status, for transports that speak HTTP and record it.
    pub status: Option<u16>,
}

/// Why a send failed; `permanent` failures (a malformed address, a 4xx refusal) are not
/// retried.
#[derive(Debug, thiserror::Error)]
#[error("{reason}")]
pub struct SendError {
    pub reason: String,
    pub permanent: bool,
    /// The HTTP status of the refusal, when there was an answer and the channel records it.
    pub status: Option<u16>,
}

impl SendError {
    pub fn transient(reason: impl Into<String>) -> Self {
        SendError {
            reason: reason.into(),
            permanent: false,
            status: None,
        }
    }

    pub fn permanent(reason: impl Into<String>) -> Self {
        SendError {
            reason: reason.into(),
            permanent: true,
            status: None,
        }
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }
}
