//! Symfony's legacy `MessageDigestPasswordHasher` with SHA-512, stored as
//! `sha512_symfony$<iterations>$<salt>$<base64 hash>`.
//!
//! Hand-written because the iteration scheme is Symfony's own:
//! s = password + "{" + salt + "}", d = SHA-512(s), then (iterations − 1)
//! times d = SHA-512(d ‖ s). SHA-512 comes from `sha2`.

use sha2::{Digest as _, Sha512};
use subtle::ConstantTimeEq;

use crate::encoding::{b64, check_len, decimal};
use crate::error::Invalid;
use crate::limits::{MAX_PASSWORD_LEN, MAX_SALT_LEN, SYMFONY_MAX_WORK};

const SHA512_LEN: usize = 64;

#[derive(Clone)]
pub(crate) struct SymfonyDigest {
    iterations: u64,
    salt: String,
    hash: Vec<u8>,
}

pub(crate) fn parse(s: &str) -> Result<SymfonyDigest, Invalid> {
    let [tag, iterations, salt, hash] = s.split('$').collect::<Vec<_>>()[..] else {
        return Err(Invalid::malformed(
            "expected sha512_symfony$<iterations>$<salt>$<base64 hash>",
        ));
    };
    if tag != "sha512_symfony" {
        return Err(Invalid::malformed("must start with sha512_symfony$"));
    }
    let iterations = decimal(iterations, "iteration count")?;
    if iterations < 1 {
        return Err(Invalid::malformed("iteration count must be at least 1"));
    }
    // Symfony throws on braces in the salt, so no real digest contains them.
    // An empty salt is legal there (the password is then hashed alone).
    if salt.contains(['{', '}']) {
        return Err(Invalid::malformed("salt must not contain { or }"));
    }
    check_len(salt.len(), 0, MAX_SALT_LEN, "salt")?;
    if iterations.saturating_mul(blocks_per_iteration(salt.len())) > SYMFONY_MAX_WORK {
        return Err(Invalid::too_costly(format!(
            "iterations × SHA-512 blocks per iteration (for the longest password) above the \
             supported maximum of {SYMFONY_MAX_WORK}"
        )));
    }
    let hash = b64(hash, "hash")?;
    check_len(hash.len(), SHA512_LEN, SHA512_LEN, "hash")?;
    Ok(SymfonyDigest {
        iterations,
        salt: salt.to_owned(),
        hash,
    })
}

/// SHA-512 blocks one iteration hashes for the longest accepted password: the
/// previous digest, the password, `{salt}`, and SHA-512's 17 bytes of padding.
fn blocks_per_iteration(salt_len: usize) -> u64 {
    (SHA512_LEN + MAX_PASSWORD_LEN + salt_len + 2 + 17).div_ceil(128) as u64
}

impl SymfonyDigest {
    pub(crate) fn verify(&self, password: &[u8]) -> bool {
        // Symfony tests the salt with PHP's `empty()`, which is also true for "0".
        let salted: Vec<u8> = if self.salt.is_empty() || self.salt == "0" {
            password.to_vec()
        } else {
            [password, b"{", self.salt.as_bytes(), b"}"].concat()
        };
        let mut digest = Sha512::digest(&salted);
        for _ in 1..self.iterations {
            digest = Sha512::new()
                .chain_update(digest)
                .chain_update(&salted)
                .finalize();
        }
        digest.as_slice().ct_eq(&self.hash).into()
    }
}

#[cfg(test)]
mod tests {
    use crate::{Digest, DigestError, Hasher};

    const SALTED: &str = "sha512_symfony$3$salt$Y279HZCmzP3FFaV0ZMinPifhN2SSzB6ODzttIL3vDhFqvYLtoIecXXuqGPBOsCi1bDC0M3Sm6pTqXgqb8lvq3g==";
    const NO_SALT_HASH: &str =
        "j8VRGNMjw6ixjX82TsrbJPkJBDJpoiBlBMX/tp7wUiaJIUaMxqqro6BC1PIvxXzX6xHJ8Mn8WauToLe58ocZgw==";

    fn malformed(s: &str) -> bool {
        matches!(
            Digest::parse(Hasher::Sha512Symfony, s),
            Err(DigestError::Malformed { .. })
        )
    }

    #[test]
    fn known_answers_including_empty_salt() {
        assert!(
            Digest::parse(Hasher::Sha512Symfony, SALTED)
                .unwrap()
                .verify("password")
        );
        for salt in ["", "0"] {
            let s = format!("sha512_symfony$3${salt}${NO_SALT_HASH}");
            assert!(
                Digest::parse(Hasher::Sha512Symfony, &s)
                    .unwrap()
                    .verify("password")
            );
        }
    }

    #[test]
    fn refuses_malformed_symfony() {
        assert!(malformed(
            &SALTED.replace("sha512_symfony$", "sha256_symfony$")
        ));
        assert!(malformed(&SALTED.replace("$3$", "$0$")));
        assert!(malformed(&SALTED.replace("$3$", "$$")));
        assert!(malformed(&SALTED.replace("$3$", "$03$")));
        assert!(malformed(&SALTED.replace("$salt$", "$s{al}t$")));
        assert!(malformed(&SALTED.replace("$salt$", "$sa$lt$")));
        assert!(malformed(&SALTED.replace("==", "")[..60]));
        assert!(malformed(&SALTED.replace("Y279", "Y2*9")));
        assert!(malformed("sha512_symfony$3$salt"));
        assert!(malformed(&format!("{SALTED}$")));
    }

    #[test]
    fn refuses_absurd_symfony_iterations() {
        // 33 blocks per iteration with this 4-byte salt: 90 909 iterations fit.
        for n in ["90910", "1000001", "4294967296", "99999999999999999999999"] {
            assert!(matches!(
                Digest::parse(
                    Hasher::Sha512Symfony,
                    &SALTED.replace("$3$", &format!("${n}$"))
                ),
                Err(DigestError::TooCostly { .. })
            ));
        }
        let at_cap = SALTED.replace("$3$", "$90909$");
        assert!(Digest::parse(Hasher::Sha512Symfony, &at_cap).is_ok());
    }
}
