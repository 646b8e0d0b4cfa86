//! Grammar helpers shared by the format modules: decimal fields, hex, the
//! base64 flavours the formats use, literal (unencoded) salts and length checks.
//!
//! `what` arguments are always literals from this crate, so messages built
//! from them never contain caller data.

use std::borrow::Cow;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use crate::error::Invalid;
use crate::limits::MAX_SALT_LEN;

// Every decoder below ignores the unused low bits of a final partial group instead of
// requiring them to be zero. Go's, Node's and Python's default decoders do the same, and real
// exports depend on it: Firebase scrypt salts such as `NaCl00NNbase64==` end in a character
// whose padding bits are set. Characters outside the alphabet, and misplaced padding, are
// still refused.

/// PHC strings (Argon2) use the standard alphabet and never pad.
const PHC_B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

/// The vectors are padded, but padding carries no information, so exports that
/// strip it are accepted too.
const STANDARD_ANY_PAD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

const URL_SAFE_ANY_PAD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

pub(crate) fn phc_b64_encode(bytes: &[u8]) -> String {
    PHC_B64.encode(bytes)
}

pub(crate) fn phc_b64(s: &str, what: &'static str) -> Result<Vec<u8>, Invalid> {
    PHC_B64
        .decode(s)
        .map_err(|_| Invalid::malformed(format!("{what} is not unpadded standard base64")))
}

pub(crate) fn b64(s: &str, what: &'static str) -> Result<Vec<u8>, Invalid> {
    STANDARD_ANY_PAD
        .decode(s)
        .map_err(|_| Invalid::malformed(format!("{what} is not standard base64")))
}

/// Standard or URL-safe base64: Firebase's CLI export writes the former, its
/// Admin SDK listings the latter, and the alphabets differ only in `+/` vs `-_`.
pub(crate) fn b64_either(s: &str, what: &'static str) -> Result<Vec<u8>, Invalid> {
    let engine = if s.contains(['-', '_']) {
        &URL_SAFE_ANY_PAD
    } else {
        &STANDARD_ANY_PAD
    };
    engine
        .decode(s)
        .map_err(|_| Invalid::malformed(format!("{what} is not base64")))
}

pub(crate) fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.len().is_multiple_of(2) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Hex in either case: case carries no information and some exporters upper-case it.
pub(crate) fn hex(s: &str, what: &'static str) -> Result<Vec<u8>, Invalid> {
    if !is_hex(s) {
        return Err(Invalid::malformed(format!(
            "{what} is not an even-length hex string"
        )));
    }
    hex::decode(s).map_err(|_| Invalid::malformed(format!("{what} is not hex")))
}

/// A non-negative decimal without sign or leading zeros. Values too large for
/// `u64` saturate so the caller's range check reports them as too costly.
pub(crate) fn decimal(s: &str, what: &'static str) -> Result<u64, Invalid> {
    let well_formed =
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    if !well_formed {
        return Err(Invalid::malformed(format!(
            "{what} is not a plain decimal number"
        )));
    }
    Ok(s.parse::<u64>().unwrap_or(u64::MAX))
}

/// A salt, pepper or key stored as the literal text that gets hashed.
pub(crate) fn literal<'a>(s: &'a str, what: &'static str) -> Result<&'a str, Invalid> {
    if s.is_empty() {
        return Err(Invalid::malformed(format!("{what} is empty")));
    }
    if s.len() > MAX_SALT_LEN {
        return Err(Invalid::malformed(format!(
            "{what} is longer than {MAX_SALT_LEN} bytes"
        )));
    }
    if s.chars().any(char::is_control) {
        return Err(Invalid::malformed(format!(
            "{what} contains control characters"
        )));
    }
    Ok(s)
}

pub(crate) fn check_len(
    len: usize,
    min: usize,
    max: usize,
    what: &'static str,
) -> Result<(), Invalid> {
    if (min..=max).contains(&len) {
        Ok(())
    } else {
        let reason: Cow<'static, str> = if min == max {
            format!("{what} must be exactly {min} bytes").into()
        } else {
            format!("{what} must be {min} to {max} bytes").into()
        };
        Err(Invalid::Malformed(reason))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_padding_bits_decode_like_zero_ones_and_malformed_base64_is_refused() {
        // `4` leaves bits set in the final group; `w` is the same byte with them clear.
        let lenient = b64("NaCl00NNbase64==", "salt").expect("decodes");
        assert_eq!(lenient, b64("NaCl00NNbase6w==", "salt").expect("decodes"));
        assert_eq!(
            lenient,
            b64_either("NaCl00NNbase64", "salt").expect("decodes")
        );
        assert_eq!(phc_b64("NaCl00NNbase64", "salt").expect("decodes"), lenient);
        for malformed in ["NaCl00NN!ase64==", "N===", "NaCl=00N", "Na Cl"] {
            assert!(b64(malformed, "salt").is_err(), "{malformed}");
            assert!(b64_either(malformed, "salt").is_err(), "{malformed}");
        }
    }

    #[test]
    fn decimal_rejects_signs_leading_zeros_and_saturates() {
        assert!(decimal("+5", "n").is_err());
        assert!(decimal("05", "n").is_err());
        assert!(decimal("", "n").is_err());
        assert!(decimal("1e3", "n").is_err());
        assert_eq!(decimal("0", "n").unwrap(), 0);
        assert_eq!(decimal("600000", "n").unwrap(), 600_000);
        assert_eq!(decimal(&"9".repeat(40), "n").unwrap(), u64::MAX);
    }

    #[test]
    fn b64_either_accepts_both_alphabets() {
        assert_eq!(b64_either("+/8=", "x").unwrap(), vec![0xfb, 0xff]);
        assert_eq!(b64_either("-_8", "x").unwrap(), vec![0xfb, 0xff]);
        assert!(b64_either("+_8=", "x").is_err());
    }
}
