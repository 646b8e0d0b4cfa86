//! TOTP as Clerk supports it (RFC 6238 with SHA-1, 30-second steps, 6 digits), computed by
//! `totp-rs`. Roster adds what the crate leaves to its caller: lenient parsing of the base32
//! secrets other systems export, and the matched step, so that replay can be refused.

use totp_rs::{Algorithm, Builder, Secret, Totp};

pub const DIGITS: usize = 6;
pub const STEP_SECONDS: u64 = 30;
/// One step of clock drift either way.
const SKEW_STEPS: u16 = 1;

/// Decodes a base32 secret as authenticator apps and exports write it: any case, with or
/// without spaces, dashes and `=` padding. `None` when it is not base32 or decodes to nothing.
pub fn parse_secret(text: &str) -> Option<Vec<u8>> {
    let cleaned: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '='))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let bytes = Secret::try_from_base32(&cleaned).ok()?.as_bytes().to_vec();
    (!bytes.is_empty()).then_some(bytes)
}

/// A secret as authenticator apps and `parse_secret` read it: unpadded upper-case base32.
pub fn encode_secret(secret: &[u8]) -> String {
    Secret::from(secret)
        .to_base32()
        .trim_end_matches('=')
        .to_owned()
}

fn totp(secret: &[u8]) -> Totp {
    // `build_noncompliant` because secrets imported from elsewhere are often 80 bits, shorter
    // than RFC 4226's recommended 128; refusing them would strand those users.
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS as u8)
        .with_skew(SKEW_STEPS)
        .with_step_duration(STEP_SECONDS)
        .with_secret(secret.to_vec())
        .build_noncompliant()
}

/// The step whose code `code` is, within the drift allowed around `unix_seconds`.
pub fn matching_step(secret: &[u8], code: &str, unix_seconds: u64) -> Option<i64> {
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    totp(secret)
        .check(code, unix_seconds)
        .and_then(|step| i64::try_from(step).ok())
}

/// The code of the step containing `unix_seconds`.
pub fn code_at(secret: &[u8], unix_seconds: u64) -> String {
    totp(secret).generate(unix_seconds).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 appendix B, SHA-1 rows: the 20-byte ASCII seed "12345678901234567890", 8-digit
    // codes; the 6-digit code is the last six digits of each.
    const SEED: &[u8] = b"12345678901234567890";
    const VECTORS: [(u64, &str); 6] = [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ];

    #[test]
    fn rfc_6238_vectors() {
        for (time, code) in VECTORS {
            assert_eq!(code_at(SEED, time), code[2..], "at {time}");
        }
    }

    #[test]
    fn one_step_of_drift_is_accepted_and_two_are_not() {
        let now = 1_111_111_111;
        let step = (now / STEP_SECONDS) as i64;
        for (offset, expected) in [
            (-60, None),
            (-30, Some(step - 1)),
            (0, Some(step)),
            (30, Some(step + 1)),
            (60, None),
        ] {
            let code = code_at(SEED, (now as i64 + offset) as u64);
            let found = matching_step(SEED, &code, now);
            assert_eq!(found, expected, "offset {offset}");
        }
    }

    #[test]
    fn secrets_parse_leniently_and_garbage_does_not() {
        let canonical = parse_secret("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
        assert_eq!(canonical, SEED);
        assert_eq!(
            parse_secret("gezd gnbv gy3t qojq gezd gnbv gy3t qojq").unwrap(),
            SEED
        );
        assert_eq!(
            parse_secret("JBSWY3DPEHPK3PXP====").unwrap(),
            b"Hello!\xde\xad\xbe\xef"
        );
        let secret = parse_secret("JBSWY3DPEHPK3PXP").expect("base32");
        assert_eq!(encode_secret(&secret), "JBSWY3DPEHPK3PXP");
        for bad in ["", "not base32!", "18", "===="] {
            assert!(parse_secret(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn malformed_codes_match_nothing() {
        let code = code_at(SEED, 59);
        assert!(matching_step(SEED, &code, 59).is_some());
        for bad in ["", "12345", "1234567", "abcdef", " 28708"] {
            assert!(matching_step(SEED, bad, 59).is_none(), "{bad}");
        }
    }
}
