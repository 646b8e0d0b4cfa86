//! The two scrypt formats: Werkzeug's `scrypt:<n>:<r>:<p>$<salt>$<hex hash>`
//! and Firebase's modified scrypt
//! (`<hash>$<salt>$<signer key>$<salt separator>$<rounds>$<mem_cost>`).
//!
//! Clerk's docs call the Werkzeug hash "Base64", but Werkzeug writes hex and
//! the conformance vectors follow Werkzeug, so only hex is accepted.
//!
//! Firebase's variant is hand-written because no crate implements it: the
//! scrypt output is not the hash but an AES-256-CTR key (IV = 0) that
//! encrypts the project's signer key; the ciphertext is what the export
//! stores. Firebase's own C utility and the `firebase-scrypt` npm package do
//! exactly this; the building blocks come from `scrypt`, `aes` and `ctr`.

use aes::Aes256;
use ctr::Ctr128BE;
use ctr::cipher::{KeyIvInit, StreamCipher};
use subtle::ConstantTimeEq;

use crate::encoding::{b64_either, check_len, decimal, hex, literal};
use crate::error::Invalid;
use crate::limits::{
    MAX_HASH_LEN, MAX_SALT_LEN, MIN_HASH_LEN, SCRYPT_MAX_LOG_N, SCRYPT_MAX_MEMORY, SCRYPT_MAX_P,
    SCRYPT_MAX_R, SCRYPT_MAX_WORK,
};

/// Validated scrypt cost parameters.
#[derive(Clone, Copy)]
struct Cost {
    log_n: u8,
    r: u32,
    p: u32,
}

impl Cost {
    fn new(log_n: u64, r: u64, p: u64) -> Result<Cost, Invalid> {
        if log_n < 1 || r < 1 || p < 1 {
            return Err(Invalid::malformed(
                "N must be at least 2, r and p at least 1",
            ));
        }
        if log_n > u64::from(SCRYPT_MAX_LOG_N) {
            return Err(Invalid::too_costly(format!(
                "N above the supported maximum of 2^{SCRYPT_MAX_LOG_N}"
            )));
        }
        if r > u64::from(SCRYPT_MAX_R) {
            return Err(Invalid::too_costly(format!(
                "r above the supported maximum of {SCRYPT_MAX_R}"
            )));
        }
        if p > u64::from(SCRYPT_MAX_P) {
            return Err(Invalid::too_costly(format!(
                "p above the supported maximum of {SCRYPT_MAX_P}"
            )));
        }
        // All three are small now, so these products cannot overflow.
        let n = 1u64 << log_n;
        if 128 * n * r > SCRYPT_MAX_MEMORY {
            return Err(Invalid::too_costly(format!(
                "memory (128 × N × r) above the supported maximum of {} MiB",
                SCRYPT_MAX_MEMORY >> 20
            )));
        }
        if n * r * p > SCRYPT_MAX_WORK {
            return Err(Invalid::too_costly(format!(
                "N × r × p above the supported maximum of {SCRYPT_MAX_WORK}"
            )));
        }
        Ok(Cost {
            log_n: log_n as u8,
            r: r as u32,
            p: p as u32,
        })
    }

    fn derive(self, password: &[u8], salt: &[u8], out: &mut [u8]) -> bool {
        let Ok(params) = ::scrypt::Params::new(self.log_n, self.r, self.p) else {
            return false;
        };
        ::scrypt::scrypt(password, salt, &params, out).is_ok()
    }
}

#[derive(Clone)]
pub(crate) struct WerkzeugDigest {
    cost: Cost,
    salt: String,
    hash: Vec<u8>,
}

pub(crate) fn parse_werkzeug(s: &str) -> Result<WerkzeugDigest, Invalid> {
    let shape = "expected scrypt:<n>:<r>:<p>$<salt>$<hex hash>";
    // Clerk's docs write a leading `$`; Werkzeug itself does not. Both are accepted.
    let body = s.strip_prefix('$').unwrap_or(s);
    let [method, salt, hash] = body.split('$').collect::<Vec<_>>()[..] else {
        return Err(Invalid::malformed(shape));
    };
    let args = method
        .strip_prefix("scrypt:")
        .ok_or_else(|| Invalid::malformed(shape))?;
    let [n, r, p] = args.split(':').collect::<Vec<_>>()[..] else {
        return Err(Invalid::malformed(shape));
    };
    let n = decimal(n, "n")?;
    if n < 2 || !n.is_power_of_two() {
        return Err(Invalid::malformed("n must be a power of two, at least 2"));
    }
    let cost = Cost::new(
        u64::from(n.trailing_zeros()),
        decimal(r, "r")?,
        decimal(p, "p")?,
    )?;
    let salt = literal(salt, "salt")?.to_owned();
    let hash = hex(hash, "hash")?;
    check_len(hash.len(), MIN_HASH_LEN, MAX_HASH_LEN, "hash")?;
    Ok(WerkzeugDigest { cost, salt, hash })
}

impl WerkzeugDigest {
    pub(crate) fn verify(&self, password: &[u8]) -> bool {
        let mut out = vec![0u8; self.hash.len()];
        // Werkzeug passes the salt text itself, UTF-8 encoded, to hashlib.scrypt.
        if !self.cost.derive(password, self.salt.as_bytes(), &mut out) {
            return false;
        }
        out.ct_eq(&self.hash).into()
    }
}

#[derive(Clone)]
pub(crate) struct FirebaseDigest {
    cost: Cost,
    /// Per-user salt followed by the project's salt separator.
    salt: Vec<u8>,
    signer_key: Vec<u8>,
    hash: Vec<u8>,
}

pub(crate) fn parse_firebase(s: &str) -> Result<FirebaseDigest, Invalid> {
    let [hash, salt, signer_key, separator, rounds, mem_cost] =
        s.split('$').collect::<Vec<_>>()[..]
    else {
        return Err(Invalid::malformed(
            "expected <hash>$<salt>$<signer key>$<salt separator>$<rounds>$<mem_cost>",
        ));
    };
    let hash = b64_either(hash, "hash")?;
    let salt = b64_either(salt, "salt")?;
    let signer_key = b64_either(signer_key, "signer key")?;
    let separator = b64_either(separator, "salt separator")?;
    check_len(hash.len(), MIN_HASH_LEN, MAX_HASH_LEN, "hash")?;
    check_len(salt.len(), 1, MAX_SALT_LEN, "salt")?;
    check_len(separator.len(), 0, MAX_SALT_LEN, "salt separator")?;
    // The stored hash is the encrypted signer key, so both have one length.
    if signer_key.len() != hash.len() {
        return Err(Invalid::malformed(
            "signer key and hash must decode to the same length",
        ));
    }
    // Firebase fixes p = 1; rounds is scrypt's r and mem_cost is log2(N).
    let cost = Cost::new(
        decimal(mem_cost, "mem_cost")?,
        decimal(rounds, "rounds")?,
        1,
    )?;
    Ok(FirebaseDigest {
        cost,
        salt: [salt, separator].concat(),
        signer_key,
        hash,
    })
}

impl FirebaseDigest {
    pub(crate) fn verify(&self, password: &[u8]) -> bool {
        let mut key = [0u8; 32];
        if !self.cost.derive(password, &self.salt, &mut key) {
            return false;
        }
        let mut cipher = Ctr128BE::<Aes256>::new(&key.into(), &[0u8; 16].into());
        let mut encrypted = self.signer_key.clone();
        cipher.apply_keystream(&mut encrypted);
        encrypted.ct_eq(&self.hash).into()
    }
}

#[cfg(test)]
mod tests {
    use crate::{Digest, DigestError, Hasher};

    const WERKZEUG: &str = "scrypt:1024:4:1$dksUBmk1$7eb063cef9004473d15cfdd6be089a79d3b0a7ba5b87b2ed2705af65a8894ced25e1621867a9bf3d627444a58b9bbe78804774ec5df3ae423175f708fa414b54";
    const FIREBASE: &str = "87dkNXiLf8nqMj0g/clycvcf0Mhi8N6lmJGpLaiWZh8mSuX4Q6OXoNuB0ISrVgldv/kscnmcliwb/iucHhmaLg==$uPGdsvit1ORS1yus$RYuOeeHoyqII3COCSS5LRaOjhztLPwaMFMIEJfcu3kKBBoGseH4kUfdthDMzTp3tkKoWU+GzF+/GMHUN0OHoWg==$wA==$6$11";

    fn malformed(h: Hasher, s: &str) -> bool {
        matches!(Digest::parse(h, s), Err(DigestError::Malformed { .. }))
    }

    fn too_costly(h: Hasher, s: &str) -> bool {
        matches!(Digest::parse(h, s), Err(DigestError::TooCostly { .. }))
    }

    #[test]
    fn werkzeug_accepts_leading_dollar() {
        let d = Digest::parse(Hasher::ScryptWerkzeug, &format!("${WERKZEUG}")).unwrap();
        assert_eq!(d.encoded(), format!("${WERKZEUG}"));
    }

    #[test]
    fn refuses_malformed_werkzeug() {
        let h = Hasher::ScryptWerkzeug;
        assert!(malformed(h, &WERKZEUG.replace("scrypt:", "pbkdf2:")));
        assert!(malformed(h, &WERKZEUG.replace("scrypt:1024:4:1", "scrypt")));
        assert!(malformed(
            h,
            &WERKZEUG.replace("scrypt:1024:4:1", "scrypt:1024:4")
        ));
        assert!(malformed(
            h,
            &WERKZEUG.replace("scrypt:1024:4:1", "scrypt:1000:4:1")
        ));
        assert!(malformed(
            h,
            &WERKZEUG.replace("scrypt:1024:4:1", "scrypt:1:4:1")
        ));
        assert!(malformed(
            h,
            &WERKZEUG.replace("scrypt:1024:4:1", "scrypt:1024:0:1")
        ));
        assert!(malformed(
            h,
            &WERKZEUG.replace("scrypt:1024:4:1", "scrypt:1024:4:0")
        ));
        assert!(malformed(h, &WERKZEUG.replace("$dksUBmk1$", "$$")));
        assert!(malformed(h, &WERKZEUG.replace("7eb063", "7eb06z")));
        assert!(malformed(h, &WERKZEUG.replace("7eb063", "7eb06")));
        assert!(malformed(h, "scrypt:1024:4:1$dksUBmk1$7eb063cef9004473"));
        assert!(malformed(h, "scrypt:1024:4:1$dksUBmk1"));
        assert!(malformed(h, &format!("{WERKZEUG}$x")));
    }

    #[test]
    fn refuses_absurd_werkzeug_costs() {
        let h = Hasher::ScryptWerkzeug;
        for params in [
            "scrypt:2097152:8:1",
            "scrypt:1048576:8:1",
            "scrypt:1024:64:1",
            "scrypt:1024:8:17",
            "scrypt:65536:8:16",
            "scrypt:9223372036854775808:8:1",
        ] {
            assert!(
                too_costly(h, &WERKZEUG.replace("scrypt:1024:4:1", params)),
                "{params}"
            );
        }
        assert!(
            Digest::parse(h, &WERKZEUG.replace("scrypt:1024:4:1", "scrypt:262144:8:1")).is_ok()
        );
    }

    #[test]
    fn refuses_malformed_firebase() {
        let h = Hasher::ScryptFirebase;
        let parts: Vec<&str> = FIREBASE.split('$').collect();
        let with = |i: usize, v: &str| {
            let mut p = parts.clone();
            p[i] = v;
            p.join("$")
        };
        assert!(malformed(h, &parts[..5].join("$")));
        assert!(malformed(h, &format!("{FIREBASE}$1")));
        assert!(malformed(h, &with(0, "not*base64")));
        assert!(malformed(h, &with(0, "AAAA")));
        assert!(malformed(h, &with(1, "")));
        assert!(malformed(h, &with(2, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")));
        assert!(malformed(h, &with(3, "w")));
        assert!(malformed(h, &with(4, "0")));
        assert!(malformed(h, &with(4, "eight")));
        assert!(malformed(h, &with(5, "0")));
        assert!(malformed(h, &with(5, "-14")));
        // URL-safe alphabet and missing padding are accepted.
        let url_safe = FIREBASE
            .replace('+', "-")
            .replace('/', "_")
            .replace('=', "");
        assert!(Digest::parse(h, &url_safe).is_ok());
    }

    #[test]
    fn refuses_absurd_firebase_costs() {
        let h = Hasher::ScryptFirebase;
        let base = FIREBASE.trim_end_matches("$6$11");
        for tail in [
            "$8$21",
            "$8$64",
            "$33$14",
            "$8$99999999999999999999999",
            "$32$20",
        ] {
            assert!(too_costly(h, &format!("{base}{tail}")), "{tail}");
        }
        assert!(Digest::parse(h, &format!("{base}$8$14")).is_ok());
    }
}
