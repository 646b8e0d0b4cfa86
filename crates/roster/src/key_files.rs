//! Key material kept in the data folder: read when present, otherwise generated and written
//! once, readable by its owner only.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

/// Reads the key at `path` with `decode`; when the file does not exist, writes the text
/// `generate` makes and decodes that.
pub fn read_or_create<T>(
    path: &Path,
    decode: impl Fn(&str) -> anyhow::Result<T>,
    generate: impl FnOnce() -> anyhow::Result<String>,
) -> anyhow::Result<T> {
    match std::fs::read_to_string(path) {
        Ok(text) => return decode(&text).with_context(|| format!("reading {}", path.display())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
    }
    let text = generate()?;
    let key = decode(&text)?;
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
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            tracing::info!(path = %path.display(), "created a key file");
            Ok(key)
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
