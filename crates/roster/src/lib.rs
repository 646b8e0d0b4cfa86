//! The Roster server as a library: configuration and the application that binds a listener,
//! opens the store and serves the API. The binary and the integration tests both start it
//! through `Application`, so tests exercise exactly what `roster serve` runs.

pub mod breached;
pub mod config;
mod delivery;
pub mod encryption_keys;
pub mod export;
pub mod import;
mod key_files;
mod panics;
pub mod signing_keys;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use roster_domain::{Events, Services, SessionAndWebhookSettings};
use roster_http::AppState;
use roster_store::{Store, StoreOptions};
use tokio::net::TcpListener;

pub use config::Config;
pub use panics::log_panics;

/// Opens the store described by `config`, creating the data folder when needed.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating the data folder {}", config.data_dir.display()))?;
    restrict_permissions(&config.data_dir);
    let options = StoreOptions {
        url: config.database_url(),
        durability: config.durability.into(),
        max_readers: config.max_readers,
        max_connections: config.max_connections,
    };
    Store::open(&options)
        .await
        .with_context(|| format!("opening the database {}", config.database_url_for_display()))
}

/// The data folder holds secrets (key material, the database): only its owner may read it.
fn restrict_permissions(path: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Err(error) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700)) {
            tracing::warn!(%error, "could not restrict the data folder to its owner");
        }
    }
}

/// The file in the data folder that receives the key minted at first start.
pub const FIRST_KEY_FILE: &str = "first-secret-key.txt";

/// A fresh data folder would otherwise serve nothing: mint a key so that `roster serve` alone
/// yields a usable server. The key goes to a file only its owner can read, never to the log,
/// which is often shipped and kept elsewhere; the log names the file.
async fn mint_first_key(
    api_keys: &roster_domain::ApiKeys,
    data_dir: &std::path::Path,
) -> anyhow::Result<()> {
    let key = api_keys
        .create(
            roster_domain::KeyEnvironment::Test,
            Some("first start".to_owned()),
        )
        .await?;
    let path = data_dir.join(FIRST_KEY_FILE);
    write_private_file(&path, format!("{}\n", key.secret).as_bytes())
        .with_context(|| format!("writing the first secret key to {}", path.display()))?;
    tracing::warn!(
        key_id = %key.record.id,
        path = %path.display(),
        "no secret key was configured, so one was created and written to a file readable by \
         its owner only; move it somewhere safe and delete the file"
    );
    Ok(())
}

/// Writes `bytes` to `path`, replacing what was there, readable and writable by its owner only.
fn write_private_file(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    // A file that existed before keeps its mode through `open`; narrow it as well.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(bytes)?;
    file.sync_all()
}

/// The instance settings with defaults that depend on the data folder filled in.
pub fn instance_settings(config: &Config) -> roster_domain::InstanceSettings {
    let mut instance = config.instance.clone();
    breached::default_corpus(&mut instance.password_policy, &config.data_dir);
    instance
}

/// A bound, ready-to-serve Roster.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    store: Store,
    delivery: roster_delivery::Engine,
    connection_limits: roster_http::ConnectionLimits,
    edge_limits: Arc<roster_http::EdgeLimits>,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        if let Some(key) = &config.secret_key
            && let Some(problem) = roster_domain::api_keys::configured_key_problem(key)
        {
            anyhow::bail!(
                "the secret_key setting (ROSTER_SECRET_KEY) is refused: {problem}; \
                 run `roster keys create` for a key, or leave the setting out"
            );
        }
        let connection_limits = config.http.connection_limits()?;
        let edge_limits = Arc::new(
            roster_http::EdgeLimits::new(
                &config.rate_limits,
                config.http.trusted_proxies.clone(),
                std::time::Duration::from_millis(config.http.body_read_timeout_ms),
            )
            .map_err(anyhow::Error::msg)?,
        );
        let store = open_store(&config).await?;
        let message_senders = delivery::MessageSenders::configure(&config)?;
        let listener = TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("binding {}", config.addr))?;
        let local = listener.local_addr()?;
        let public_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{local}"))
            .trim_end_matches('/')
            .to_owned();
        let (services, delivery_wake) = assemble_services(&config, &store, &public_url).await?;
        let delivery = delivery::engine(
            &config,
            message_senders,
            &store,
            &services.webhooks,
            delivery_wake,
        )?;
        if !services.api_keys.any_configured().await? {
            mint_first_key(&services.api_keys, &config.data_dir).await?;
        }
        let router = roster_http::router(AppState {
            services: Arc::new(services),
            public_url: public_url.into(),
            limits: edge_limits.clone(),
        });
        Ok(Application {
            listener,
            router,
            store,
            delivery,
            connection_limits,
            edge_limits,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves (and delivers the outboxes) until `shutdown` completes, then finishes in-flight
    /// requests, stops the delivery engine and closes the store.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        tracing::info!(addr = %self.local_addr(), "serving");
        let delivery = self.delivery.start();
        let pruning = tokio::spawn(forget_idle_clients(self.edge_limits));
        roster_http::serve(self.listener, self.router, self.connection_limits, shutdown).await;
        pruning.abort();
        delivery.stop().await;
        self.store.close().await;
        Ok(())
    }
}

/// The use cases over `store`, as the server runs them: events with their payloads, session
/// signing keys, webhook settings. Also returns the wake-up the delivery engine listens on.
pub async fn assemble_services(
    config: &Config,
    store: &Store,
    public_url: &str,
) -> anyhow::Result<(Services, Arc<tokio::sync::Notify>)> {
    let instance_id = store.instance_id(Events::new_instance_id).await?;
    let signing_config = config.clone();
    let signing_keys =
        tokio::task::spawn_blocking(move || signing_keys::load(&signing_config)).await??;
    let delivery_wake = Arc::new(tokio::sync::Notify::new());
    let outbound = SessionAndWebhookSettings {
        events: Events::new(
            instance_id,
            roster_http::event_payloads(public_url),
            delivery_wake.clone(),
        ),
        signing_keys,
        issuer: public_url.to_owned(),
        retry_schedule: config.webhooks.retry_schedule(),
        delivery_wake: delivery_wake.clone(),
    };
    let mut context = roster_domain::Context::new(
        store.clone(),
        instance_settings(config),
        encryption_keys::load(config)?,
    )?;
    if let Some(url) = &config.instance.password_policy.breached_range_api {
        context = context.with_breached_range_api(breached::HttpRangeApi::new(url)?);
    }
    let mut services = Services::new(context, config.secret_key.as_deref(), outbound);
    services.webhooks = services
        .webhooks
        .clone()
        .allowing_private_targets(config.webhooks.allow_private_targets);
    Ok((services, delivery_wake))
}

/// Keeps the rate limiters' memory to the clients seen lately.
async fn forget_idle_clients(limits: Arc<roster_http::EdgeLimits>) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(30));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        limits.forget_idle_clients();
    }
}
