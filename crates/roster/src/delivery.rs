//! The delivery engine as the settings describe it: a courier for e-mail when an SMTP URL is
//! configured and one for SMS when a gateway URL is (unconfigured channels keep their
//! messages in the outbox), the webhook courier, and the sweeps beside them.

use std::sync::Arc;
use std::time::Duration;

use roster_delivery::webhooks::{webhook_courier, webhook_pruning};
use roster_delivery::{CodeErasure, Engine, Sender, SmsGatewaySender, SmtpSender, message_courier};
use roster_domain::Webhooks;
use roster_model::messages::{Channel, OutboxMessage};
use roster_store::Store;
use tokio::sync::Notify;

use crate::Config;

/// The message senders the settings name.
pub(crate) struct MessageSenders(Vec<(Channel, Arc<dyn Sender<OutboxMessage>>)>);

impl MessageSenders {
    /// Builds the configured senders; a malformed URL stops the start, never a message.
    pub(crate) fn configure(config: &Config) -> anyhow::Result<Self> {
        let mut senders: Vec<(Channel, Arc<dyn Sender<OutboxMessage>>)> = Vec::new();
        if let Some(url) = &config.smtp_url {
            let sender = SmtpSender::new(url, &config.mail_from).map_err(anyhow::Error::msg)?;
            senders.push((Channel::Email, Arc::new(sender)));
        } else {
            tracing::info!("no SMTP URL configured: e-mail stays in the outbox (roster mail list)");
        }
        if let Some(url) = &config.sms_webhook_url {
            let sender = SmsGatewaySender::new(url).map_err(anyhow::Error::msg)?;
            senders.push((Channel::Sms, Arc::new(sender)));
        }
        Ok(MessageSenders(senders))
    }
}

/// The engine, not yet started; `wake` is the one the domain notifies on commit.
pub(crate) fn engine(
    config: &Config,
    senders: MessageSenders,
    store: &Store,
    webhooks: &Webhooks,
    wake: Arc<Notify>,
) -> anyhow::Result<Engine> {
    let mut engine = Engine::new(wake);
    for (channel, sender) in senders.0 {
        engine.add_courier(message_courier(
            store.clone(),
            channel,
            sender,
            config.delivery,
        ));
    }
    engine.add_courier(webhook_courier(webhooks.clone(), &config.webhooks)?);
    engine.add_sweep(webhook_pruning(webhooks.clone(), &config.webhooks));
    engine.add_sweep(CodeErasure::new(
        store.clone(),
        Duration::from_millis(config.delivery.poll_interval_ms),
    ));
    Ok(engine)
}
