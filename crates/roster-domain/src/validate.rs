//! Format rules for the values a user carries.

use std::str::FromStr;

use roster_model::time::{Millis, now_millis};
use roster_model::users::IdentificationKind;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::{FieldError, FieldErrorKind};
use crate::settings::UsernameSettings;

/// Longest name, external id or locale Roster stores.
pub(crate) const MAX_TEXT_LENGTH: usize = 256;
/// Most values one array parameter may carry.
pub(crate) const MAX_ARRAY_VALUES: usize = 100;

pub(crate) fn identifier(
    param: &str,
    kind: IdentificationKind,
    value: &str,
) -> Result<(), FieldError> {
    let (valid, expected) = match kind {
        IdentificationKind::EmailAddress => (
            value.len() <= 320 && email_address::EmailAddress::is_valid(value),
            "a valid email address",
        ),
        IdentificationKind::PhoneNumber => (is_e164(value), "a phone number in E.164 format"),
        IdentificationKind::Web3Wallet => (
            is_ethereum_address(value) || is_solana_address(value),
            "an Ethereum (0x + 40 hex digits) or Solana (base58) address",
        ),
    };
    if valid {
        Ok(())
    } else {
        Err(FieldError::new(
            param,
            FieldErrorKind::FormatInvalid {
                expected: expected.to_owned(),
            },
        ))
    }
}

/// E.164: a plus sign, a country code the numbering plan knows, and the national number,
/// written exactly as E.164 writes it (no spaces or punctuation). Parsed by `phonenumber`
/// (libphonenumber's metadata); numbers are not checked against each country's allocated
/// ranges, so reserved test ranges such as +1 555 01xx stay usable.
fn is_e164(value: &str) -> bool {
    if !value.starts_with('+') || value.len() > 16 {
        return false;
    }
    match phonenumber::parse(None, value) {
        Ok(number) => number.format().mode(phonenumber::Mode::E164).to_string() == value,
        Err(_) => false,
    }
}

fn is_ethereum_address(value: &str) -> bool {
    value.len() == 42
        && value.starts_with("0x")
        && value[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// A Solana address is a 32-byte key in base58, which spells it with 32 to 44 characters.
fn is_solana_address(value: &str) -> bool {
    const BASE58: &str = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    (32..=44).contains(&value.len()) && value.chars().all(|c| BASE58.contains(c))
}

pub(crate) fn username(value: &str, settings: &UsernameSettings) -> Result<(), FieldError> {
    let error = |kind| Err(FieldError::new("username", kind));
    let length = value.chars().count();
    if length < settings.min_length || length > settings.max_length {
        return error(FieldErrorKind::UsernameInvalidLength {
            min: settings.min_length,
            max: settings.max_length,
        });
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return error(FieldErrorKind::UsernameInvalidCharacter);
    }
    if value.chars().all(|c| c.is_ascii_digit()) {
        return error(FieldErrorKind::UsernameNeedsNonNumber);
    }
    Ok(())
}

pub(crate) fn locale(value: &str) -> Result<(), FieldError> {
    match language_tags::LanguageTag::from_str(value) {
        Ok(tag) if tag.is_valid() && value.len() <= MAX_TEXT_LENGTH => Ok(()),
        _ => Err(FieldError::new(
            "locale",
            FieldErrorKind::FormatInvalid {
                expected: "a BCP 47 language tag such as en-US".to_owned(),
            },
        )),
    }
}

pub(crate) fn text(param: &str, value: &str) -> Result<(), FieldError> {
    if value.chars().count() > MAX_TEXT_LENGTH {
        return Err(FieldError::new(
            param,
            FieldErrorKind::MaxLengthExceeded {
                max: MAX_TEXT_LENGTH,
            },
        ));
    }
    Ok(())
}

/// A value shown to people as text (a name): no control characters (`Cc`: NUL, CR, LF, …),
/// which could end a line of a log or a header where the value is printed, and no bidirectional
/// embeddings, overrides or isolates (U+202A–U+202E, U+2066–U+2069), which make a value read
/// differently from what it holds.
pub(crate) fn displayable(param: &str, value: &str) -> Result<(), FieldError> {
    let hidden = |c: char| {
        c.is_control()
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    };
    if value.chars().any(hidden) {
        return Err(FieldError::new(
            param,
            FieldErrorKind::FormatInvalid {
                expected: "text without control characters or bidirectional overrides".to_owned(),
            },
        ));
    }
    Ok(())
}

/// An RFC 3339 timestamp as Unix milliseconds; with `past_only`, a time after now is refused.
pub(crate) fn timestamp(param: &str, value: &str, past_only: bool) -> Result<Millis, FieldError> {
    let parsed = OffsetDateTime::parse(value, &Rfc3339)
        .map_err(|_| FieldError::new(param, FieldErrorKind::InvalidTime))?;
    let millis = i64::try_from(parsed.unix_timestamp_nanos() / 1_000_000)
        .map_err(|_| FieldError::new(param, FieldErrorKind::InvalidTime))?;
    if past_only && millis > now_millis() {
        return Err(FieldError::new(param, FieldErrorKind::FutureDate));
    }
    Ok(millis)
}

pub(crate) fn array_size(param: &str, len: usize) -> Result<(), FieldError> {
    if len > MAX_ARRAY_VALUES {
        return Err(FieldError::new(
            param,
            FieldErrorKind::ArraySizeExceeded {
                max: MAX_ARRAY_VALUES,
            },
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        let ok = |kind, value| identifier("p", kind, value).is_ok();
        assert!(ok(IdentificationKind::EmailAddress, "ada@example.com"));
        assert!(!ok(IdentificationKind::EmailAddress, "not-an-email"));
        assert!(ok(IdentificationKind::PhoneNumber, "+15555550100"));
        assert!(!ok(IdentificationKind::PhoneNumber, "5555550100"));
        assert!(!ok(IdentificationKind::PhoneNumber, "+0555"));
        assert!(!ok(IdentificationKind::PhoneNumber, "+1 555 555 0100"));
        assert!(!ok(IdentificationKind::PhoneNumber, "+9995555550100"));
        assert!(ok(IdentificationKind::PhoneNumber, "+4915112345678"));
        assert!(ok(
            IdentificationKind::Web3Wallet,
            "0x52908400098527886E0F7030069857D2E4169EE7"
        ));
        assert!(ok(
            IdentificationKind::Web3Wallet,
            "4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T"
        ));
        assert!(!ok(IdentificationKind::Web3Wallet, "0x1234"));
    }

    #[test]
    fn usernames() {
        let settings = UsernameSettings::default();
        assert!(username("ada_lovelace", &settings).is_ok());
        assert!(username("abc", &settings).is_err());
        assert!(username("has space", &settings).is_err());
        assert!(username("12345", &settings).is_err());
    }

    #[test]
    fn displayable_text() {
        assert!(displayable("p", "Zo\u{eb} O'Brien-\u{5d0}").is_ok());
        let hidden = [
            "a\0b",
            "a\nb",
            "a\rb",
            "a\tb",
            "a\u{7f}",
            "a\u{85}b",
            "\u{202e}gnp.exe",
            "a\u{2066}b",
        ];
        for value in hidden {
            assert!(displayable("p", value).is_err(), "{value:?}");
        }
    }

    #[test]
    fn timestamps() {
        assert_eq!(
            timestamp("t", "2012-10-20T07:15:20.902Z", true),
            Ok(1_350_717_320_902)
        );
        assert!(timestamp("t", "yesterday", true).is_err());
        assert!(timestamp("t", "2999-01-01T00:00:00Z", true).is_err());
        assert!(timestamp("t", "2999-01-01T00:00:00Z", false).is_ok());
    }
}
