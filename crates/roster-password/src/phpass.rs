//! The phpass "portable" hash (`$P$` for WordPress/Drupal, `$H$` for phpBB3):
//! MD5(salt ‖ password), then 2^n rounds of MD5(previous ‖ password),
//! encoded with phpass's own little-endian base64 variant.
//!
//! Hand-written because no maintained Rust crate implements the phpass
//! iteration loop or its encoding; the MD5 itself comes from `md-5`.

use md5::{Digest as _, Md5};
use subtle::ConstantTimeEq;

use crate::error::Invalid;
use crate::limits::PHPASS_MAX_LOG2_ROUNDS;

const ITOA64: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const DIGEST_LEN: usize = 34;
const CHECKSUM_LEN: usize = 22;
/// phpass refuses counts outside 2^7..=2^30.
const MIN_LOG2: u32 = 7;
const MAX_DEFINED_LOG2: u32 = 30;

#[derive(Clone, Copy)]
pub(crate) enum Idents {
    /// `phpass`: Clerk documents only `$P$`.
    PortableOnly,
    /// `md5_phpass`: also phpBB3's `$H$`, which is the same algorithm.
    PortableOrPhpbb,
}

#[derive(Clone)]
pub(crate) struct PhpassDigest {
    log2_rounds: u32,
    salt: [u8; 8],
    checksum: [u8; CHECKSUM_LEN],
}

fn itoa64_index(c: u8) -> Option<u32> {
    ITOA64.iter().position(|&x| x == c).map(|i| i as u32)
}

pub(crate) fn parse(idents: Idents, s: &str) -> Result<PhpassDigest, Invalid> {
    let ident_ok = match idents {
        Idents::PortableOnly => s.starts_with("$P$"),
        Idents::PortableOrPhpbb => s.starts_with("$P$") || s.starts_with("$H$"),
    };
    if !ident_ok {
        return Err(Invalid::malformed(match idents {
            Idents::PortableOnly => "must start with $P$",
            Idents::PortableOrPhpbb => "must start with $P$ or $H$",
        }));
    }
    if s.len() != DIGEST_LEN || !s.is_ascii() {
        return Err(Invalid::malformed(
            "a phpass hash is exactly 34 ASCII characters",
        ));
    }
    let b = s.as_bytes();
    if !b[3..].iter().all(|&c| itoa64_index(c).is_some()) {
        return Err(Invalid::malformed(
            "contains characters outside ./0-9A-Za-z",
        ));
    }
    let log2_rounds = itoa64_index(b[3]).unwrap_or(0);
    if !(MIN_LOG2..=MAX_DEFINED_LOG2).contains(&log2_rounds) {
        return Err(Invalid::malformed("round count must encode 2^7 to 2^30"));
    }
    if log2_rounds > PHPASS_MAX_LOG2_ROUNDS {
        return Err(Invalid::too_costly(format!(
            "round count above the supported maximum of 2^{PHPASS_MAX_LOG2_ROUNDS}"
        )));
    }
    // 16 bytes fill 21⅓ characters: the last one only carries two bits, so
    // anything above index 3 there can never be produced and never match.
    if itoa64_index(b[DIGEST_LEN - 1]).unwrap_or(0) > 3 {
        return Err(Invalid::malformed("checksum is not canonically encoded"));
    }
    let mut salt = [0u8; 8];
    salt.copy_from_slice(&b[4..12]);
    let mut checksum = [0u8; CHECKSUM_LEN];
    checksum.copy_from_slice(&b[12..]);
    Ok(PhpassDigest {
        log2_rounds,
        salt,
        checksum,
    })
}

/// phpass's `encode64`: groups of three bytes, least significant bits first.
fn encode64(input: &[u8; 16]) -> [u8; CHECKSUM_LEN] {
    let mut out = [0u8; CHECKSUM_LEN];
    let mut o = 0;
    for chunk in input.chunks(3) {
        let value = chunk
            .iter()
            .enumerate()
            .fold(0u32, |v, (i, &byte)| v | (u32::from(byte) << (8 * i)));
        for k in 0..=chunk.len() {
            out[o] = ITOA64[((value >> (6 * k)) & 0x3f) as usize];
            o += 1;
        }
    }
    out
}

impl PhpassDigest {
    pub(crate) fn verify(&self, password: &[u8]) -> bool {
        let mut hash: [u8; 16] = Md5::new()
            .chain_update(self.salt)
            .chain_update(password)
            .finalize()
            .into();
        for _ in 0..(1u64 << self.log2_rounds) {
            hash = Md5::new()
                .chain_update(hash)
                .chain_update(password)
                .finalize()
                .into();
        }
        encode64(&hash).ct_eq(&self.checksum).into()
    }
}

#[cfg(test)]
mod tests {
    use super::encode64;
    use crate::{Digest, DigestError, Hasher};

    const GOOD: &str = "$P$9wd7N6wrWTdRkPS752WsStL18hHVFZ/";

    fn malformed(h: Hasher, s: &str) -> bool {
        matches!(Digest::parse(h, s), Err(DigestError::Malformed { .. }))
    }

    #[test]
    fn encode64_matches_phpass_layout() {
        // 16 zero bytes encode to 22 '.' characters, and a single set low bit
        // of byte 0 shows up first.
        assert_eq!(&encode64(&[0; 16]), b"......................");
        let mut one = [0u8; 16];
        one[0] = 1;
        assert_eq!(encode64(&one)[0], b'/');
        let mut last = [0u8; 16];
        last[15] = 0xc0;
        assert_eq!(encode64(&last)[21], b'1');
    }

    #[test]
    fn refuses_malformed_phpass() {
        for h in [Hasher::Phpass, Hasher::Md5Phpass] {
            assert!(Digest::parse(h, GOOD).is_ok());
            assert!(malformed(h, &GOOD[..33]));
            assert!(malformed(h, &format!("{GOOD}.")));
            assert!(malformed(h, &GOOD.replace("$P$", "$S$")));
            assert!(malformed(h, &GOOD.replace("$P$", "$p$")));
            assert!(malformed(h, &GOOD.replace("wd7N", "wd+N")));
            assert!(malformed(h, &GOOD.replace("VFZ/", "VFZ2")));
            // Round counts below 2^7 or beyond the format's 2^30.
            assert!(malformed(h, &GOOD.replace("$P$9", "$P$4")));
            assert!(malformed(h, &GOOD.replace("$P$9", "$P$z")));
        }
        // `$H$` is only for md5_phpass.
        let phpbb = GOOD.replace("$P$", "$H$");
        assert!(malformed(Hasher::Phpass, &phpbb));
        assert!(Digest::parse(Hasher::Md5Phpass, &phpbb).is_ok());
    }

    #[test]
    fn refuses_absurd_phpass_rounds() {
        // 'G' encodes 2^18, 'S' 2^30; 'F' is the cap, 2^17.
        for c in ["G", "L", "S"] {
            let s = GOOD.replace("$P$9", &format!("$P${c}"));
            assert!(matches!(
                Digest::parse(Hasher::Phpass, &s),
                Err(DigestError::TooCostly { .. })
            ));
        }
        assert!(Digest::parse(Hasher::Phpass, &GOOD.replace("$P$9", "$P$F")).is_ok());
    }
}
