//! bcrypt and the two schemes built on it: Django's `bcrypt_sha256$` wrapper
//! (bcrypt over the hex SHA-256 of the password) and Devise-style peppered
//! bcrypt (`<60-char bcrypt>$<pepper>`, bcrypt over password ‖ pepper).
//!
//! Verification uses the `bcrypt` crate, which truncates input at 72 bytes
//! exactly as the systems that produced these digests did.

use base64::Engine as _;
use sha2::{Digest as _, Sha256};

use crate::encoding::literal;
use crate::error::Invalid;
use crate::limits::BCRYPT_MAX_COST;

const MODULAR_LEN: usize = 60;
/// Smallest cost the algorithm defines.
const MIN_COST: u32 = 4;
/// Largest cost the algorithm defines (the cap in limits is lower).
const MAX_DEFINED_COST: u32 = 31;

#[derive(Clone)]
enum Flavour {
    Plain,
    Sha256Django,
    Peppered(String),
}

#[derive(Clone)]
pub(crate) struct BcryptDigest {
    flavour: Flavour,
    /// The `$2?$NN$<53 chars>` string, already validated.
    modular: String,
}

pub(crate) fn parse_plain(s: &str) -> Result<BcryptDigest, Invalid> {
    Ok(BcryptDigest {
        flavour: Flavour::Plain,
        modular: parse_modular(s)?,
    })
}

pub(crate) fn parse_sha256_django(s: &str) -> Result<BcryptDigest, Invalid> {
    let inner = s
        .strip_prefix("bcrypt_sha256$")
        .ok_or_else(|| Invalid::malformed("must start with bcrypt_sha256$"))?;
    Ok(BcryptDigest {
        flavour: Flavour::Sha256Django,
        modular: parse_modular(inner)?,
    })
}

pub(crate) fn parse_peppered(s: &str) -> Result<BcryptDigest, Invalid> {
    let shape = "expected a 60-character bcrypt hash, then $ and the pepper";
    if !s.is_char_boundary(MODULAR_LEN.min(s.len())) || s.len() <= MODULAR_LEN + 1 {
        return Err(Invalid::malformed(shape));
    }
    let (modular, rest) = s.split_at(MODULAR_LEN);
    let pepper = rest
        .strip_prefix('$')
        .ok_or_else(|| Invalid::malformed(shape))?;
    let pepper = literal(pepper, "pepper")?;
    Ok(BcryptDigest {
        flavour: Flavour::Peppered(pepper.to_owned()),
        modular: parse_modular(modular)?,
    })
}

/// Full grammar check, including that salt and checksum decode canonically,
/// so a digest the `bcrypt` crate would later refuse is never accepted.
fn parse_modular(s: &str) -> Result<String, Invalid> {
    if s.len() != MODULAR_LEN || !s.is_ascii() {
        return Err(Invalid::malformed(
            "a bcrypt hash is exactly 60 ASCII characters",
        ));
    }
    let b = s.as_bytes();
    if b[0] != b'$' || b[3] != b'$' || b[6] != b'$' {
        return Err(Invalid::malformed("expected $<version>$<cost>$<salt+hash>"));
    }
    // `$2x$` marks crypt_blowfish's sign-extension bug, which no Rust
    // implementation reproduces, so such digests would verify wrongly.
    if !matches!(&s[1..3], "2a" | "2b" | "2y") {
        return Err(Invalid::malformed(
            "only the $2a$, $2b$ and $2y$ bcrypt versions are supported",
        ));
    }
    let cost_text = &s[4..6];
    if !cost_text.bytes().all(|c| c.is_ascii_digit()) {
        return Err(Invalid::malformed("cost must be two decimal digits"));
    }
    let cost: u32 = cost_text
        .parse()
        .map_err(|_| Invalid::malformed("cost must be two decimal digits"))?;
    if !(MIN_COST..=MAX_DEFINED_COST).contains(&cost) {
        return Err(Invalid::malformed("cost must be between 04 and 31"));
    }
    if cost > BCRYPT_MAX_COST {
        return Err(Invalid::too_costly(format!(
            "cost above the supported maximum of {BCRYPT_MAX_COST}"
        )));
    }
    let (salt, checksum) = s[7..].split_at(22);
    let mut salt_bytes = [0u8; 16];
    let mut hash_bytes = [0u8; 23];
    if ::bcrypt::BASE_64.decode_slice(salt, &mut salt_bytes).ok() != Some(16) {
        return Err(Invalid::malformed("salt is not valid bcrypt base64"));
    }
    if ::bcrypt::BASE_64
        .decode_slice(checksum, &mut hash_bytes)
        .ok()
        != Some(23)
    {
        return Err(Invalid::malformed("checksum is not valid bcrypt base64"));
    }
    Ok(s.to_owned())
}

impl BcryptDigest {
    /// The two-digit cost of the validated `$2?$NN$` string.
    pub(crate) fn cost(&self) -> u32 {
        self.modular[4..6].parse().unwrap_or(MAX_DEFINED_COST)
    }

    pub(crate) fn verify(&self, password: &[u8]) -> bool {
        let input: Vec<u8> = match &self.flavour {
            Flavour::Plain => password.to_vec(),
            // Django feeds bcrypt the lowercase hex text, not the raw digest.
            Flavour::Sha256Django => hex::encode(Sha256::digest(password)).into_bytes(),
            // Devise appends the pepper before hashing.
            Flavour::Peppered(pepper) => [password, pepper.as_bytes()].concat(),
        };
        // `bcrypt::verify` compares with `subtle`; an error cannot happen for
        // a digest that passed `parse_modular`, and would mean "no match".
        ::bcrypt::verify(&input, &self.modular).unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use crate::{Digest, DigestError, Hasher};

    const GOOD: &str = "$2b$04$O/i4T1dZo27sRJc21t9Ln.2cCgbR5I1NybmYlN0Pc2ZMY3c5sSw5O";

    fn malformed(h: Hasher, s: &str) -> bool {
        matches!(Digest::parse(h, s), Err(DigestError::Malformed { .. }))
    }

    #[test]
    fn refuses_malformed_bcrypt() {
        let h = Hasher::Bcrypt;
        assert!(Digest::parse(h, GOOD).is_ok());
        assert!(malformed(h, &GOOD[..59]));
        assert!(malformed(h, &format!("{GOOD}A")));
        assert!(malformed(h, &GOOD.replace("$2b$", "$2x$")));
        assert!(malformed(h, &GOOD.replace("$2b$", "$2c$")));
        assert!(malformed(h, &GOOD.replace("$2b$04$", "$2b$4$$")));
        assert!(malformed(h, &GOOD.replace("$2b$04$", "$2b$03$")));
        assert!(malformed(h, &GOOD.replace("$2b$04$", "$2b$32$")));
        assert!(malformed(h, &GOOD.replace("$2b$04$", "$2b$+4$")));
        assert!(malformed(h, &GOOD.replace('O', "+")));
        assert!(malformed(h, &GOOD.replace("i4T", "i4é")));
        // Non-canonical last salt character (unused low bits set).
        assert!(malformed(h, &GOOD.replace("Ln.2cC", "Ln/2cC")));
        assert!(malformed(h, &GOOD.replacen('$', "", 1)));
    }

    #[test]
    fn refuses_absurd_bcrypt_cost() {
        for cost in ["15", "16", "20", "31"] {
            let s = GOOD.replace("$2b$04$", &format!("$2b${cost}$"));
            assert!(matches!(
                Digest::parse(Hasher::Bcrypt, &s),
                Err(DigestError::TooCostly { .. })
            ));
        }
        let max = GOOD.replace("$2b$04$", "$2b$14$");
        assert!(Digest::parse(Hasher::Bcrypt, &max).is_ok());
    }

    #[test]
    fn refuses_malformed_bcrypt_sha256_django() {
        let h = Hasher::BcryptSha256Django;
        assert!(Digest::parse(h, &format!("bcrypt_sha256${GOOD}")).is_ok());
        assert!(malformed(h, GOOD));
        assert!(malformed(h, &format!("bcrypt_sha256{GOOD}")));
        assert!(malformed(h, &format!("bcrypt$sha256${GOOD}")));
        assert!(malformed(h, &format!("bcrypt_sha256${}", &GOOD[..50])));
        assert!(matches!(
            Digest::parse(
                h,
                &format!("bcrypt_sha256${}", GOOD.replace("$04$", "$25$"))
            ),
            Err(DigestError::TooCostly { .. })
        ));
    }

    #[test]
    fn refuses_malformed_bcrypt_peppered() {
        let h = Hasher::BcryptPeppered;
        assert!(Digest::parse(h, &format!("{GOOD}$pepper")).is_ok());
        assert!(malformed(h, GOOD));
        assert!(malformed(h, &format!("{GOOD}$")));
        assert!(malformed(h, &format!("{GOOD}pepper")));
        assert!(malformed(h, &format!("{}$pepper", &GOOD[..59])));
        assert!(malformed(h, &format!("{}é$pepper", &GOOD[..59])));
        assert!(malformed(h, &format!("{GOOD}${}", "p".repeat(2000))));
    }

    #[test]
    fn peppered_appends_pepper_and_django_hashes_hex() {
        let salt = [7u8; 16];
        let peppered = ::bcrypt::hash_with_salt(b"abcpepper", 4, salt)
            .unwrap()
            .format_for_version(::bcrypt::Version::TwoA);
        let d = Digest::parse(Hasher::BcryptPeppered, &format!("{peppered}$pepper")).unwrap();
        assert!(d.verify("abc"));
        assert!(!d.verify("abcpepper"));

        // hex(SHA-256("abc")), as Django feeds it to bcrypt.
        let hexed = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        let inner = ::bcrypt::hash_with_salt(hexed, 4, salt)
            .unwrap()
            .to_string();
        let d = Digest::parse(
            Hasher::BcryptSha256Django,
            &format!("bcrypt_sha256${inner}"),
        )
        .unwrap();
        assert!(d.verify("abc"));
        assert!(!d.verify(hexed));
    }
}
