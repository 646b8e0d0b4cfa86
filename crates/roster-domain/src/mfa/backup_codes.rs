//! Backup codes: one-time recovery codes. Codes Roster receives in clear are stored as keyed
//! digests (fast to look up, useless without the instance key); bcrypt digests exported by
//! another system are stored as they are and checked with bcrypt.

use roster_password::{Digest, Hasher};
use roster_store::BackupCodeRecord;

use crate::error::{FieldError, FieldErrorKind};
use crate::secret_keys::SecretKeys;

const LABEL: &str = "backup code";
/// More codes than any authenticator flow issues; a bound keeps a request's work bounded.
pub const MAX_CODES: usize = 100;
const MAX_CODE_LEN: usize = 128;

fn is_bcrypt(code: &str) -> bool {
    code.starts_with("$2")
}

/// The digests to store for codes given on create or update.
pub fn digests(codes: &[String], keys: &SecretKeys) -> Result<Vec<BackupCodeRecord>, FieldError> {
    if codes.len() > MAX_CODES {
        return Err(FieldError::new(
            "backup_codes",
            FieldErrorKind::ArraySizeExceeded { max: MAX_CODES },
        ));
    }
    let mut records = Vec::with_capacity(codes.len());
    for code in codes {
        let code = code.trim();
        let invalid = |reason: &str| {
            FieldError::new(
                "backup_codes",
                FieldErrorKind::ValueInvalid {
                    reason: reason.to_owned(),
                },
            )
        };
        if code.is_empty() {
            return Err(invalid("must not contain empty codes"));
        }
        if code.len() > MAX_CODE_LEN {
            return Err(invalid("contains a code that is too long"));
        }
        let digest = if is_bcrypt(code) {
            Digest::parse(Hasher::Bcrypt, code)
                .map_err(|_| invalid("contains a malformed bcrypt digest"))?
                .into_encoded()
        } else {
            keys.digest(LABEL, code)
        };
        records.push(BackupCodeRecord {
            id: roster_model::ids::new_id(roster_model::ids::IdPrefix::BackupCode),
            digest,
        });
    }
    Ok(records)
}

/// Which stored code `given` is, if any. Keyed digests are compared by lookup; imported bcrypt
/// digests need a bcrypt check each, so this runs off the async workers.
pub fn find(given: &str, stored: &[BackupCodeRecord], keys: &SecretKeys) -> Option<String> {
    let given = given.trim();
    if given.is_empty() || given.len() > MAX_CODE_LEN {
        return None;
    }
    let candidates = keys.digest_candidates(LABEL, given);
    let keyed = stored.iter().find(|record| {
        candidates.iter().any(|candidate| {
            bool::from(subtle::ConstantTimeEq::ct_eq(
                candidate.as_bytes(),
                record.digest.as_bytes(),
            ))
        })
    });
    if let Some(record) = keyed {
        return Some(record.id.clone());
    }
    stored
        .iter()
        .filter(|record| is_bcrypt(&record.digest))
        .find(|record| {
            Digest::parse(Hasher::Bcrypt, &record.digest).is_ok_and(|digest| digest.verify(given))
        })
        .map(|record| record.id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> SecretKeys {
        SecretKeys::new(&SecretKeys::generate_key(), &[]).unwrap()
    }

    #[test]
    fn plain_codes_are_stored_as_keyed_digests_and_found_again() {
        let keys = keys();
        let records = digests(&["abcd1234".to_owned(), "efgh5678".to_owned()], &keys).unwrap();
        assert!(
            records
                .iter()
                .all(|r| !r.digest.contains("abcd") && !r.digest.contains("efgh"))
        );
        assert_eq!(
            find("efgh5678", &records, &keys),
            Some(records[1].id.clone())
        );
        assert_eq!(find("efgh5679", &records, &keys), None);
    }

    #[test]
    fn bcrypt_digests_are_kept_and_verified() {
        let keys = keys();
        let digest = bcrypt::hash("recovery-1", 4).unwrap();
        let records = digests(std::slice::from_ref(&digest), &keys).unwrap();
        assert_eq!(records[0].digest, digest);
        assert!(digests(&["$2b$04$short".to_owned()], &keys).is_err());
        assert_eq!(
            find("recovery-1", &records, &keys),
            Some(records[0].id.clone())
        );
        assert_eq!(find("recovery-2", &records, &keys), None);
    }
}
