//! Password digests for Roster.
//!
//! Clerk's Backend API lets `createUser`/`updateUser` import a
//! `password_digest` produced by another system, named by `password_hasher`.
//! This crate parses and validates those digests for every hasher Clerk
//! accepts ([`Hasher`]), verifies passwords against them, and hashes the
//! passwords Roster sets itself with argon2id ([`hash_argon2id`]).
//!
//! Everything here is synchronous and pure CPU; callers on an async runtime
//! should move [`Digest::verify`] and [`hash_argon2id`] off the async workers
//! (Roster runs them on its hashing pool).
//!
//! Passwords are hashed as their UTF-8 bytes exactly as given (no Unicode
//! normalisation); only `hmac_sha256_utf16_b64` hashes UTF-16LE, as its
//! format requires. Cost parameters are capped, see [`limits`].

use std::fmt;
use std::str::FromStr;

use rand::TryRng as _;
use rand::rngs::SysRng;

mod argon2;
mod awscognito;
mod bcrypt;
mod encoding;
mod error;
mod hmac_utf16;
mod ldap;
pub mod limits;
mod pbkdf2;
mod phpass;
mod scrypt;
mod simple;
mod symfony;

pub use error::{DigestError, UnknownHasher};

use error::Invalid;

/// A `password_hasher` value Clerk accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Hasher {
    Argon2i,
    Argon2id,
    Awscognito,
    Bcrypt,
    BcryptSha256Django,
    BcryptPeppered,
    HmacSha256Utf16B64,
    LdapSsha,
    Md5,
    Md5Phpass,
    Md5Salted,
    Pbkdf2Sha1,
    Pbkdf2Sha256,
    Pbkdf2Sha256Django,
    Pbkdf2Sha512,
    Pbkdf2Sha512Hex,
    Phpass,
    ScryptFirebase,
    ScryptWerkzeug,
    Sha256,
    Sha256Salted,
    Sha512Symfony,
}

impl Hasher {
    /// Every hasher, in wire-name order.
    pub const ALL: [Hasher; 22] = [
        Hasher::Argon2i,
        Hasher::Argon2id,
        Hasher::Awscognito,
        Hasher::Bcrypt,
        Hasher::BcryptPeppered,
        Hasher::BcryptSha256Django,
        Hasher::HmacSha256Utf16B64,
        Hasher::LdapSsha,
        Hasher::Md5,
        Hasher::Md5Phpass,
        Hasher::Md5Salted,
        Hasher::Pbkdf2Sha1,
        Hasher::Pbkdf2Sha256,
        Hasher::Pbkdf2Sha256Django,
        Hasher::Pbkdf2Sha512,
        Hasher::Pbkdf2Sha512Hex,
        Hasher::Phpass,
        Hasher::ScryptFirebase,
        Hasher::ScryptWerkzeug,
        Hasher::Sha256,
        Hasher::Sha256Salted,
        Hasher::Sha512Symfony,
    ];

    /// The exact Clerk wire name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Hasher::Argon2i => "argon2i",
            Hasher::Argon2id => "argon2id",
            Hasher::Awscognito => "awscognito",
            Hasher::Bcrypt => "bcrypt",
            Hasher::BcryptSha256Django => "bcrypt_sha256_django",
            Hasher::BcryptPeppered => "bcrypt_peppered",
            Hasher::HmacSha256Utf16B64 => "hmac_sha256_utf16_b64",
            Hasher::LdapSsha => "ldap_ssha",
            Hasher::Md5 => "md5",
            Hasher::Md5Phpass => "md5_phpass",
            Hasher::Md5Salted => "md5_salted",
            Hasher::Pbkdf2Sha1 => "pbkdf2_sha1",
            Hasher::Pbkdf2Sha256 => "pbkdf2_sha256",
            Hasher::Pbkdf2Sha256Django => "pbkdf2_sha256_django",
            Hasher::Pbkdf2Sha512 => "pbkdf2_sha512",
            Hasher::Pbkdf2Sha512Hex => "pbkdf2_sha512_hex",
            Hasher::Phpass => "phpass",
            Hasher::ScryptFirebase => "scrypt_firebase",
            Hasher::ScryptWerkzeug => "scrypt_werkzeug",
            Hasher::Sha256 => "sha256",
            Hasher::Sha256Salted => "sha256_salted",
            Hasher::Sha512Symfony => "sha512_symfony",
        }
    }
}

impl FromStr for Hasher {
    type Err = UnknownHasher;

    /// Exact, case-sensitive match on the wire name, as Clerk does.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Hasher::ALL
            .into_iter()
            .find(|h| h.as_str() == s)
            .ok_or(UnknownHasher)
    }
}

impl fmt::Display for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A digest that passed format validation for its hasher; safe to store.
#[derive(Clone)]
pub struct Digest {
    hasher: Hasher,
    encoded: String,
    parsed: Parsed,
}

/// The decoded form, kept so that `verify` never re-parses.
#[derive(Clone)]
enum Parsed {
    Argon2(argon2::Argon2Digest),
    Bcrypt(bcrypt::BcryptDigest),
    Hmac(hmac_utf16::HmacDigest),
    Ldap(ldap::SshaDigest),
    Pbkdf2(pbkdf2::Pbkdf2Digest),
    Phpass(phpass::PhpassDigest),
    Firebase(scrypt::FirebaseDigest),
    Werkzeug(scrypt::WerkzeugDigest),
    Simple(simple::SimpleDigest),
    Symfony(symfony::SymfonyDigest),
}

impl Digest {
    /// Validates `encoded` against the full grammar of `hasher`, including the
    /// cost caps in [`limits`]. Errors describe the problem without quoting
    /// the digest.
    pub fn parse(hasher: Hasher, encoded: &str) -> Result<Digest, DigestError> {
        let malformed = |reason: &'static str| DigestError::Malformed {
            hasher,
            reason: reason.into(),
        };
        if encoded.is_empty() {
            return Err(malformed("the digest is empty"));
        }
        if encoded.len() > limits::MAX_DIGEST_LEN {
            return Err(DigestError::TooLong {
                hasher,
                max: limits::MAX_DIGEST_LEN,
            });
        }
        if encoded.trim() != encoded {
            return Err(malformed("the digest has leading or trailing whitespace"));
        }
        if encoded.chars().any(char::is_control) {
            return Err(malformed("the digest contains control characters"));
        }
        let parsed = Self::parse_body(hasher, encoded).map_err(|e| e.for_hasher(hasher))?;
        Ok(Digest {
            hasher,
            encoded: encoded.to_owned(),
            parsed,
        })
    }

    fn parse_body(hasher: Hasher, s: &str) -> Result<Parsed, Invalid> {
        Ok(match hasher {
            Hasher::Argon2i => Parsed::Argon2(argon2::parse(argon2::Variant::I, s)?),
            Hasher::Argon2id => Parsed::Argon2(argon2::parse(argon2::Variant::Id, s)?),
            Hasher::Awscognito => {
                awscognito::check(s)?;
                return Err(Invalid::ExternalOnly);
            }
            Hasher::Bcrypt => Parsed::Bcrypt(bcrypt::parse_plain(s)?),
            Hasher::BcryptSha256Django => Parsed::Bcrypt(bcrypt::parse_sha256_django(s)?),
            Hasher::BcryptPeppered => Parsed::Bcrypt(bcrypt::parse_peppered(s)?),
            Hasher::HmacSha256Utf16B64 => Parsed::Hmac(hmac_utf16::parse(s)?),
            Hasher::LdapSsha => Parsed::Ldap(ldap::parse(s)?),
            Hasher::Md5 => Parsed::Simple(simple::parse_unsalted(simple::Alg::Md5, s)?),
            Hasher::Md5Salted => Parsed::Simple(simple::parse_salted(simple::Alg::Md5, s)?),
            Hasher::Sha256 => Parsed::Simple(simple::parse_unsalted(simple::Alg::Sha256, s)?),
            Hasher::Sha256Salted => Parsed::Simple(simple::parse_salted(simple::Alg::Sha256, s)?),
            Hasher::Md5Phpass => Parsed::Phpass(phpass::parse(phpass::Idents::PortableOrPhpbb, s)?),
            Hasher::Phpass => Parsed::Phpass(phpass::parse(phpass::Idents::PortableOnly, s)?),
            Hasher::Pbkdf2Sha1 => Parsed::Pbkdf2(pbkdf2::parse(pbkdf2::Scheme::SHA1, s)?),
            Hasher::Pbkdf2Sha256 => Parsed::Pbkdf2(pbkdf2::parse(pbkdf2::Scheme::SHA256, s)?),
            Hasher::Pbkdf2Sha256Django => {
                Parsed::Pbkdf2(pbkdf2::parse(pbkdf2::Scheme::SHA256_DJANGO, s)?)
            }
            Hasher::Pbkdf2Sha512 => Parsed::Pbkdf2(pbkdf2::parse(pbkdf2::Scheme::SHA512, s)?),
            Hasher::Pbkdf2Sha512Hex => {
                Parsed::Pbkdf2(pbkdf2::parse(pbkdf2::Scheme::SHA512_HEX, s)?)
            }
            Hasher::ScryptFirebase => Parsed::Firebase(scrypt::parse_firebase(s)?),
            Hasher::ScryptWerkzeug => Parsed::Werkzeug(scrypt::parse_werkzeug(s)?),
            Hasher::Sha512Symfony => Parsed::Symfony(symfony::parse(s)?),
        })
    }

    pub fn hasher(&self) -> Hasher {
        self.hasher
    }

    /// The string to store: exactly what was parsed (or produced by
    /// [`hash_argon2id`]).
    pub fn encoded(&self) -> &str {
        &self.encoded
    }

    /// Consumes the digest, returning the string to store.
    pub fn into_encoded(self) -> String {
        self.encoded
    }

    /// Whether `password` (its UTF-8 bytes, unnormalised) matches. The final
    /// comparison is constant-time. bcrypt-based hashers see at most the first
    /// 72 bytes of their input, as the systems that produced them did.
    pub fn verify(&self, password: &str) -> bool {
        let pw = password.as_bytes();
        match &self.parsed {
            Parsed::Argon2(d) => d.verify(pw),
            Parsed::Bcrypt(d) => d.verify(pw),
            Parsed::Hmac(d) => d.verify(password),
            Parsed::Ldap(d) => d.verify(pw),
            Parsed::Pbkdf2(d) => d.verify(pw),
            Parsed::Phpass(d) => d.verify(pw),
            Parsed::Firebase(d) => d.verify(pw),
            Parsed::Werkzeug(d) => d.verify(pw),
            Parsed::Simple(d) => d.verify(pw),
            Parsed::Symfony(d) => d.verify(pw),
        }
    }

    /// The cost (log2 of the rounds) of a bcrypt-based digest; `None` for other hashers.
    pub fn bcrypt_cost(&self) -> Option<u32> {
        match &self.parsed {
            Parsed::Bcrypt(d) => Some(d.cost()),
            _ => None,
        }
    }

    /// True only for an argon2id (v=19) digest at exactly `params`; anything
    /// else should be re-hashed after a successful [`Digest::verify`].
    pub fn is_current(&self, params: &Argon2Params) -> bool {
        match &self.parsed {
            Parsed::Argon2(d) => self.hasher == Hasher::Argon2id && d.is_current(params),
            _ => false,
        }
    }
}

impl fmt::Debug for Digest {
    /// Shows only the hasher: the encoded string is a password-equivalent for
    /// the weak formats and must not reach logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Digest")
            .field("hasher", &self.hasher)
            .finish_non_exhaustive()
    }
}

/// Argon2id cost parameters for hashes Roster creates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Argon2Params {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for Argon2Params {
    /// OWASP's minimum for argon2id: m=19456 KiB, t=2, p=1.
    fn default() -> Self {
        Argon2Params {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl Argon2Params {
    /// Checks the parameters against the algorithm's rules and the caps in
    /// [`limits`], which [`Digest::parse`] applies to stored hashes too.
    pub fn validate(&self) -> Result<(), DigestError> {
        argon2::check_params(self).map_err(|e| e.for_hasher(Hasher::Argon2id))
    }
}

/// Length of the random salt in hashes Roster creates.
const NEW_SALT_LEN: usize = 16;
/// Length of the Argon2 tag in hashes Roster creates.
const NEW_HASH_LEN: usize = 32;

/// Hashes `password` with argon2id (v=19) at `params` and a random 16-byte
/// salt from the operating system, as a PHC string.
///
/// # Panics
/// If `params` fail [`Argon2Params::validate`] (use [`try_hash_argon2id`] to
/// handle that), or if the operating system's random source fails.
pub fn hash_argon2id(password: &str, params: &Argon2Params) -> Digest {
    match try_hash_argon2id(password, params) {
        Ok(digest) => digest,
        Err(_) => panic!("argon2id parameters outside the supported bounds"),
    }
}

/// [`hash_argon2id`], returning an error instead of panicking on bad `params`.
///
/// # Panics
/// If the operating system's random source fails.
pub fn try_hash_argon2id(password: &str, params: &Argon2Params) -> Result<Digest, DigestError> {
    params.validate()?;
    let mut salt = [0u8; NEW_SALT_LEN];
    os_random(&mut salt);
    let (encoded, parsed) = argon2::hash_new(password.as_bytes(), params, &salt, NEW_HASH_LEN)
        .map_err(|e| e.for_hasher(Hasher::Argon2id))?;
    Ok(Digest {
        hasher: Hasher::Argon2id,
        encoded,
        parsed: Parsed::Argon2(parsed),
    })
}

/// An argon2id digest of a random password at `params`. Verifying a
/// submitted password against it costs the same as a real check, so sign-in
/// for an unknown user takes as long as for a known one.
///
/// # Panics
/// As [`hash_argon2id`].
pub fn dummy_digest(params: &Argon2Params) -> Digest {
    let mut secret = [0u8; 32];
    os_random(&mut secret);
    hash_argon2id(&hex::encode(secret), params)
}

fn os_random(buf: &mut [u8]) {
    if SysRng.try_fill_bytes(buf).is_err() {
        panic!("the operating system's random number generator failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hasher_names_round_trip() {
        for h in Hasher::ALL {
            assert_eq!(h.as_str().parse::<Hasher>(), Ok(h));
            assert_eq!(h.to_string(), h.as_str());
        }
        let mut names: Vec<_> = Hasher::ALL.iter().map(|h| h.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 22);
        assert_eq!(
            "bcrypt_sha256_django".parse(),
            Ok(Hasher::BcryptSha256Django)
        );
        assert_eq!("scrypt_firebase".parse(), Ok(Hasher::ScryptFirebase));
        for bad in [
            "",
            "Argon2i",
            "argon2",
            "bcrypt ",
            "sha512",
            "pbkdf2-sha256",
        ] {
            assert_eq!(bad.parse::<Hasher>(), Err(UnknownHasher));
        }
    }

    #[test]
    fn generic_checks_apply_to_every_hasher() {
        for h in Hasher::ALL {
            assert!(matches!(
                Digest::parse(h, ""),
                Err(DigestError::Malformed { .. })
            ));
            assert!(matches!(
                Digest::parse(h, &"a".repeat(limits::MAX_DIGEST_LEN + 1)),
                Err(DigestError::TooLong { .. })
            ));
            assert!(Digest::parse(h, " 5f4dcc3b5aa765d61d8327deb882cf99").is_err());
            assert!(Digest::parse(h, "5f4dcc3b5aa765d61d8327deb882cf99\n").is_err());
        }
    }

    #[test]
    fn errors_never_echo_the_digest() {
        let secretish = "$2b$04$SECRETSECRETSECRETSECRETSECRETSECRETSECRETSECRETSECRE";
        for h in Hasher::ALL {
            if let Err(e) = Digest::parse(h, secretish) {
                let shown = format!("{e} {e:?}");
                assert!(!shown.contains("SECRET"), "{h}: {shown}");
            }
        }
    }

    #[test]
    fn argon2id_round_trip_with_long_unicode_password() {
        let params = Argon2Params {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        };
        let password: String = "пароль🔐ß\u{0301}密码".chars().cycle().take(300).collect();
        assert_eq!(password.chars().count(), 300);
        let digest = hash_argon2id(&password, &params);
        assert_eq!(digest.hasher(), Hasher::Argon2id);
        assert!(
            digest
                .encoded()
                .starts_with("$argon2id$v=19$m=1024,t=1,p=1$")
        );
        assert!(digest.verify(&password));
        // No truncation: changing only the last character must fail.
        let mut altered = password.clone();
        altered.pop();
        altered.push('x');
        assert!(!digest.verify(&altered));
        assert!(!digest.verify(""));
        // The stored string parses back to an equivalent digest.
        let reparsed = Digest::parse(Hasher::Argon2id, digest.encoded()).unwrap();
        assert!(reparsed.verify(&password));
        assert!(reparsed.is_current(&params));
    }

    #[test]
    fn fresh_hashes_use_distinct_salts() {
        let params = Argon2Params {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        };
        let a = hash_argon2id("same", &params);
        let b = hash_argon2id("same", &params);
        assert_ne!(a.encoded(), b.encoded());
    }

    #[test]
    fn default_params_are_owasp_minimum_and_valid() {
        let p = Argon2Params::default();
        assert_eq!((p.memory_kib, p.iterations, p.parallelism), (19_456, 2, 1));
        assert!(p.validate().is_ok());
        let d = hash_argon2id("correct horse", &p);
        assert!(d.encoded().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(d.is_current(&p));
    }

    #[test]
    fn is_current_only_for_argon2id_at_exact_params() {
        let params = Argon2Params {
            memory_kib: 256,
            iterations: 2,
            parallelism: 1,
        };
        let fresh = hash_argon2id("pw", &params);
        assert!(fresh.is_current(&params));
        for other in [
            Argon2Params {
                memory_kib: 512,
                ..params
            },
            Argon2Params {
                iterations: 3,
                ..params
            },
            Argon2Params {
                parallelism: 2,
                ..params
            },
            Argon2Params::default(),
        ] {
            assert!(!fresh.is_current(&other));
        }
        // Same numbers, but argon2i, or the old v=16: both need re-hashing.
        let argon2i = Digest::parse(
            Hasher::Argon2i,
            "$argon2i$v=19$m=256,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$AAAAAAAAAAAAAAAAAAAAAA",
        )
        .unwrap();
        assert!(!argon2i.is_current(&params));
        let v16 = Digest::parse(
            Hasher::Argon2id,
            "$argon2id$v=16$m=256,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$AAAAAAAAAAAAAAAAAAAAAA",
        )
        .unwrap();
        assert!(!v16.is_current(&params));
        let bcrypt = Digest::parse(
            Hasher::Bcrypt,
            "$2b$04$O/i4T1dZo27sRJc21t9Ln.2cCgbR5I1NybmYlN0Pc2ZMY3c5sSw5O",
        )
        .unwrap();
        assert!(!bcrypt.is_current(&params));
        let md5 = Digest::parse(Hasher::Md5, "5f4dcc3b5aa765d61d8327deb882cf99").unwrap();
        assert!(!md5.is_current(&Argon2Params::default()));
    }

    #[test]
    fn invalid_params_are_refused_for_new_hashes() {
        let too_big = Argon2Params {
            memory_kib: limits::ARGON2_MAX_MEMORY_KIB + 1,
            ..Argon2Params::default()
        };
        assert!(matches!(
            try_hash_argon2id("pw", &too_big),
            Err(DigestError::TooCostly { .. })
        ));
        let zero_t = Argon2Params {
            iterations: 0,
            ..Argon2Params::default()
        };
        assert!(try_hash_argon2id("pw", &zero_t).is_err());
        let lanes = Argon2Params {
            memory_kib: 64,
            iterations: 1,
            parallelism: 16,
        };
        assert!(try_hash_argon2id("pw", &lanes).is_err());
    }

    #[test]
    fn dummy_digest_is_current_and_rejects_guesses() {
        let params = Argon2Params {
            memory_kib: 128,
            iterations: 1,
            parallelism: 1,
        };
        let d = dummy_digest(&params);
        assert!(d.is_current(&params));
        assert!(!d.verify(""));
        assert!(!d.verify("password"));
    }

    #[test]
    fn debug_shows_only_the_hasher() {
        let d = hash_argon2id(
            "hunter2",
            &Argon2Params {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            },
        );
        let shown = format!("{d:?} {d:#?}");
        assert!(!shown.contains(d.encoded()));
        assert!(!shown.contains("$argon2id$"));
        assert!(shown.contains("Argon2id"));
        let md5 = Digest::parse(Hasher::Md5, "5f4dcc3b5aa765d61d8327deb882cf99").unwrap();
        assert!(!format!("{md5:?}").contains("5f4dcc3b"));
    }

    #[test]
    fn awscognito_is_never_a_digest() {
        assert!(matches!(
            Digest::parse(
                Hasher::Awscognito,
                "awscognito#us-east-1_AbC123xyz#4l7cnp2k1b8bq2c0s0d9ep5r7m#jane@example.com"
            ),
            Err(DigestError::NeedsExternalVerification)
        ));
    }
}
