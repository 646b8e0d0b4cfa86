//! The five PBKDF2 formats: `pbkdf2_sha1`, `pbkdf2_sha256` (base64 salt),
//! `pbkdf2_sha256_django` (literal salt), `pbkdf2_sha512` (literal salt, hex
//! hash) and `pbkdf2_sha512_hex` (hex salt and hash).
//!
//! `pbkdf2_sha256` and `pbkdf2_sha256_django` share the `pbkdf2_sha256$`
//! prefix; only the hasher name says how the salt is encoded, which is why
//! each hasher gets its own [`Scheme`].

use ::pbkdf2::pbkdf2_hmac;
use sha1::Sha1;
use sha2::{Sha256, Sha512};
use subtle::ConstantTimeEq;

use crate::encoding::{b64, check_len, decimal, hex, is_hex, literal};
use crate::error::Invalid;
use crate::limits::{
    MAX_HASH_LEN, MAX_SALT_LEN, MIN_HASH_LEN, PBKDF2_MAX_WORK, PBKDF2_SHA512_MAX_WORK,
};

#[derive(Clone, Copy)]
enum Prf {
    Sha1,
    Sha256,
    Sha512,
}

impl Prf {
    /// The cap on iterations × output blocks for this PRF (see `limits`).
    fn max_work(self) -> u64 {
        match self {
            Prf::Sha1 | Prf::Sha256 => PBKDF2_MAX_WORK,
            Prf::Sha512 => PBKDF2_SHA512_MAX_WORK,
        }
    }

    fn output_len(self) -> usize {
        match self {
            Prf::Sha1 => 20,
            Prf::Sha256 => 32,
            Prf::Sha512 => 64,
        }
    }
}

#[derive(Clone, Copy)]
enum SaltEncoding {
    /// Hex-decoded when it is valid hex, otherwise its raw bytes (Clerk's
    /// documented rule for `pbkdf2_sha1`).
    HexOrLiteral,
    Hex,
    Base64,
    Literal,
}

#[derive(Clone, Copy)]
enum HashEncoding {
    Hex,
    Base64,
}

pub(crate) struct Scheme {
    tag: &'static str,
    shape: &'static str,
    prf: Prf,
    salt: SaltEncoding,
    hash: HashEncoding,
    /// Only `pbkdf2_sha1` may carry a trailing `$<key length>`.
    key_len_field: bool,
}

impl Scheme {
    pub(crate) const SHA1: Scheme = Scheme {
        tag: "pbkdf2_sha1",
        shape: "expected pbkdf2_sha1$<iterations>$<salt>$<hex hash>[$<key length>]",
        prf: Prf::Sha1,
        salt: SaltEncoding::HexOrLiteral,
        hash: HashEncoding::Hex,
        key_len_field: true,
    };
    pub(crate) const SHA256: Scheme = Scheme {
        tag: "pbkdf2_sha256",
        shape: "expected pbkdf2_sha256$<iterations>$<base64 salt>$<base64 hash>",
        prf: Prf::Sha256,
        salt: SaltEncoding::Base64,
        hash: HashEncoding::Base64,
        key_len_field: false,
    };
    pub(crate) const SHA256_DJANGO: Scheme = Scheme {
        tag: "pbkdf2_sha256",
        shape: "expected pbkdf2_sha256$<iterations>$<salt>$<base64 hash>",
        prf: Prf::Sha256,
        salt: SaltEncoding::Literal,
        hash: HashEncoding::Base64,
        key_len_field: false,
    };
    pub(crate) const SHA512: Scheme = Scheme {
        tag: "pbkdf2_sha512",
        shape: "expected pbkdf2_sha512$<iterations>$<salt>$<hex hash>",
        prf: Prf::Sha512,
        salt: SaltEncoding::Literal,
        hash: HashEncoding::Hex,
        key_len_field: false,
    };
    pub(crate) const SHA512_HEX: Scheme = Scheme {
        tag: "pbkdf2_sha512_hex",
        shape: "expected pbkdf2_sha512_hex$<iterations>$<hex salt>$<hex hash>",
        prf: Prf::Sha512,
        salt: SaltEncoding::Hex,
        hash: HashEncoding::Hex,
        key_len_field: false,
    };
}

#[derive(Clone)]
pub(crate) struct Pbkdf2Digest {
    prf: Prf,
    iterations: u32,
    salt: Vec<u8>,
    hash: Vec<u8>,
}

pub(crate) fn parse(scheme: Scheme, s: &str) -> Result<Pbkdf2Digest, Invalid> {
    let fields: Vec<&str> = s.split('$').collect();
    let (iterations, salt, hash, key_len) = match fields.as_slice() {
        [tag, i, salt, hash] if *tag == scheme.tag => (*i, *salt, *hash, None),
        [tag, i, salt, hash, len] if *tag == scheme.tag && scheme.key_len_field => {
            (*i, *salt, *hash, Some(*len))
        }
        _ => return Err(Invalid::malformed(scheme.shape)),
    };

    let salt = match scheme.salt {
        SaltEncoding::HexOrLiteral if is_hex(salt) => hex(salt, "salt")?,
        SaltEncoding::HexOrLiteral | SaltEncoding::Literal => {
            literal(salt, "salt")?.as_bytes().to_vec()
        }
        SaltEncoding::Hex => hex(salt, "salt")?,
        SaltEncoding::Base64 => b64(salt, "salt")?,
    };
    check_len(salt.len(), 1, MAX_SALT_LEN, "salt")?;

    let hash = match scheme.hash {
        HashEncoding::Hex => hex(hash, "hash")?,
        HashEncoding::Base64 => b64(hash, "hash")?,
    };
    check_len(hash.len(), MIN_HASH_LEN, MAX_HASH_LEN, "hash")?;
    // The derived-key length is the stored hash's length; an explicit field
    // (documented default 32) must agree with it.
    if let Some(len) = key_len
        && decimal(len, "key length")? != hash.len() as u64
    {
        return Err(Invalid::malformed(
            "key length field does not match the hash length",
        ));
    }

    let iterations = decimal(iterations, "iteration count")?;
    if iterations < 1 {
        return Err(Invalid::malformed("iteration count must be at least 1"));
    }
    let blocks = hash.len().div_ceil(scheme.prf.output_len()) as u64;
    let max_work = scheme.prf.max_work();
    if iterations.saturating_mul(blocks) > max_work {
        return Err(Invalid::too_costly(format!(
            "iterations × key blocks above the supported maximum of {max_work}"
        )));
    }
    let iterations =
        u32::try_from(iterations).map_err(|_| Invalid::too_costly("iteration count too large"))?;

    Ok(Pbkdf2Digest {
        prf: scheme.prf,
        iterations,
        salt,
        hash,
    })
}

impl Pbkdf2Digest {
    pub(crate) fn verify(&self, password: &[u8]) -> bool {
        let mut out = vec![0u8; self.hash.len()];
        let (salt, rounds) = (&self.salt, self.iterations);
        match self.prf {
            Prf::Sha1 => pbkdf2_hmac::<Sha1>(password, salt, rounds, &mut out),
            Prf::Sha256 => pbkdf2_hmac::<Sha256>(password, salt, rounds, &mut out),
            Prf::Sha512 => pbkdf2_hmac::<Sha512>(password, salt, rounds, &mut out),
        }
        out.ct_eq(&self.hash).into()
    }
}

#[cfg(test)]
mod tests {
    use crate::{Digest, DigestError, Hasher};

    const SHA1: &str = "pbkdf2_sha1$10000$6a4cdec49c621ec5665c0cba8758fc8f$37d6dc5d8a664a3b8c5257435b9c05e8a2cf95f55e3e702738ca80abb625bfed";
    const SHA256: &str =
        "pbkdf2_sha256$29000$w3iP8d47x3hvrfVeC2FsDQ==$aQCdokWZ/rcX5WQPUI3aYb43VFtxrYccQtDguD8KwVQ=";
    const DJANGO: &str =
        "pbkdf2_sha256$20000$hoMTT0XblU78IjbNO1OgAZ$omBHyJuWsnWreNmNOJU5oQDDEEEIIHMks/QLMIDxkz0=";
    const SHA512: &str = "pbkdf2_sha512$100000$uN37mzAyPmfa$c6e24633eaec046d0b8ea5bd68a667d605aa375d217a9535e26418d315a31622";
    const SHA512_HEX: &str = "pbkdf2_sha512_hex$2500$93c7b50af21a83ab34c13d9a9ed71b080c179b881d28154039360913f20c243a$627eb842202728112fb6a1e759ed3e9db66d0d70fccb054e978aa69441a631f2";

    fn malformed(h: Hasher, s: &str) -> bool {
        matches!(Digest::parse(h, s), Err(DigestError::Malformed { .. }))
    }

    fn too_costly(h: Hasher, s: &str) -> bool {
        matches!(Digest::parse(h, s), Err(DigestError::TooCostly { .. }))
    }

    #[test]
    fn accepts_the_documented_forms() {
        assert!(Digest::parse(Hasher::Pbkdf2Sha1, SHA1).is_ok());
        assert!(Digest::parse(Hasher::Pbkdf2Sha1, &format!("{SHA1}$32")).is_ok());
        assert!(Digest::parse(Hasher::Pbkdf2Sha256, SHA256).is_ok());
        // Padding is optional.
        assert!(Digest::parse(Hasher::Pbkdf2Sha256, &SHA256.replace('=', "")).is_ok());
        assert!(Digest::parse(Hasher::Pbkdf2Sha256Django, DJANGO).is_ok());
        assert!(Digest::parse(Hasher::Pbkdf2Sha512, SHA512).is_ok());
        assert!(Digest::parse(Hasher::Pbkdf2Sha512Hex, SHA512_HEX).is_ok());
    }

    #[test]
    fn refuses_malformed_pbkdf2_sha1() {
        let h = Hasher::Pbkdf2Sha1;
        assert!(malformed(
            h,
            &SHA1.replace("pbkdf2_sha1$", "pbkdf2_sha256$")
        ));
        assert!(malformed(h, &SHA1.replace("$10000$", "$$")));
        assert!(malformed(h, &SHA1.replace("$10000$", "$0$")));
        assert!(malformed(h, &SHA1.replace("$10000$", "$1e4$")));
        assert!(malformed(h, &SHA1.replace("$10000$", "$-10000$")));
        assert!(malformed(
            h,
            &SHA1.replace("$6a4cdec49c621ec5665c0cba8758fc8f$", "$$")
        ));
        assert!(malformed(h, &format!("{SHA1}$20")));
        assert!(malformed(h, &format!("{SHA1}$032")));
        assert!(malformed(h, &format!("{SHA1}$32$1")));
        assert!(malformed(h, &SHA1.replace("37d6dc", "37d6dg")));
        assert!(malformed(h, &SHA1[..SHA1.len() - 1]));
        assert!(malformed(h, "pbkdf2_sha1$1000$salt$0011223344556677"));
        assert!(malformed(h, "pbkdf2_sha1$1000$salt"));
    }

    #[test]
    fn refuses_malformed_pbkdf2_sha256() {
        let h = Hasher::Pbkdf2Sha256;
        // Django's literal salt is not base64 of the right shape here.
        assert!(malformed(
            h,
            "pbkdf2_sha256$1000$salt!!$aQCdokWZ/rcX5WQPUI3aYb43VFtxrYccQtDguD8KwVQ="
        ));
        assert!(malformed(h, &SHA256.replace("aQCdokWZ/", "aQCdokWZ_")));
        assert!(malformed(
            h,
            &SHA256.replace("pbkdf2_sha256$", "pbkdf2_sha512$")
        ));
        assert!(malformed(
            h,
            "pbkdf2_sha256$1000$w3iP8d47x3hvrfVeC2FsDQ==$aQCdokWZ"
        ));
        assert!(malformed(h, &format!("{SHA256}$32")));
    }

    #[test]
    fn refuses_malformed_pbkdf2_sha256_django() {
        let h = Hasher::Pbkdf2Sha256Django;
        assert!(malformed(h, &DJANGO.replace("hoMTT0XblU78IjbNO1OgAZ", "")));
        assert!(malformed(h, &DJANGO.replace("omBHyJ", "om!HyJ")));
        assert!(malformed(h, "pbkdf2_sha256$20000$salt$omBHyJuWsnWreNmN"));
        assert!(malformed(h, "pbkdf2_sha256$20000$salt"));
    }

    #[test]
    fn refuses_malformed_pbkdf2_sha512() {
        let h = Hasher::Pbkdf2Sha512;
        assert!(malformed(
            h,
            &SHA512.replace("pbkdf2_sha512$", "pbkdf2_sha512_hex$")
        ));
        assert!(malformed(h, &SHA512.replace("c6e246", "c6e24")));
        assert!(malformed(h, &SHA512.replace("c6e246", "c6e24z")));
        assert!(malformed(
            h,
            &format!(
                "pbkdf2_sha512$1000${}$c6e24633eaec046d0b8ea5bd68a667d6",
                "s".repeat(1025)
            )
        ));
    }

    #[test]
    fn refuses_malformed_pbkdf2_sha512_hex() {
        let h = Hasher::Pbkdf2Sha512Hex;
        assert!(malformed(h, &SHA512_HEX.replace("93c7b5", "93c7bx")));
        assert!(malformed(h, &SHA512_HEX.replace("93c7b5", "93c7b")));
        assert!(malformed(
            h,
            &SHA512_HEX.replace("pbkdf2_sha512_hex$", "pbkdf2_sha512$")
        ));
    }

    #[test]
    fn refuses_absurd_pbkdf2_costs() {
        assert!(too_costly(
            Hasher::Pbkdf2Sha1,
            &SHA1.replace("$10000$", "$4000000000$")
        ));
        assert!(too_costly(
            Hasher::Pbkdf2Sha1,
            &SHA1.replace("$10000$", "$99999999999999999999999$")
        ));
        // 32-byte key from SHA-1 takes two blocks: 2 × 2 500 000 > cap.
        assert!(too_costly(
            Hasher::Pbkdf2Sha1,
            &SHA1.replace("$10000$", "$2500000$")
        ));
        assert!(too_costly(
            Hasher::Pbkdf2Sha256,
            &SHA256.replace("$29000$", "$4000001$")
        ));
        assert!(too_costly(
            Hasher::Pbkdf2Sha256Django,
            &DJANGO.replace("$20000$", "$100000000$")
        ));
        assert!(too_costly(
            Hasher::Pbkdf2Sha512,
            &SHA512.replace("$100000$", "$5000000$")
        ));
        assert!(too_costly(
            Hasher::Pbkdf2Sha512Hex,
            &SHA512_HEX.replace("$2500$", "$5000000$")
        ));
        assert!(too_costly(
            Hasher::Pbkdf2Sha512,
            &SHA512.replace("$100000$", "$2000001$")
        ));
        assert!(!too_costly(
            Hasher::Pbkdf2Sha512,
            &SHA512.replace("$100000$", "$2000000$")
        ));
        // Django 6.0's default stays accepted.
        assert!(
            Digest::parse(
                Hasher::Pbkdf2Sha256Django,
                &DJANGO.replace("$20000$", "$1200000$")
            )
            .is_ok()
        );
    }

    #[test]
    fn sha1_salt_is_hex_only_when_it_is_valid_hex() {
        use ::pbkdf2::pbkdf2_hmac;
        let mut key = [0u8; 32];
        pbkdf2_hmac::<sha1::Sha1>(b"pw", b"abc", 1000, &mut key);
        let raw = format!("pbkdf2_sha1$1000$abc${}", hex::encode(key));
        assert!(
            Digest::parse(Hasher::Pbkdf2Sha1, &raw)
                .unwrap()
                .verify("pw")
        );
        pbkdf2_hmac::<sha1::Sha1>(b"pw", &[0xab, 0xcd], 1000, &mut key);
        let hexed = format!("pbkdf2_sha1$1000$abcd${}", hex::encode(key));
        assert!(
            Digest::parse(Hasher::Pbkdf2Sha1, &hexed)
                .unwrap()
                .verify("pw")
        );
    }
}
