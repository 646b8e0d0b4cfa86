//! Roster's delivery engine: one way of sending out what every outbox holds. Use cases queue
//! rows in the transaction of the change that causes them (outbox messages, webhook
//! deliveries); the engine's couriers claim due rows under a lease, send them through a
//! [`Sender`], record each outcome, retry a failure on their channel's own schedule and give
//! it up at the schedule's end. A commit wakes them at once; an idle poll finds work queued by
//! other nodes. The couriers:
//!
//! - e-mail through SMTP ([`SmtpSender`]: lettre, with rustls for `smtps://` and STARTTLS)
//!   and SMS through an HTTP gateway ([`SmsGatewaySender`]), retried with exponential
//!   back-off ([`MessageTuning`]); a channel without a sender is left alone, its messages stay
//!   in the outbox, readable with `roster mail list`;
//! - webhooks ([`webhooks`]): signed by the domain's `Webhooks`, POSTed only to public
//!   addresses, on the domain's retry schedule, at most half the slots to one endpoint.
//!
//! Nothing queued is lost: a row is stamped sent only after the receiver accepted it. The one
//! window for a duplicate is a crash between the two, which the stable `Message-ID` and
//! `svix-id` let a receiver recognise.

mod code_erasure;
mod courier;
mod engine;
mod messages;
mod outbox;
mod retry;
mod sender;
mod sms_gateway;
mod smtp;
mod sweep;
mod tuning;
pub mod webhooks;

pub use code_erasure::CodeErasure;
pub use courier::{Courier, CourierLimits};
pub use engine::{Engine, RunningEngine};
pub use messages::{MessageOutbox, message_courier};
pub use outbox::{Claimed, Outbox, OutboxError, Outcome};
pub use retry::{Backoff, RetryPolicy};
pub use sender::{Receipt, SendError, SendFuture, Sender};
pub use sms_gateway::SmsGatewaySender;
pub use smtp::SmtpSender;
pub use sweep::Sweep;
pub use tuning::MessageTuning;
pub use webhooks::WebhookSettings;
