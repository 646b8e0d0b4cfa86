//! Key material kept in the data folder: read when present, otherwise generated and written
//! once, readable by its owner only.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// Reads the key at `path` with `decode`; when the file does not exist, writes the text
/// `generate` makes and decodes that.
///
/// Several processes may start on one fresh folder at once. The key is written to a private
/// file of this process first and then hard-linked into place: the link either appears whole
/// or fails because another process linked its key first, so no reader ever sees a key file
/// that is still being written, and every process ends up with the one key that won.
pub fn read_or_create<T>(
    path: &Path,
    decode: impl Fn(&str) -> anyhow::Result<T>,
    generate: impl FnOnce() -> anyhow::Result<String>,
) -> anyhow::Result<T> {
    if let Some(text) = read_if_present(path)? {
        return decode(&text).with_context(|| format!("reading {}", path.display()));
    }
    let text = generate()?;
    let key = decode(&text)?;
    let draft = draft_path(path);
    write_private(&draft, &text).with_context(|| format!("writing {}", draft.display()))?;
    let linked = std::fs::hard_link(&draft, path);
    let _ = std::fs::remove_file(&draft);
    match linked {
        Ok(()) => {
            tracing::info!(path = %path.display(), "created a key file");
            Ok(key)
        }
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = read_if_present(path)?
                .with_context(|| format!("{} vanished while starting", path.display()))?;
            decode(&text).with_context(|| format!("reading {}", path.display()))
        }
        Err(error) => Err(error).with_context(|| format!("creating {}", path.display())),
    }
}

fn read_if_present(path: &Path) -> anyhow::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("reading {}", path.display())),
    }
}

/// A name beside `path` that no other process, nor another call of this one, uses.
fn draft_path(path: &Path) -> PathBuf {
    static DRAFTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let draft = DRAFTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{}.{draft}.draft", std::process::id()));
    PathBuf::from(name)
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Many starts racing on one fresh folder all read the same, complete key.
    #[test]
    fn racing_creators_all_get_the_one_key_that_was_linked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("racing.key");
        let keys: Vec<String> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..16)
                .map(|n| {
                    let path = path.clone();
                    scope.spawn(move || {
                        read_or_create(
                            &path,
                            |text| {
                                anyhow::ensure!(text.len() == 64, "a partial key: {text:?}");
                                Ok(text.to_owned())
                            },
                            || Ok(format!("{n:064}")),
                        )
                        .unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(keys.iter().all(|key| key == &keys[0]), "{keys:?}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), keys[0]);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "drafts are removed");
    }
}
