//! The rules a new password must pass, each failure named after the rule as Clerk names it.

use crate::error::FieldErrorKind;
use crate::settings::PasswordPolicy;

/// The most bytes a password may have, whatever the policy, new or checked: hashing cost grows
/// with length for some imported formats (their cost caps assume this length), and nobody
/// types more.
const MAX_PASSWORD_BYTES: usize = roster_password::limits::MAX_PASSWORD_LEN;

/// zxcvbn looks at no more than this many characters (as the original library does); its cost
/// grows quickly with length.
const STRENGTH_CHARS: usize = 100;

/// The byte cap, which holds even when `skip_password_checks` skips the rest.
pub(crate) fn check_size(password: &str) -> Result<(), FieldErrorKind> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(FieldErrorKind::PasswordSizeExceeded {
            max_bytes: MAX_PASSWORD_BYTES,
        });
    }
    Ok(())
}

/// Checks the instance's composition rules, for a password that passed `check_size`; the
/// breach check is separate because it may do I/O.
pub(crate) fn check(
    password: &str,
    policy: &PasswordPolicy,
    identifiers: &[String],
) -> Result<(), FieldErrorKind> {
    let chars = password.chars().count();
    if chars < policy.min_length {
        return Err(FieldErrorKind::PasswordTooShort {
            min: policy.min_length,
        });
    }
    if let Some(max) = policy.max_length
        && chars > max
    {
        return Err(FieldErrorKind::PasswordTooLong { max });
    }
    if policy.require_uppercase && !password.chars().any(char::is_uppercase) {
        return Err(FieldErrorKind::PasswordNoUppercase);
    }
    if policy.require_lowercase && !password.chars().any(char::is_lowercase) {
        return Err(FieldErrorKind::PasswordNoLowercase);
    }
    if policy.require_number && !password.chars().any(|c| c.is_ascii_digit()) {
        return Err(FieldErrorKind::PasswordNoNumber);
    }
    if policy.require_special_char && !password.chars().any(|c| policy.special_chars.contains(c)) {
        return Err(FieldErrorKind::PasswordNoSpecialChar {
            allowed: policy.special_chars.clone(),
        });
    }
    if policy.disallow_identifier
        && identifiers
            .iter()
            .any(|identifier| identifier.to_lowercase() == password.to_lowercase())
    {
        return Err(FieldErrorKind::PasswordMatchesIdentifier);
    }
    if policy.min_strength > 0 {
        let head: String = password.chars().take(STRENGTH_CHARS).collect();
        let inputs: Vec<&str> = identifiers.iter().map(String::as_str).collect();
        let score: u8 = zxcvbn::zxcvbn(&head, &inputs).score().into();
        if score < policy.min_strength {
            return Err(FieldErrorKind::PasswordNotStrongEnough {
                score,
                required: policy.min_strength,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> PasswordPolicy {
        PasswordPolicy::default()
    }

    #[test]
    fn default_policy_wants_eight_characters_and_takes_any_unicode() {
        assert_eq!(
            check("short", &policy(), &[]),
            Err(FieldErrorKind::PasswordTooShort { min: 8 })
        );
        assert!(check("eight ch", &policy(), &[]).is_ok());
        // Eight characters, more bytes.
        assert!(check("пароль🔐ß", &policy(), &[]).is_ok());
        let long: String = "ab€".repeat(300);
        assert!(check(&long, &policy(), &[]).is_ok());
        assert_eq!(check_size(&long), Ok(()));
        assert_eq!(
            check_size(&"x".repeat(MAX_PASSWORD_BYTES + 1)),
            Err(FieldErrorKind::PasswordSizeExceeded {
                max_bytes: MAX_PASSWORD_BYTES
            })
        );
    }

    #[test]
    fn each_rule_has_its_own_failure() {
        let strict = PasswordPolicy {
            max_length: Some(20),
            require_uppercase: true,
            require_lowercase: true,
            require_number: true,
            require_special_char: true,
            disallow_identifier: true,
            ..policy()
        };
        let cases = [
            (
                "abcdefghijklmnopqrstu",
                FieldErrorKind::PasswordTooLong { max: 20 },
            ),
            ("lowercase1#", FieldErrorKind::PasswordNoUppercase),
            ("UPPERCASE1#", FieldErrorKind::PasswordNoLowercase),
            ("NoNumbers#x", FieldErrorKind::PasswordNoNumber),
            (
                "NoSpecial12",
                FieldErrorKind::PasswordNoSpecialChar {
                    allowed: "#%$&_!".to_owned(),
                },
            ),
            ("Ada_Lovelace1", FieldErrorKind::PasswordMatchesIdentifier),
        ];
        for (password, expected) in cases {
            assert_eq!(
                check(password, &strict, &["ada_lovelace1".to_owned()]),
                Err(expected),
                "{password}"
            );
        }
        assert!(check("Good_pass1", &strict, &["ada".to_owned()]).is_ok());
    }

    #[test]
    fn strength_uses_zxcvbn_scores() {
        let strong = PasswordPolicy {
            min_strength: 3,
            ..policy()
        };
        assert!(matches!(
            check("aaaaaaaaaa", &strong, &[]),
            Err(FieldErrorKind::PasswordNotStrongEnough { required: 3, .. })
        ));
        assert!(check("velvet-orbit-Cactus-91-tundra", &strong, &[]).is_ok());
    }
}
