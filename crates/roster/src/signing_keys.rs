//! Loading the session-token signing keys: from settings when given, otherwise from a PEM file
//! in the data folder that the first start creates (RSA-2048, readable by its owner only).

use anyhow::Context;
use roster_domain::SigningKeys;

use crate::config::Config;

pub const KEY_FILE: &str = "session-signing-key.pem";

/// Reads or creates the keys. Generating an RSA key is CPU work: call from a blocking thread.
pub fn load(config: &Config) -> anyhow::Result<SigningKeys> {
    let current = match &config.session_signing_key {
        Some(pem) => pem.clone(),
        None => crate::key_files::read_or_create(
            &config.data_dir.join(KEY_FILE),
            |text| Ok(text.to_owned()),
            || Ok(SigningKeys::generate_pem()?),
        )?,
    };
    SigningKeys::new(&current, &config.retired_session_signing_keys)
        .context("loading the session signing keys")
}
