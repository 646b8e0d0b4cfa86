//! Argon2i and Argon2id digests in the PHC string format
//! (`$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>`), and new argon2id hashes.
//!
//! The PHC grammar is parsed here rather than by `password-hash` so that the
//! cost caps in [`crate::limits`] are enforced before any work is done, and
//! so that keyed or associated-data variants (which need secrets we never
//! have) are refused up front.

use ::argon2::{Algorithm, Argon2, Params, Version};
use subtle::ConstantTimeEq;

use crate::Argon2Params;
use crate::encoding::{check_len, decimal, phc_b64, phc_b64_encode};
use crate::error::Invalid;
use crate::limits::{
    ARGON2_MAX_ITERATIONS, ARGON2_MAX_MEMORY_KIB, ARGON2_MAX_PARALLELISM, ARGON2_MAX_WORK_KIB,
    ARGON2_MIN_SALT_LEN, MAX_HASH_LEN, MAX_SALT_LEN, MIN_HASH_LEN,
};

#[derive(Clone, Copy)]
pub(crate) enum Variant {
    I,
    Id,
}

impl Variant {
    fn ident(self) -> &'static str {
        match self {
            Variant::I => "argon2i",
            Variant::Id => "argon2id",
        }
    }

    fn algorithm(self) -> Algorithm {
        match self {
            Variant::I => Algorithm::Argon2i,
            Variant::Id => Algorithm::Argon2id,
        }
    }
}

#[derive(Clone)]
pub(crate) struct Argon2Digest {
    variant: Variant,
    version: Version,
    params: Argon2Params,
    salt: Vec<u8>,
    hash: Vec<u8>,
}

pub(crate) fn parse(variant: Variant, s: &str) -> Result<Argon2Digest, Invalid> {
    let fields: Vec<&str> = s.split('$').collect();
    if fields.first() != Some(&"") || fields.get(1) != Some(&variant.ident()) {
        return Err(Invalid::malformed(match variant {
            Variant::I => "must start with $argon2i$",
            Variant::Id => "must start with $argon2id$",
        }));
    }
    // The reference implementation omits `v=` for version 0x10 digests.
    let (version, rest) = match &fields[2..] {
        [v, rest @ ..] if v.starts_with("v=") => (parse_version(&v[2..])?, rest),
        rest => (Version::V0x10, rest),
    };
    let [params, salt, hash] = rest else {
        return Err(Invalid::malformed(
            "expected $<variant>$v=<version>$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>",
        ));
    };
    let params = parse_params(params)?;
    let salt = phc_b64(salt, "salt")?;
    check_len(salt.len(), ARGON2_MIN_SALT_LEN, MAX_SALT_LEN, "salt")?;
    let hash = phc_b64(hash, "hash")?;
    check_len(hash.len(), MIN_HASH_LEN, MAX_HASH_LEN, "hash")?;
    Ok(Argon2Digest {
        variant,
        version,
        params,
        salt,
        hash,
    })
}

fn parse_version(v: &str) -> Result<Version, Invalid> {
    match decimal(v, "version")? {
        16 => Ok(Version::V0x10),
        19 => Ok(Version::V0x13),
        _ => Err(Invalid::malformed("version must be 16 or 19")),
    }
}

fn parse_params(s: &str) -> Result<Argon2Params, Invalid> {
    let entries: Vec<&str> = s.split(',').collect();
    if entries
        .iter()
        .any(|e| e.starts_with("keyid=") || e.starts_with("data="))
    {
        return Err(Invalid::malformed(
            "keyed or associated-data Argon2 digests are not supported",
        ));
    }
    let [m, t, p] = entries.as_slice() else {
        return Err(Invalid::malformed(
            "parameters must be exactly m=<KiB>,t=<passes>,p=<lanes>",
        ));
    };
    let field = |entry: &str, key: &str, what: &'static str| -> Result<u32, Invalid> {
        let value = entry.strip_prefix(key).ok_or_else(|| {
            Invalid::malformed("parameters must be exactly m=<KiB>,t=<passes>,p=<lanes>")
        })?;
        Ok(u32::try_from(decimal(value, what)?).unwrap_or(u32::MAX))
    };
    let params = Argon2Params {
        memory_kib: field(m, "m=", "memory")?,
        iterations: field(t, "t=", "passes")?,
        parallelism: field(p, "p=", "lanes")?,
    };
    check_params(&params)?;
    Ok(params)
}

/// Shared by digest parsing and [`Argon2Params::validate`], so that every hash
/// Roster writes can be read back.
pub(crate) fn check_params(p: &Argon2Params) -> Result<(), Invalid> {
    if p.iterations < 1 {
        return Err(Invalid::malformed("passes (t) must be at least 1"));
    }
    if p.parallelism < 1 {
        return Err(Invalid::malformed("lanes (p) must be at least 1"));
    }
    if p.parallelism > ARGON2_MAX_PARALLELISM {
        return Err(Invalid::too_costly(format!(
            "lanes (p) above the supported maximum of {ARGON2_MAX_PARALLELISM}"
        )));
    }
    if u64::from(p.memory_kib) < 8 * u64::from(p.parallelism) {
        return Err(Invalid::malformed(
            "memory (m) must be at least 8 KiB per lane",
        ));
    }
    if p.memory_kib > ARGON2_MAX_MEMORY_KIB {
        return Err(Invalid::too_costly(format!(
            "memory (m) above the supported maximum of {ARGON2_MAX_MEMORY_KIB} KiB"
        )));
    }
    if p.iterations > ARGON2_MAX_ITERATIONS {
        return Err(Invalid::too_costly(format!(
            "passes (t) above the supported maximum of {ARGON2_MAX_ITERATIONS}"
        )));
    }
    if u64::from(p.memory_kib) * u64::from(p.iterations) > ARGON2_MAX_WORK_KIB {
        return Err(Invalid::too_costly(format!(
            "memory (m) × passes (t) above the supported maximum of {ARGON2_MAX_WORK_KIB} KiB"
        )));
    }
    Ok(())
}

fn compute(
    variant: Variant,
    version: Version,
    p: &Argon2Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), ::argon2::Error> {
    let params = Params::new(p.memory_kib, p.iterations, p.parallelism, Some(out.len()))?;
    Argon2::new(variant.algorithm(), version, params).hash_password_into(password, salt, out)
}

impl Argon2Digest {
    pub(crate) fn verify(&self, password: &[u8]) -> bool {
        let mut out = vec![0u8; self.hash.len()];
        if compute(
            self.variant,
            self.version,
            &self.params,
            password,
            &self.salt,
            &mut out,
        )
        .is_err()
        {
            return false;
        }
        out.ct_eq(&self.hash).into()
    }

    pub(crate) fn is_current(&self, params: &Argon2Params) -> bool {
        matches!(self.variant, Variant::Id)
            && self.version == Version::V0x13
            && self.params == *params
    }
}

/// Hashes with argon2id v=19; `params` must already have passed [`check_params`].
pub(crate) fn hash_new(
    password: &[u8],
    params: &Argon2Params,
    salt: &[u8],
    hash_len: usize,
) -> Result<(String, Argon2Digest), Invalid> {
    let mut hash = vec![0u8; hash_len];
    compute(
        Variant::Id,
        Version::V0x13,
        params,
        password,
        salt,
        &mut hash,
    )
    .map_err(|_| Invalid::malformed("the Argon2 implementation refused these parameters"))?;
    let encoded = format!(
        "$argon2id$v=19$m={},t={},p={}${}${}",
        params.memory_kib,
        params.iterations,
        params.parallelism,
        phc_b64_encode(salt),
        phc_b64_encode(&hash),
    );
    let digest = Argon2Digest {
        variant: Variant::Id,
        version: Version::V0x13,
        params: *params,
        salt: salt.to_vec(),
        hash,
    };
    Ok((encoded, digest))
}

#[cfg(test)]
mod tests {
    use crate::{Digest, DigestError, Hasher};

    const GOOD: &str =
        "$argon2id$v=19$m=64,t=4,p=8$78e9vZvkLg5c$K0gpnZD6ZGGrG5BHeHQHiUmPTXjtf/0OMg9lM4HPpzI";
    const GOOD_I: &str = "$argon2i$v=19$m=4096,t=3,p=1$1lDpGdkcGjmy7lsJWQB5Tw$HwmVFzYw8x+VTATDAeHHsH0PVEiJ13c+lJHMi+IHYvA";

    fn malformed(h: Hasher, s: &str) -> bool {
        matches!(Digest::parse(h, s), Err(DigestError::Malformed { .. }))
    }

    fn too_costly(h: Hasher, s: &str) -> bool {
        matches!(Digest::parse(h, s), Err(DigestError::TooCostly { .. }))
    }

    #[test]
    fn accepts_the_reference_forms() {
        assert!(Digest::parse(Hasher::Argon2id, GOOD).is_ok());
        assert!(Digest::parse(Hasher::Argon2i, GOOD_I).is_ok());
        // Version omitted means 0x10 in the reference implementation.
        assert!(
            Digest::parse(
                Hasher::Argon2id,
                "$argon2id$m=64,t=4,p=8$78e9vZvkLg5c$K0gpnZD6ZGGrG5BHeHQHiUmPTXjtf/0OMg9lM4HPpzI"
            )
            .is_ok()
        );
    }

    #[test]
    fn refuses_malformed_argon2() {
        let h = Hasher::Argon2id;
        // Variant must match the hasher.
        assert!(malformed(Hasher::Argon2i, GOOD));
        assert!(malformed(Hasher::Argon2id, GOOD_I));
        assert!(malformed(h, &GOOD.replace("argon2id", "argon2d")));
        assert!(malformed(h, &GOOD[1..]));
        // Missing parts.
        assert!(malformed(h, "$argon2id$v=19$m=64,t=4,p=8$78e9vZvkLg5c"));
        assert!(malformed(
            h,
            "$argon2id$v=19$78e9vZvkLg5c$K0gpnZD6ZGGrG5BHeHQHiUmPTXjtf/0OMg9lM4HPpzI"
        ));
        assert!(malformed(h, &format!("{GOOD}$extra")));
        // Version, parameter order and syntax.
        assert!(malformed(h, &GOOD.replace("v=19", "v=20")));
        assert!(malformed(h, &GOOD.replace("m=64,t=4,p=8", "t=4,m=64,p=8")));
        assert!(malformed(h, &GOOD.replace("m=64,t=4,p=8", "m=64,t=4")));
        assert!(malformed(h, &GOOD.replace("m=64,t=4,p=8", "m=64,t=04,p=8")));
        assert!(malformed(h, &GOOD.replace("m=64,t=4,p=8", "m=64,t=-4,p=8")));
        assert!(malformed(h, &GOOD.replace("m=64,t=4,p=8", "m=64,t=0,p=8")));
        assert!(malformed(h, &GOOD.replace("m=64,t=4,p=8", "m=63,t=4,p=8")));
        assert!(malformed(
            h,
            &GOOD.replace("m=64,t=4,p=8", "m=64,t=4,p=8,keyid=AAAA")
        ));
        assert!(malformed(
            h,
            &GOOD.replace("m=64,t=4,p=8", "m=64,t=4,p=8,data=AAAA")
        ));
        // Alphabet and padding.
        assert!(malformed(
            h,
            &GOOD.replace("78e9vZvkLg5c", "78e9vZvkLg5c==")
        ));
        assert!(malformed(h, &GOOD.replace("78e9vZvkLg5c", "78e9vZvk-g5c")));
        assert!(malformed(h, &GOOD.replace("K0gpnZD6", "K0gp*ZD6")));
        // Lengths: salt below 8 bytes, hash below 16 bytes.
        assert!(malformed(h, &GOOD.replace("78e9vZvkLg5c", "78e9vZvk")));
        assert!(malformed(
            h,
            "$argon2id$v=19$m=64,t=4,p=8$78e9vZvkLg5c$K0gpnZD6ZGGrG5BHeHQH"
        ));
    }

    #[test]
    fn refuses_absurd_argon2_costs() {
        let h = Hasher::Argon2id;
        for params in [
            "m=4194304,t=1,p=1",
            "m=262144,t=5,p=1",
            "m=4096,t=1000,p=1",
            "m=4096,t=1,p=64",
            "m=4294967295,t=4294967295,p=1",
            "m=99999999999999999999,t=1,p=1",
        ] {
            assert!(
                too_costly(h, &GOOD.replace("m=64,t=4,p=8", params)),
                "{params}"
            );
        }
        assert!(Digest::parse(h, &GOOD.replace("m=64,t=4,p=8", "m=262144,t=4,p=16")).is_ok());
    }
}
