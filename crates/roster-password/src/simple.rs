//! Single-pass MD5 and SHA-256 digests: `md5`, `sha256` (bare hex) and
//! `md5_salted`, `sha256_salted` (`<salt>$<hex>`, or the 2024 layout
//! `<hex>$<salt>`), hashed as salt ‖ password.
//!
//! Clerk never documented the concatenation order; salt ‖ password is
//! Django's `MD5PasswordHasher` (whose output is exactly `salt$hash` once its
//! tag is removed) and Magento's, and it is what the conformance vectors use.

use md5::Md5;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq;

use crate::encoding::{hex, literal};
use crate::error::Invalid;

#[derive(Clone, Copy)]
pub(crate) enum Alg {
    Md5,
    Sha256,
}

impl Alg {
    fn hex_len(self) -> usize {
        match self {
            Alg::Md5 => 32,
            Alg::Sha256 => 64,
        }
    }

    fn is_digest_hex(self, s: &str) -> bool {
        s.len() == self.hex_len() && s.bytes().all(|b| b.is_ascii_hexdigit())
    }
}

#[derive(Clone)]
pub(crate) struct SimpleDigest {
    alg: Alg,
    salt: Option<String>,
    hash: Vec<u8>,
}

pub(crate) fn parse_unsalted(alg: Alg, s: &str) -> Result<SimpleDigest, Invalid> {
    if !alg.is_digest_hex(s) {
        return Err(Invalid::malformed(match alg {
            Alg::Md5 => "expected exactly 32 hex characters",
            Alg::Sha256 => "expected exactly 64 hex characters",
        }));
    }
    Ok(SimpleDigest {
        alg,
        salt: None,
        hash: hex(s, "hash")?,
    })
}

pub(crate) fn parse_salted(alg: Alg, s: &str) -> Result<SimpleDigest, Invalid> {
    let shape = match alg {
        Alg::Md5 => "expected <salt>$<32 hex characters>",
        Alg::Sha256 => "expected <salt>$<64 hex characters>",
    };
    let Some((left, right)) = s.split_once('$') else {
        return Err(Invalid::malformed(shape));
    };
    if right.contains('$') {
        return Err(Invalid::malformed(shape));
    }
    // The hash side is fixed-length hex, so the layout is unambiguous unless
    // the salt also looks like one; then the documented `salt$hash` wins.
    let (salt, hash) = if alg.is_digest_hex(right) {
        (left, right)
    } else if alg.is_digest_hex(left) {
        (right, left)
    } else {
        return Err(Invalid::malformed(shape));
    };
    Ok(SimpleDigest {
        alg,
        salt: Some(literal(salt, "salt")?.to_owned()),
        hash: hex(hash, "hash")?,
    })
}

impl SimpleDigest {
    pub(crate) fn verify(&self, password: &[u8]) -> bool {
        let salt = self.salt.as_deref().unwrap_or("").as_bytes();
        let computed: Vec<u8> = match self.alg {
            Alg::Md5 => Md5::new()
                .chain_update(salt)
                .chain_update(password)
                .finalize()
                .to_vec(),
            Alg::Sha256 => Sha256::new()
                .chain_update(salt)
                .chain_update(password)
                .finalize()
                .to_vec(),
        };
        computed.ct_eq(&self.hash).into()
    }
}

#[cfg(test)]
mod tests {
    use crate::{Digest, DigestError, Hasher};

    const MD5: &str = "5f4dcc3b5aa765d61d8327deb882cf99";
    const SHA256: &str = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8";

    fn malformed(h: Hasher, s: &str) -> bool {
        matches!(Digest::parse(h, s), Err(DigestError::Malformed { .. }))
    }

    #[test]
    fn unsalted_verify_known_answers() {
        assert!(Digest::parse(Hasher::Md5, MD5).unwrap().verify("password"));
        assert!(
            Digest::parse(Hasher::Sha256, SHA256)
                .unwrap()
                .verify("password")
        );
        // Upper-case hex is the same digest.
        let upper = MD5.to_uppercase();
        assert!(
            Digest::parse(Hasher::Md5, &upper)
                .unwrap()
                .verify("password")
        );
    }

    #[test]
    fn refuses_malformed_unsalted() {
        for (h, good) in [(Hasher::Md5, MD5), (Hasher::Sha256, SHA256)] {
            assert!(malformed(h, &good[1..]));
            assert!(malformed(h, &format!("{good}0")));
            assert!(malformed(h, &good.replacen('5', "g", 1)));
            assert!(malformed(h, &format!("salt${good}")));
            assert!(malformed(h, &format!("{{MD5}}{good}")));
        }
        assert!(malformed(Hasher::Md5, SHA256));
        assert!(malformed(Hasher::Sha256, MD5));
    }

    #[test]
    fn refuses_malformed_salted() {
        for (h, good) in [(Hasher::Md5Salted, MD5), (Hasher::Sha256Salted, SHA256)] {
            assert!(Digest::parse(h, &format!("salt${good}")).is_ok());
            assert!(Digest::parse(h, &format!("{good}$salt")).is_ok());
            assert!(malformed(h, good));
            assert!(malformed(h, &format!("${good}")));
            assert!(malformed(h, &format!("{good}$")));
            assert!(malformed(h, &format!("salt${}", &good[1..])));
            assert!(malformed(
                h,
                &format!("salt${}", good.replacen('5', "x", 1))
            ));
            assert!(malformed(h, &format!("sa$lt${good}")));
            assert!(malformed(h, &format!("{}${good}", "s".repeat(1025))));
        }
    }

    #[test]
    fn salted_hashes_salt_then_password() {
        // md5("saltpassword") and sha256("saltpassword").
        let md5 = "67a1e09bb1f83f5007dc119c14d663aa";
        let sha = "13601bda4ea78e55a07b98866d2be6be0744e3866f13c00c811cab608a28f322";
        for layout in [format!("salt${md5}"), format!("{md5}$salt")] {
            let d = Digest::parse(Hasher::Md5Salted, &layout).unwrap();
            assert!(d.verify("password"));
            assert!(!d.verify("passwordsalt"));
        }
        let d = Digest::parse(Hasher::Sha256Salted, &format!("salt${sha}")).unwrap();
        assert!(d.verify("password"));
    }
}
