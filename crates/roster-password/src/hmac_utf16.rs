//! `hmac_sha256_utf16_b64$<base64 hash>$<key>`: HMAC-SHA256 keyed with the
//! key's UTF-8 bytes over the password encoded as UTF-16LE (the ASP.NET
//! string encoding), standard base64 output.
//!
//! Only the shape is documented by Clerk; this reading is the one the
//! conformance vectors encode. HMAC comes from `hmac`; the UTF-16LE input is
//! the only hand-written part.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::encoding::{b64, check_len, literal};
use crate::error::Invalid;

const TAG: &str = "hmac_sha256_utf16_b64$";
const HASH_LEN: usize = 32;

#[derive(Clone)]
pub(crate) struct HmacDigest {
    hash: Vec<u8>,
    key: String,
}

pub(crate) fn parse(s: &str) -> Result<HmacDigest, Invalid> {
    let body = s
        .strip_prefix(TAG)
        .ok_or_else(|| Invalid::malformed("must start with hmac_sha256_utf16_b64$"))?;
    // The key is the last field, so it may itself contain `$`.
    let Some((hash, key)) = body.split_once('$') else {
        return Err(Invalid::malformed(
            "expected hmac_sha256_utf16_b64$<base64 hash>$<key>",
        ));
    };
    let hash = b64(hash, "hash")?;
    check_len(hash.len(), HASH_LEN, HASH_LEN, "hash")?;
    let key = literal(key, "key")?.to_owned();
    Ok(HmacDigest { hash, key })
}

impl HmacDigest {
    pub(crate) fn verify(&self, password: &str) -> bool {
        let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(self.key.as_bytes()) else {
            return false;
        };
        for unit in password.encode_utf16() {
            mac.update(&unit.to_le_bytes());
        }
        // `verify_slice` compares in constant time.
        mac.verify_slice(&self.hash).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use crate::{Digest, DigestError, Hasher};

    // base64(HMAC-SHA256(key = "key", UTF-16LE("pässword"))).
    const GOOD: &str = "hmac_sha256_utf16_b64$NMAn8uRm/Kj2cEVfP66TgaaRWEdoYTqdUPyvqk/RO2o=$key";

    fn malformed(s: &str) -> bool {
        matches!(
            Digest::parse(Hasher::HmacSha256Utf16B64, s),
            Err(DigestError::Malformed { .. })
        )
    }

    #[test]
    fn hashes_utf16le() {
        let d = Digest::parse(Hasher::HmacSha256Utf16B64, GOOD).unwrap();
        assert!(d.verify("pässword"));
        assert!(!d.verify("password"));
    }

    #[test]
    fn refuses_malformed_hmac() {
        assert!(malformed(
            &GOOD.replace("hmac_sha256_utf16_b64$", "hmac_sha256$")
        ));
        assert!(malformed(&GOOD.replace("$key", "")));
        assert!(malformed(&GOOD.replace("$key", "$")));
        assert!(malformed(&GOOD.replace("NMAn8uRm/", "NMAn8uRm_")));
        assert!(malformed(&GOOD.replace("NMAn8uRm/", "")));
        assert!(malformed("hmac_sha256_utf16_b64$$key"));
        assert!(malformed("hmac_sha256_utf16_b64$NMAn8uRm$key"));
    }
}
