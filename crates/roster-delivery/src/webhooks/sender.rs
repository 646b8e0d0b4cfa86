//! Webhook requests: the signed body POSTed to the endpoint with the Standard Webhooks
//! headers. Any 2xx is delivered; everything else is retried on the schedule. Recorded errors
//! name only the kind of failure, never the network's own words ("connection refused" against
//! "no route" would map the network).

use std::sync::Arc;

use roster_domain::webhooks::OutgoingDelivery;

use super::settings::WebhookSettings;
use super::targets::{PublicOnlyResolver, TARGET_NOT_ALLOWED, TargetNotAllowed, allowed_url};
use crate::sender::{Receipt, SendError, SendFuture, Sender};

pub struct WebhookSender {
    client: reqwest::Client,
    allow_private_targets: bool,
}

impl WebhookSender {
    pub fn new(settings: &WebhookSettings) -> Result<Self, reqwest::Error> {
        let timeout = settings.timeout();
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            // A redirect would lead to an address nobody checked.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Roster-Webhooks/", env!("CARGO_PKG_VERSION")));
        if !settings.allow_private_targets {
            // A proxy would resolve and connect on Roster's behalf, past the resolver.
            builder = builder
                .no_proxy()
                .dns_resolver(Arc::new(PublicOnlyResolver));
        }
        Ok(WebhookSender {
            client: builder.build()?,
            allow_private_targets: settings.allow_private_targets,
        })
    }

    async fn post(&self, delivery: &OutgoingDelivery) -> Result<Receipt, SendError> {
        if !allowed_url(&delivery.url, self.allow_private_targets) {
            return Err(SendError::transient(TARGET_NOT_ALLOWED));
        }
        let response = self
            .client
            .post(&delivery.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("svix-id", &delivery.message_id)
            .header("svix-timestamp", delivery.timestamp.to_string())
            .header("svix-signature", &delivery.signature)
            .body(delivery.body.clone())
            .send()
            .await
            .map_err(|error| SendError::transient(failure_kind(&error)))?;
        let status = response.status().as_u16();
        if response.status().is_success() {
            Ok(Receipt {
                status: Some(status),
            })
        } else {
            Err(SendError::transient(format!("HTTP {}xx", status / 100)).with_status(status))
        }
    }
}

impl Sender<OutgoingDelivery> for WebhookSender {
    fn send<'a>(&'a self, delivery: &'a OutgoingDelivery) -> SendFuture<'a> {
        Box::pin(self.post(delivery))
    }
}

/// The kind of a failed request, in words that say nothing about the network behind it.
fn failure_kind(error: &reqwest::Error) -> &'static str {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if cause.is::<TargetNotAllowed>() {
            return TARGET_NOT_ALLOWED;
        }
        source = cause.source();
    }
    if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connection refused or unreachable"
    } else {
        "no valid HTTP answer"
    }
}
