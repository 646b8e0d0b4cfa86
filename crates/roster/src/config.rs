//! Settings: compiled-in defaults, then an optional TOML file, then `ROSTER_*` environment
//! variables, then command-line flags, each overriding the one before.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use roster_domain::InstanceSettings;
use serde::{Deserialize, Serialize};

/// The top-level settings' names, as the environment spells them after `ROSTER_`.
const SETTINGS: [&str; 18] = [
    "addr",
    "data_dir",
    "database_url",
    "secret_key",
    "public_url",
    "durability",
    "max_readers",
    "max_connections",
    "instance",
    "encryption_key",
    "retired_encryption_keys",
    "smtp_url",
    "mail_from",
    "sms_webhook_url",
    "delivery",
    "session_signing_key",
    "retired_session_signing_keys",
    "webhooks",
];

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the HTTP server listens.
    pub addr: SocketAddr,
    /// Folder for the SQLite database and key material.
    pub data_dir: PathBuf,
    /// Database URL; by default an SQLite file in the data folder.
    pub database_url: Option<String>,
    /// A secret key accepted as `Authorization: Bearer …` in addition to stored keys.
    pub secret_key: Option<String>,
    /// The base URL clients reach this server at (for links such as avatar URLs).
    pub public_url: Option<String>,
    /// `full` flushes every commit to disk; `normal` survives a crash of Roster but not of
    /// the machine, and is faster.
    pub durability: Durability,
    /// Reader connections to the embedded database.
    pub max_readers: u32,
    /// Connections this node keeps open to PostgreSQL (with several nodes, their sum must
    /// stay under the server's `max_connections`).
    pub max_connections: u32,
    /// What the instance enables and requires of users, and its lockout policy.
    pub instance: InstanceSettings,
    /// Base64 of the 32-byte key that seals TOTP secrets and keys backup-code digests. Without
    /// it, the key is read from (or, on first start, created in) `encryption.key` in the data
    /// folder. Every node of one deployment needs the same key.
    pub encryption_key: Option<String>,
    /// Earlier keys (base64), still used to open what they sealed; see the README on rotation.
    pub retired_encryption_keys: Vec<String>,
    /// Where e-mail goes: `smtp://host:port`, `smtps://user:pass@host`, or
    /// `smtp://host:587?tls=required` for STARTTLS. Without it, e-mail stays in the outbox.
    pub smtp_url: Option<String>,
    /// The `From` of every e-mail.
    pub mail_from: String,
    /// Where SMS go: each is POSTed as JSON to this URL. Without it, SMS stay in the outbox.
    pub sms_webhook_url: Option<String>,
    /// Polling, retry and lease timing of the delivery workers.
    pub delivery: roster_mail::DeliveryTuning,
    /// PEM (PKCS#8 or PKCS#1) of the RSA private key that signs session tokens. Without it, the
    /// key is read from (or, on first start, created in) `session-signing-key.pem` in the data
    /// folder.
    pub session_signing_key: Option<String>,
    /// Earlier signing keys (PEM), still published in the JWKS; see the README on rotation.
    pub retired_session_signing_keys: Vec<String>,
    /// How webhooks are delivered.
    pub webhooks: WebhookSettings,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookSettings {
    /// Seconds to wait before each retry of a failed delivery; when they are spent the
    /// delivery is marked failed. The default is Svix's schedule (about a day and a half).
    pub retry_schedule_seconds: Vec<u64>,
    /// How long one delivery attempt may take.
    pub timeout_seconds: u64,
    /// Most deliveries in flight at once.
    pub concurrency: usize,
    /// Days a finished delivery (and its event, once no delivery needs it) is kept, for the
    /// deliveries list and replays.
    pub retention_days: u64,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            retry_schedule_seconds: vec![5, 300, 1800, 7200, 18_000, 36_000, 36_000],
            timeout_seconds: 15,
            concurrency: 8,
            retention_days: 30,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Durability {
    #[default]
    Full,
    Normal,
}

impl From<Durability> for roster_store::Durability {
    fn from(value: Durability) -> Self {
        match value {
            Durability::Full => roster_store::Durability::Full,
            Durability::Normal => roster_store::Durability::Normal,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("roster-data"),
            database_url: None,
            secret_key: None,
            public_url: None,
            durability: Durability::Full,
            max_readers: 4,
            max_connections: 10,
            instance: InstanceSettings::default(),
            encryption_key: None,
            retired_encryption_keys: Vec::new(),
            smtp_url: None,
            mail_from: "Roster <no-reply@localhost>".to_owned(),
            sms_webhook_url: None,
            delivery: roster_mail::DeliveryTuning::default(),
            session_signing_key: None,
            retired_session_signing_keys: Vec::new(),
            webhooks: WebhookSettings::default(),
        }
    }
}

impl Config {
    /// Reads the file (when given) and the environment over the defaults.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let mut figment = Figment::from(Serialized::defaults(DefaultsLayer::default()));
        if let Some(file) = file {
            if !file.exists() {
                anyhow::bail!("the config file {} does not exist", file.display());
            }
            figment = figment.merge(Toml::file(file));
        }
        // `ROSTER_INSTANCE__LOCKOUT__MAX_ATTEMPTS=5` sets instance.lockout.max_attempts.
        // Only the settings' own names are read: other ROSTER_* variables (ROSTER_LOG, or a
        // test harness's ROSTER_URL) belong to someone else and must not stop the server.
        figment = figment.merge(
            Env::prefixed("ROSTER_")
                .filter(|key| {
                    // The key keeps the variable's case here; it is lower-cased only later.
                    let top = key.as_str().split("__").next().unwrap_or_default();
                    SETTINGS.iter().any(|name| top.eq_ignore_ascii_case(name))
                })
                .split("__"),
        );
        Ok(figment.extract()?)
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("roster.db").display()))
    }

    /// The database URL without any password it may carry.
    pub fn database_url_for_display(&self) -> String {
        let url = self.database_url();
        match (url.find("://"), url.rfind('@')) {
            (Some(scheme_end), Some(at)) if at > scheme_end => {
                format!("{}://…{}", &url[..scheme_end], &url[at..])
            }
            _ => url,
        }
    }
}

/// The defaults layer: every top-level setting except the instance settings, which serde
/// fills from `InstanceSettings::default()` when neither file nor environment sets them.
#[derive(Serialize)]
struct DefaultsLayer {
    addr: SocketAddr,
    data_dir: PathBuf,
    durability: Durability,
    max_readers: u32,
    max_connections: u32,
}

impl Default for DefaultsLayer {
    fn default() -> Self {
        let config = Config::default();
        DefaultsLayer {
            addr: config.addr,
            data_dir: config.data_dir,
            durability: config.durability,
            max_readers: config.max_readers,
            max_connections: config.max_connections,
        }
    }
}
