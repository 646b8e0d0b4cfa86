//! LDAP `{SSHA}` digests (RFC 2307 convention): base64(SHA-1(password ‖ salt) ‖ salt).
//!
//! Hand-written because the format is only a framing around SHA-1 (from
//! `sha1`); no maintained crate parses it.

use sha1::{Digest as _, Sha1};
use subtle::ConstantTimeEq;

use crate::encoding::{b64, check_len};
use crate::error::Invalid;
use crate::limits::MAX_SALT_LEN;

const SHA1_LEN: usize = 20;
const SCHEME: &str = "{SSHA}";

#[derive(Clone)]
pub(crate) struct SshaDigest {
    hash: [u8; SHA1_LEN],
    salt: Vec<u8>,
}

pub(crate) fn parse(s: &str) -> Result<SshaDigest, Invalid> {
    // LDAP scheme names are case-insensitive ({ssha} appears in the wild).
    let body = match s.get(..SCHEME.len()) {
        Some(prefix) if prefix.eq_ignore_ascii_case(SCHEME) => &s[SCHEME.len()..],
        _ => return Err(Invalid::malformed("must start with {SSHA}")),
    };
    let raw = b64(body, "payload")?;
    if raw.len() <= SHA1_LEN {
        return Err(Invalid::malformed(
            "payload must hold a 20-byte SHA-1 digest followed by a salt",
        ));
    }
    let (hash, salt) = raw.split_at(SHA1_LEN);
    check_len(salt.len(), 1, MAX_SALT_LEN, "salt")?;
    let mut fixed = [0u8; SHA1_LEN];
    fixed.copy_from_slice(hash);
    Ok(SshaDigest {
        hash: fixed,
        salt: salt.to_vec(),
    })
}

impl SshaDigest {
    pub(crate) fn verify(&self, password: &[u8]) -> bool {
        let computed = Sha1::new()
            .chain_update(password)
            .chain_update(&self.salt)
            .finalize();
        computed.as_slice().ct_eq(&self.hash).into()
    }
}

#[cfg(test)]
mod tests {
    use crate::{Digest, DigestError, Hasher};

    // SHA-1("password" ‖ "salt") ‖ "salt".
    const GOOD: &str = "{SSHA}yI6cZwQadOA1e+/f+T+H3eCQQhRzYWx0";

    fn malformed(s: &str) -> bool {
        matches!(
            Digest::parse(Hasher::LdapSsha, s),
            Err(DigestError::Malformed { .. })
        )
    }

    #[test]
    fn verifies_and_accepts_lowercase_scheme() {
        assert!(
            Digest::parse(Hasher::LdapSsha, GOOD)
                .unwrap()
                .verify("password")
        );
        let lower = GOOD.replace("{SSHA}", "{ssha}");
        assert!(
            Digest::parse(Hasher::LdapSsha, &lower)
                .unwrap()
                .verify("password")
        );
    }

    #[test]
    fn refuses_malformed_ssha() {
        assert!(malformed(&GOOD[6..]));
        assert!(malformed(&GOOD.replace("{SSHA}", "{SHA}")));
        assert!(malformed(&GOOD.replace("{SSHA}", "{SMD5}")));
        assert!(malformed(&GOOD.replace("{SSHA}", "SSHA")));
        assert!(malformed("{SSHA}"));
        // Exactly 20 bytes: no salt.
        assert!(malformed("{SSHA}yI6cZwQadOA1e+/f+T+H3eCQQhQ="));
        assert!(malformed(&GOOD.replace("e+/f", "e-_f")));
        assert!(malformed(&GOOD.replace("yI6c", "y")));
        assert!(malformed("{SSHA}é"));
    }
}
