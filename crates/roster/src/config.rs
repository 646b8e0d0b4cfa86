//! Settings: compiled-in defaults, then an optional TOML file, then `ROSTER_*` environment
//! variables, then command-line flags, each overriding the one before.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use roster_domain::InstanceSettings;
use serde::{Deserialize, Serialize};

pub use roster_delivery::WebhookSettings;

/// The top-level settings' names, as the environment spells them after `ROSTER_`: the field
/// names serde reads into `Config`, taken from its derive rather than listed again here.
pub fn setting_names() -> &'static [&'static str] {
    let mut names = FieldNames(&[]);
    // It always fails: it stops as soon as the derive has named the fields.
    let _ = Config::deserialize(&mut names);
    names.0
}

/// A deserializer that only records the field names a derived `Deserialize` of a struct hands
/// to `deserialize_struct`.
struct FieldNames(&'static [&'static str]);

impl<'de> serde::Deserializer<'de> for &mut FieldNames {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("only a struct names its fields"))
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        self.0 = fields;
        Err(serde::de::Error::custom(
            "the field names are all that is wanted",
        ))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

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

    /// Where the encryption key file lives when `encryption_key` is not set (created there on
    /// first start); by default `encryption.key` in the data folder. Outside the data folder,
    /// a backup of that folder does not carry the key that opens the TOTP secrets it holds.
    pub encryption_key_file: Option<PathBuf>,

    /// Where e-mail goes: `smtp://host:port`, `smtps://user:pass@host`, or
    /// `smtp://host:587?tls=required` for STARTTLS. Without it, e-mail stays in the outbox.
    pub smtp_url: Option<String>,
    /// The `From` of every e-mail.
    pub mail_from: String,
    /// Where SMS go: each is POSTed as JSON to this URL (an SMS gateway). Without it, SMS stay in the outbox.
    pub sms_webhook_url: Option<String>,
    /// Polling, retry and lease timing of e-mail and SMS delivery.
    pub delivery: roster_delivery::MessageTuning,
    /// PEM (PKCS#8 or PKCS#1) of the RSA private key that signs session tokens. Without it, the
    /// key is read from (or, on first start, created in) `session-signing-key.pem` in the data
    /// folder.
    pub session_signing_key: Option<String>,
    /// Earlier signing keys (PEM), still published in the JWKS; see the README on rotation.
    pub retired_session_signing_keys: Vec<String>,
    /// How webhooks are delivered.
    pub webhooks: WebhookSettings,

    // The HTTP edge, kept together: what slow, idle or abundant clients may hold, and how
    // often a client may fail to authenticate or a key may be used.
    /// Connection limits and the proxies whose `X-Forwarded-For` is believed.
    pub http: HttpSettings,
    /// Failed authentications per client address, and requests per secret key.
    pub rate_limits: roster_http::RateLimitSettings,
}

/// What one client connection may take from the server before it is closed or refused.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    /// How long a client has to send a request's whole header, counted from its first byte
    /// (or, for a connection's first request, from its opening).
    pub header_read_timeout_ms: u64,
    /// How long a keep-alive connection may wait for its next request.
    pub idle_timeout_ms: u64,
    /// How long a client has to send a request's whole body, counted from its header.
    pub body_read_timeout_ms: u64,
    /// Most connections open at once; further ones wait in the listen queue until one closes.
    pub max_connections: u32,
    /// Addresses or networks (`10.0.0.0/8`) of reverse proxies: from these alone the client
    /// address is taken from `X-Forwarded-For` instead of the connection's peer.
    #[serde(deserialize_with = "addresses_or_networks")]
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// `ipnet` reads only networks; a single address is the network of that address alone.
fn addresses_or_networks<'de, D>(deserializer: D) -> Result<Vec<ipnet::IpNet>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let entries = Vec::<String>::deserialize(deserializer)?;
    entries
        .iter()
        .map(|entry| {
            let entry = entry.trim();
            entry
                .parse::<ipnet::IpNet>()
                .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    serde::de::Error::custom(format!(
                        "trusted proxy {entry:?} is neither an address nor a network"
                    ))
                })
        })
        .collect()
}

impl HttpSettings {
    pub fn connection_limits(&self) -> anyhow::Result<roster_http::ConnectionLimits> {
        if self.header_read_timeout_ms == 0
            || self.idle_timeout_ms == 0
            || self.body_read_timeout_ms == 0
        {
            anyhow::bail!("the [http] timeouts must be at least 1 ms");
        }
        if self.max_connections == 0 {
            anyhow::bail!("[http] max_connections must be at least 1");
        }
        Ok(roster_http::ConnectionLimits {
            header_read_timeout: Duration::from_millis(self.header_read_timeout_ms),
            idle_timeout: Duration::from_millis(self.idle_timeout_ms),
            max_connections: self.max_connections,
        })
    }
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            header_read_timeout_ms: 10_000,
            idle_timeout_ms: 60_000,
            body_read_timeout_ms: 30_000,
            max_connections: 1024,
            trusted_proxies: Vec::new(),
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

            encryption_key_file: None,
            smtp_url: None,
            mail_from: "Roster <no-reply@localhost>".to_owned(),
            sms_webhook_url: None,
            delivery: roster_delivery::MessageTuning::default(),
            session_signing_key: None,
            retired_session_signing_keys: Vec::new(),
            webhooks: WebhookSettings::default(),
            http: HttpSettings::default(),
            rate_limits: roster_http::RateLimitSettings::default(),
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
        let settings = setting_names();
        figment = figment.merge(
            Env::prefixed("ROSTER_")
                .filter(move |key| {
                    // The key keeps the variable's case here; it is lower-cased only later.
                    let top = key.as_str().split("__").next().unwrap_or_default();
                    settings.iter().any(|name| top.eq_ignore_ascii_case(name))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let file = dir.path().join("roster.toml");
        std::fs::write(
            &file,
            "[http]\ntrusted_proxies = [\"10.0.0.0/8\", \"127.0.0.1\", \"::1\"]\n",
        )
        .expect("written");
        let config = Config::load(Some(&file)).expect("loads");
        let proxies: Vec<String> = config
            .http
            .trusted_proxies
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(proxies, ["10.0.0.0/8", "127.0.0.1/32", "::1/128"]);

        std::fs::write(&file, "[http]\ntrusted_proxies = [\"proxy.local\"]\n").expect("written");
        let refused = Config::load(Some(&file)).expect_err("not an address");
        assert!(refused.to_string().contains("proxy.local"), "{refused}");
    }
}
