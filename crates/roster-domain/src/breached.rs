//! Where a password can be found to have leaked, from cheapest to dearest:
//!
//! 1. a list compiled into the binary: the "passwords" frequency list that ships inside the
//!    `zxcvbn` crate (about 30,000 of the most common passwords from public breach corpora);
//! 2. optionally the Have I Been Pwned "SHA-1, ordered by hash" download, searched in place
//!    with a binary search over byte offsets, so a 40 GB file costs about 35 small reads and
//!    no memory;
//! 3. optionally a k-anonymity range API: only the first five hex digits of the SHA-1 leave the
//!    host, and the answer lists every suffix with that prefix.

use std::cmp::Ordering;
use std::fs::File;
use std::future::Future;
use std::io::{self, BufRead, BufReader, Seek, SeekFrom};
use std::path::Path;
use std::pin::Pin;

use sha1::{Digest as _, Sha1};
use zxcvbn::matching::patterns::MatchPattern;

/// zxcvbn recognises passwords that long at most; the compiled list has nothing longer.
const MAX_LISTED_CHARS: usize = 100;

/// Whether `password` is, whole and as typed (letter case aside), on the compiled list.
pub(crate) fn in_compiled_list(password: &str) -> bool {
    if password.is_empty() || password.chars().count() > MAX_LISTED_CHARS {
        return false;
    }
    let entropy = zxcvbn::zxcvbn(password, &[]);
    let [only] = entropy.sequence() else {
        return false;
    };
    match &only.pattern {
        // The frequency lists are not a public type; its Debug name is the stable way to tell
        // the leaked-password list from the English, name and film lists.
        MatchPattern::Dictionary(word) => {
            !word.l33t
                && !word.reversed
                && only.token.chars().count() == password.chars().count()
                && format!("{:?}", word.dictionary_name) == "Passwords"
        }
        _ => false,
    }
}

/// The password's SHA-1 in upper-case hex, as the breach corpora name passwords.
pub(crate) fn sha1_hex(password: &str) -> String {
    hex::encode_upper(Sha1::digest(password.as_bytes()))
}

/// Whether the sorted `HASH:COUNT` file at `path` lists `password`.
pub(crate) fn in_sorted_file(path: &Path, password: &str) -> io::Result<bool> {
    let target = sha1_hex(password);
    let mut file = BufReader::with_capacity(256, File::open(path)?);
    let len = file.get_mut().metadata()?.len();
    // Smallest offset whose next whole line sorts at or after the target. The line starting
    // at or after an offset only moves forward as the offset does, so this is monotone.
    let (mut low, mut high) = (0u64, len);
    while low < high {
        let middle = low + (high - low) / 2;
        match line_from(&mut file, middle)? {
            Some(line) if hash_of(&line).cmp(target.as_str()) == Ordering::Less => low = middle + 1,
            _ => high = middle,
        }
    }
    Ok(line_from(&mut file, low)?.is_some_and(|line| hash_of(&line) == target))
}

/// The first whole line that starts at or after `offset`.
fn line_from(file: &mut BufReader<File>, offset: u64) -> io::Result<Option<String>> {
    let mut line = String::new();
    if offset == 0 {
        file.seek(SeekFrom::Start(0))?;
    } else {
        // Start one byte early: if that byte ends a line, the next line starts at `offset`.
        file.seek(SeekFrom::Start(offset - 1))?;
        file.read_line(&mut line)?;
        line.clear();
    }
    Ok((file.read_line(&mut line)? > 0).then_some(line))
}

fn hash_of(line: &str) -> &str {
    let line = line.trim_end();
    line.split_once(':').map_or(line, |(hash, _)| hash)
}

/// A k-anonymity range API (`GET {base}/range/{prefix}` answering `SUFFIX:COUNT` lines).
/// Implemented outside the domain, which knows no HTTP.
pub trait RangeApi: Send + Sync {
    fn range(
        &self,
        prefix: String,
    ) -> Pin<Box<dyn Future<Output = Result<String, String>> + Send + '_>>;
}

/// Whether the range API lists `password`. Padding rows (count 0) do not count.
pub(crate) async fn in_range_api(api: &dyn RangeApi, password: &str) -> Result<bool, String> {
    let hash = sha1_hex(password);
    let (prefix, suffix) = hash.split_at(5);
    let body = api.range(prefix.to_owned()).await?;
    Ok(body.lines().any(|line| {
        line.trim()
            .split_once(':')
            .is_some_and(|(s, count)| s.eq_ignore_ascii_case(suffix) && count.trim() != "0")
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_passwords_are_listed_and_others_are_not() {
        for listed in [
            "password",
            "Password",
            "qwerty123",
            "letmein",
            "iloveyou",
            "sunshine",
        ] {
            assert!(in_compiled_list(listed), "{listed}");
        }
        for unlisted in [
            "",
            "p@ssword",
            "drowssap1x",
            "correct horse battery staple",
            "kT7#q2!vLz9m",
            "passwordpassword",
        ] {
            assert!(!in_compiled_list(unlisted), "{unlisted}");
        }
    }

    #[test]
    fn sorted_file_search_finds_every_line_and_nothing_else() {
        let passwords: Vec<String> = (0..500).map(|n| format!("leaked-{n}")).collect();
        let mut lines: Vec<String> = passwords
            .iter()
            .map(|p| format!("{}:{}", sha1_hex(p), p.len()))
            .collect();
        lines.sort();
        let dir = std::env::temp_dir().join(format!("roster-hibp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("pwned.txt");
        std::fs::write(&path, lines.join("\r\n") + "\r\n").unwrap();
        for password in &passwords {
            assert!(in_sorted_file(&path, password).unwrap(), "{password}");
        }
        for password in ["leaked-500", "leaked--1", "", "other"] {
            assert!(!in_sorted_file(&path, password).unwrap(), "{password}");
        }
        std::fs::write(&path, "").unwrap();
        assert!(!in_sorted_file(&path, "leaked-1").unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
