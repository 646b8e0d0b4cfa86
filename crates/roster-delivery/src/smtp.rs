//! E-mail over SMTP with lettre. `smtp://host:port` speaks plain SMTP (a local relay or a
//! development catcher), `smtps://user:pass@host` implicit TLS, and
//! `smtp://host:587?tls=required` STARTTLS; credentials in the URL are used for AUTH.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use roster_model::messages::OutboxMessage;

use crate::sender::{Receipt, SendError, SendFuture, Sender};

pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpSender {
    /// Fails when the URL or the sender address cannot be parsed. The URL may hold a
    /// password, so the error never repeats it.
    pub fn new(url: &str, from: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|_| {
                "the SMTP URL is not valid (smtp://host:port or smtps://user:pass@host)".to_owned()
            })?
            .timeout(Some(Duration::from_secs(30)))
            .build();
        let from = from
            .parse()
            .map_err(|_| format!("the sender address {from:?} is not valid"))?;
        Ok(SmtpSender { transport, from })
    }

    fn build(&self, message: &OutboxMessage) -> Result<Message, SendError> {
        let to: Mailbox = message
            .recipient
            .parse()
            .map_err(|_| SendError::permanent("the recipient address is not valid"))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject.clone())
            // Stable across retries, so a receiver can drop the rare duplicate.
            .message_id(Some(format!("<{}@roster>", message.id)))
            .header(ContentType::TEXT_PLAIN)
            .body(message.body.clone())
            .map_err(|error| SendError::permanent(format!("the message cannot be built: {error}")))
    }
}

impl Sender<OutboxMessage> for SmtpSender {
    fn send<'a>(&'a self, message: &'a OutboxMessage) -> SendFuture<'a> {
        Box::pin(async move {
            let email = self.build(message)?;
            match self.transport.send(email).await {
                Ok(_) => Ok(Receipt::default()),
                Err(error) if error.is_permanent() => Err(SendError::permanent(format!(
                    "the SMTP server refused: {error}"
                ))),
                Err(error) => Err(SendError::transient(format!("SMTP: {error}"))),
            }
        })
    }
}
