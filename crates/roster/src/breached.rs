//! The HTTP client for a k-anonymity breached-password range API (the Have I Been Pwned
//! "range" endpoint or a self-hosted mirror), and the default place of the offline corpus.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::time::Duration;

use roster_domain::passwords::RangeApi;
use roster_domain::settings::PasswordPolicy;

/// File name of the Have I Been Pwned "SHA-1, ordered by hash" corpus in the data folder.
pub const CORPUS_FILE: &str = "pwned-passwords-sha1.txt";

/// Uses `<data folder>/pwned-passwords-sha1.txt` when no file is configured and it exists.
pub fn default_corpus(policy: &mut PasswordPolicy, data_dir: &Path) {
    if policy.breached_file.is_none() {
        let candidate = data_dir.join(CORPUS_FILE);
        if candidate.is_file() {
            tracing::info!(path = %candidate.display(), "checking new passwords against the breached-password corpus");
            policy.breached_file = Some(candidate);
        }
    }
}

pub struct HttpRangeApi {
    base: String,
    client: reqwest::Client,
}

impl HttpRangeApi {
    pub fn new(base: &str) -> anyhow::Result<Self> {
        Ok(HttpRangeApi {
            base: base.trim_end_matches('/').to_owned(),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(3))
                .user_agent("roster")
                .build()?,
        })
    }
}

impl RangeApi for HttpRangeApi {
    fn range(
        &self,
        prefix: String,
    ) -> Pin<Box<dyn Future<Output = Result<String, String>> + Send + '_>> {
        Box::pin(async move {
            let response = self
                .client
                .get(format!("{}/range/{prefix}", self.base))
                // Padding makes every answer about the same size, so its length tells an
                // observer nothing about the prefix.
                .header("Add-Padding", "true")
                .send()
                .await
                .map_err(|error| error.to_string())?
                .error_for_status()
                .map_err(|error| error.to_string())?;
            response.text().await.map_err(|error| error.to_string())
        })
    }
}
