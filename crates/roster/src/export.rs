//! `roster export`: every user, in Roster's own format, into a file only its owner can read.

use std::fs::OpenOptions;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::Context as _;

use crate::Config;

pub struct ExportArgs {
    pub output: PathBuf,
    /// Write TOTP secrets in the clear.
    pub include_secrets: bool,
}

/// Returns how many users were written.
pub async fn export(config: &Config, args: ExportArgs) -> anyhow::Result<u64> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Digests, and with secrets TOTP secrets: never readable by others, not even for the
        // moment between creating the file and narrowing it.
        options.mode(0o600);
    }
    let file = options
        .open(&args.output)
        .with_context(|| format!("creating {}", args.output.display()))?;
    let mut output = BufWriter::with_capacity(1 << 20, file);
    let (store, services) = crate::open_services(config).await?;
    let mut cursor = None;
    let mut users = 0;
    loop {
        let page =
            roster_http::exports::page_lines(&services, cursor.as_deref(), args.include_secrets)
                .await?;
        users += page.users as u64;
        output.write_all(&page.lines)?;
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    output.flush()?;
    store.close().await;
    Ok(users)
}
