//! SMS through an HTTP gateway: each message is POSTed as JSON
//! `{"id": "msg_…", "to": "+4915…", "body": "…"}` to a URL the operator runs (a small bridge
//! to their SMS provider). Any 2xx answer counts as delivered; 4xx (except 408 and 429) is
//! permanent; anything else is retried.

use std::time::Duration;

use roster_model::messages::OutboxMessage;
use serde::Serialize;

use crate::sender::{Receipt, SendError, SendFuture, Sender};

pub struct SmsGatewaySender {
    client: reqwest::Client,
    url: String,
}

#[derive(Serialize)]
struct Payload<'a> {
    id: &'a str,
    to: &'a str,
    body: &'a str,
}

impl SmsGatewaySender {
    pub fn new(url: &str) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|error| format!("the HTTP client cannot start: {error}"))?;
        Ok(SmsGatewaySender {
            client,
            url: url.to_owned(),
        })
    }
}

impl Sender<OutboxMessage> for SmsGatewaySender {
    fn send<'a>(&'a self, message: &'a OutboxMessage) -> SendFuture<'a> {
        Box::pin(async move {
            let payload = Payload {
                id: &message.id,
                to: &message.recipient,
                body: &message.body,
            };
            let response = self
                .client
                .post(&self.url)
                .json(&payload)
                .send()
                .await
                .map_err(|error| {
                    SendError::transient(format!("SMS webhook: {}", error.without_url()))
                })?;
            let status = response.status();
            if status.is_success() {
                Ok(Receipt::default())
            } else if status.is_client_error() && status != 408 && status != 429 {
                Err(SendError::permanent(format!(
                    "SMS webhook answered {status}"
                )))
            } else {
                Err(SendError::transient(format!(
                    "SMS webhook answered {status}"
                )))
            }
        })
    }
}
