//! Which delivery workers run: one for e-mail when an SMTP URL is configured, one for SMS when
//! a webhook URL is. Unconfigured channels keep their messages in the outbox. Beside them runs
//! the sweep that erases expired one-time codes.

use std::sync::Arc;
use std::time::Duration;

use roster_delivery::{DeliveryTuning, Sender, SmsGatewaySender, SmtpSender, spawn_worker};
use roster_model::messages::Channel;
use roster_store::Store;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::Config;

pub(crate) struct Delivery {
    senders: Vec<(Channel, Arc<dyn Sender>)>,
    tuning: DeliveryTuning,
}

pub(crate) struct Workers {
    shutdown: watch::Sender<bool>,
    handles: Vec<JoinHandle<()>>,
}

impl Delivery {
    /// Builds the configured senders; a malformed URL stops the start, never a message.
    pub(crate) fn configure(config: &Config) -> anyhow::Result<Self> {
        let mut senders: Vec<(Channel, Arc<dyn Sender>)> = Vec::new();
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
        Ok(Delivery {
            senders,
            tuning: config.delivery,
        })
    }

    pub(crate) fn start(&self, store: &Store) -> Workers {
        let (shutdown, receiver) = watch::channel(false);
        let mut handles: Vec<JoinHandle<()>> = self
            .senders
            .iter()
            .map(|(channel, sender)| {
                spawn_worker(
                    store.clone(),
                    *channel,
                    sender.clone(),
                    self.tuning,
                    receiver.clone(),
                )
            })
            .collect();
        // Codes expire whether or not a channel is configured, so the sweep always runs.
        handles.push(tokio::spawn(crate::code_erasure::run(
            store.clone(),
            Duration::from_millis(self.tuning.poll_interval_ms.max(10)),
            receiver,
        )));
        Workers { shutdown, handles }
    }
}

impl Workers {
    /// Lets each worker finish the message in hand; one that does not stop in time is
    /// abandoned, and its claim runs out so that a later start sends the message.
    pub(crate) async fn stop(self) {
        let _ = self.shutdown.send(true);
        for handle in self.handles {
            let abort = handle.abort_handle();
            if tokio::time::timeout(Duration::from_secs(10), handle)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}
