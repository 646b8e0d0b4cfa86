//! The `awscognito#<userpoolid>#<clientid>#<identifier>` reference.
//!
//! It carries no hash: Clerk checks the password by calling AWS Cognito's
//! authentication API at first sign-in. Roster is offline and self-hosted and
//! makes no such call, so a well-formed reference is still refused (as
//! `DigestError::NeedsExternalVerification`); this module only tells that
//! case apart from a malformed string, so the caller's error is precise.

use crate::error::Invalid;

/// Cognito limits: pool id `[\w-]+_[0-9a-zA-Z]+` up to 55 characters, app
/// client id `[\w+]+` up to 128, user name up to 128 characters.
const MAX_POOL_ID_LEN: usize = 55;
const MAX_CLIENT_ID_LEN: usize = 128;
const MAX_IDENTIFIER_CHARS: usize = 128;

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

pub(crate) fn check(s: &str) -> Result<(), Invalid> {
    let shape = "expected awscognito#<userpoolid>#<clientid>#<identifier>";
    let [scheme, pool, client, identifier] = s.splitn(4, '#').collect::<Vec<_>>()[..] else {
        return Err(Invalid::malformed(shape));
    };
    if scheme != "awscognito" {
        return Err(Invalid::malformed(shape));
    }
    let pool_ok = pool.len() <= MAX_POOL_ID_LEN
        && pool.rsplit_once('_').is_some_and(|(region, id)| {
            !region.is_empty()
                && region.chars().all(|c| is_word(c) || c == '-')
                && !id.is_empty()
                && id.chars().all(|c| c.is_ascii_alphanumeric())
        });
    if !pool_ok {
        return Err(Invalid::malformed(
            "user pool id must look like <region>_<id>",
        ));
    }
    if client.is_empty()
        || client.len() > MAX_CLIENT_ID_LEN
        || !client.chars().all(|c| is_word(c) || c == '+')
    {
        return Err(Invalid::malformed(
            "client id must be 1 to 128 letters, digits, _ or +",
        ));
    }
    if identifier.is_empty()
        || identifier.chars().count() > MAX_IDENTIFIER_CHARS
        || identifier
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(Invalid::malformed(
            "identifier must be 1 to 128 characters without whitespace",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::{Digest, DigestError, Hasher};

    const GOOD: &str = "awscognito#us-east-1_AbC123xyz#4l7cnp2k1b8bq2c0s0d9ep5r7m#jane@example.com";

    fn malformed(s: &str) -> bool {
        matches!(
            Digest::parse(Hasher::Awscognito, s),
            Err(DigestError::Malformed { .. })
        )
    }

    #[test]
    fn well_formed_needs_external_verification() {
        let err = Digest::parse(Hasher::Awscognito, GOOD).unwrap_err();
        assert!(matches!(err, DigestError::NeedsExternalVerification));
        assert_eq!(err.hasher(), Hasher::Awscognito);
        assert!(!err.to_string().contains("jane"));
    }

    #[test]
    fn refuses_malformed_references() {
        assert!(malformed(&GOOD.replace("awscognito#", "cognito#")));
        assert!(malformed(&GOOD.replace("awscognito#", "awscognito$")));
        assert!(malformed(
            "awscognito#us-east-1_AbC123xyz#4l7cnp2k1b8bq2c0s0d9ep5r7m"
        ));
        assert!(malformed(&GOOD.replace("us-east-1_AbC123xyz", "useast1")));
        assert!(malformed(
            &GOOD.replace("us-east-1_AbC123xyz", "us-east-1_")
        ));
        assert!(malformed(
            &GOOD.replace("us-east-1_AbC123xyz", "us east-1_Ab")
        ));
        assert!(malformed(&GOOD.replace("4l7cnp2k1b8bq2c0s0d9ep5r7m", "")));
        assert!(malformed(
            &GOOD.replace("4l7cnp2k1b8bq2c0s0d9ep5r7m", "4l7c-np2k")
        ));
        assert!(malformed(&GOOD.replace("jane@example.com", "")));
        assert!(malformed(&GOOD.replace("jane@example.com", "jane doe")));
        assert!(malformed(
            &GOOD.replace("jane@example.com", &"j".repeat(129))
        ));
    }
}
