//! Loading the encryption keys: from settings when given, otherwise from a key file (in the
//! data folder, or where `encryption_key_file` says) that the first start creates, readable by
//! its owner only.

use std::path::{Path, PathBuf};

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use roster_domain::EncryptionKeys;

use crate::config::Config;

pub const KEY_FILE: &str = "encryption.key";

pub fn load(config: &Config) -> anyhow::Result<EncryptionKeys> {
    let current = match &config.encryption_key {
        Some(text) => decode(text).context("reading the encryption_key setting")?,
        None => read_or_create(&key_file(config))?,
    };
    let retired = config
        .retired_encryption_keys
        .iter()
        .map(|text| decode(text).context("reading retired_encryption_keys"))
        .collect::<anyhow::Result<Vec<_>>>()?;
    EncryptionKeys::new(&current, &retired).context("loading the encryption keys")
}

/// Where the encryption key is read from, or created, when no setting holds it.
pub fn key_file(config: &Config) -> PathBuf {
    config
        .encryption_key_file
        .clone()
        .unwrap_or_else(|| config.data_dir.join(KEY_FILE))
}

fn decode(text: &str) -> anyhow::Result<Vec<u8>> {
    let bytes = STANDARD
        .decode(text.trim())
        .context("an encryption key must be base64")?;
    anyhow::ensure!(
        bytes.len() == roster_domain::encryption_keys::KEY_LEN,
        "an encryption key must be {} bytes (base64 of 32 random bytes)",
        roster_domain::encryption_keys::KEY_LEN
    );
    Ok(bytes)
}

fn read_or_create(path: &Path) -> anyhow::Result<Vec<u8>> {
    crate::key_files::read_or_create(path, decode, || {
        Ok(STANDARD.encode(EncryptionKeys::generate_key()))
    })
}
