//! Backup codes: one-time recovery codes. Codes Roster receives in clear are stored as keyed
//! digests (fast to look up, useless without the instance key); bcrypt digests exported by
//! another system are stored as they are and checked with bcrypt, on the hashing pool.

use roster_password::{Digest, Hasher};
use roster_store::BackupCodeRecord;

use crate::encryption_keys::EncryptionKeys;
use crate::error::{FieldError, FieldErrorKind};

const LABEL: &str = "backup code";
/// More codes than any authenticator flow issues; a bound keeps a request's work bounded.
pub const MAX_CODES: usize = 100;
const MAX_CODE_LEN: usize = 128;
/// The most bcrypt work one user's imported codes may add up to, in bcrypt rounds (the sum of
/// 2^cost over the bcrypt digests). A wrong code is checked against every one of them, so
/// this is what one wrong `verify_totp` costs: 2^15 rounds, about two seconds of one core, the
/// price of two bcrypt passwords at the password cap. Common exports fit (8 codes at cost 12,
/// 16 at cost 11, 32 at cost 10); 100 codes at cost 14 (a minute and a half of CPU per wrong code) do not.
pub const MAX_BCRYPT_WORK: u64 = 1 << 15;

fn is_bcrypt(code: &str) -> bool {
    code.starts_with("$2")
}

/// The digests to store for codes given on create or update.
pub fn digests(
    codes: &[String],
    keys: &EncryptionKeys,
) -> Result<Vec<BackupCodeRecord>, FieldError> {
    if codes.len() > MAX_CODES {
        return Err(FieldError::new(
            "backup_codes",
            FieldErrorKind::ArraySizeExceeded { max: MAX_CODES },
        ));
    }
    let mut records = Vec::with_capacity(codes.len());
    let mut bcrypt_work: u64 = 0;
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
            let digest = Digest::parse(Hasher::Bcrypt, code)
                .map_err(|_| invalid("contains a malformed bcrypt digest"))?;
            bcrypt_work += digest.bcrypt_cost().map_or(0, |cost| 1u64 << cost);
            if bcrypt_work > MAX_BCRYPT_WORK {
                return Err(invalid(&format!(
                    "contains bcrypt digests that cost more than {MAX_BCRYPT_WORK} bcrypt \
                     rounds together (the sum of 2^cost); import fewer codes or cheaper ones"
                )));
            }
            digest.into_encoded()
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

fn plausible(given: &str) -> bool {
    !given.is_empty() && given.len() <= MAX_CODE_LEN
}

/// Which stored keyed digest `given` is, if any: one HMAC and a comparison per code, cheap
/// enough for an async worker.
pub fn find_keyed(
    given: &str,
    stored: &[BackupCodeRecord],
    keys: &EncryptionKeys,
) -> Option<String> {
    let given = given.trim();
    if !plausible(given) {
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
    keyed.map(|record| record.id.clone())
}

/// Whether any stored code is an imported bcrypt digest, which `find_bcrypt` must check.
pub fn any_bcrypt(stored: &[BackupCodeRecord]) -> bool {
    stored.iter().any(|record| is_bcrypt(&record.digest))
}

/// Which imported bcrypt digest `given` matches, if any: a bcrypt check each, so callers run
/// this on the hashing pool.
pub fn find_bcrypt(given: &str, stored: &[BackupCodeRecord]) -> Option<String> {
    let given = given.trim();
    if !plausible(given) {
        return None;
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

    fn keys() -> EncryptionKeys {
        EncryptionKeys::new(&EncryptionKeys::generate_key(), &[]).unwrap()
    }

    fn find(given: &str, stored: &[BackupCodeRecord], keys: &EncryptionKeys) -> Option<String> {
        find_keyed(given, stored, keys).or_else(|| find_bcrypt(given, stored))
    }

    #[test]
    fn bcrypt_work_is_capped_for_the_whole_set() {
        let keys = keys();
        let cheap = bcrypt::hash("recovery", 4).unwrap();
        // 2^15 rounds in all are allowed: 100 codes at cost 4 are far below.
        assert!(digests(&vec![cheap.clone(); MAX_CODES], &keys).is_ok());
        let at_14 = cheap.replacen("$04$", "$14$", 1);
        assert!(digests(&[at_14.clone(), at_14.clone()], &keys).is_ok());
        let over = vec![at_14.clone(), at_14, cheap];
        assert!(digests(&over, &keys).is_err());
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
