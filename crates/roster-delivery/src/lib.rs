//! Delivery of the messages Roster queues in its outbox: e-mail through SMTP (lettre, with
//! rustls for `smtps://` and STARTTLS) and SMS through a pluggable sender (an HTTP webhook is
//! built in). A worker per channel claims due messages with a lease, sends them, and stamps
//! them sent; a failed send is retried with exponential back-off. A channel without a sender
//! is left alone: its messages stay in the outbox, readable with `roster mail list`.
//!
//! Roster never loses a queued message: the outbox row is written in the transaction of the
//! change that causes it, and a row is stamped sent only after the server accepted it. The one
//! window for a duplicate is a crash between the two, which the stable `Message-ID` lets a
//! receiving server recognise.

mod sender;
mod sms_gateway;
mod smtp;
mod worker;

pub use sender::{SendError, Sender};
pub use sms_gateway::SmsGatewaySender;
pub use smtp::SmtpSender;
pub use worker::{DeliveryTuning, spawn_worker};
