//! Loading the encryption keys: from settings when given, otherwise from a key file in the data
//! folder that the first start creates, readable by its owner only.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use roster_domain::SecretKeys;

use crate::config::Config;

pub const KEY_FILE: &str = "encryption.key";

pub fn load(config: &Config) -> anyhow::Result<SecretKeys> {
    let current = match &config.encryption_key {
        Some(text) => decode(text).context("reading the encryption_key setting")?,
        None => read_or_create(&config.data_dir.join(KEY_FILE))?,
    };
    let retired = config
        .retired_encryption_keys
        .iter()
        .map(|text| decode(text).context("reading retired_encryption_keys"))
        .collect::<anyhow::Result<Vec<_>>>()?;
    SecretKeys::new(&current, &retired).context("loading the encryption keys")
}

fn decode(text: &str) -> anyhow::Result<Vec<u8>> {
    let bytes = STANDARD
        .decode(text.trim())
        .context("an encryption key must be base64")?;
    anyhow::ensure!(
        bytes.len() == roster_domain::secret_keys::KEY_LEN,
        "an encryption key must be {} bytes (base64 of 32 random bytes)",
        roster_domain::secret_keys::KEY_LEN
    );
    Ok(bytes)
}

fn read_or_create(path: &Path) -> anyhow::Result<Vec<u8>> {
    match std::fs::read_to_string(path) {
        Ok(text) => return decode(&text).with_context(|| format!("reading {}", path.display())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
    }
    let key = SecretKeys::generate_key();
    let mut options = std::fs::OpenOptions::new();
    // `create_new`: of two processes starting on one fresh folder, one writes the key and
    // the other reads it.
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(STANDARD.encode(key).as_bytes())?;
            file.sync_all()?;
            tracing::info!(path = %path.display(), "created the encryption key");
            Ok(key.to_vec())
        }
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            // Written a moment ago by another process; wait until its content is complete.
            for _ in 0..50 {
                if let Ok(text) = std::fs::read_to_string(path)
                    && let Ok(key) = decode(&text)
                {
                    return Ok(key);
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            anyhow::bail!("{} exists but holds no valid key", path.display())
        }
        Err(error) => Err(error).with_context(|| format!("creating {}", path.display())),
    }
}
