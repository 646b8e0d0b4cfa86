//! The instance's encryption keys: they seal TOTP secrets (XChaCha20-Poly1305) and key the
//! digests of backup codes (HMAC-SHA-256). One key is current; retired keys still open what
//! they sealed, so a key can be rotated without losing any secret.
//!
//! A key's id is derived from the key itself, so every node configured with the same keys
//! agrees on the ids without coordination.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::Mac;
use rand::RngCore;
use sha2::{Digest as _, Sha256};

const NONCE_LEN: usize = 24;
pub const KEY_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum EncryptionKeyError {
    #[error("an encryption key must be {KEY_LEN} bytes")]
    WrongLength,
    #[error("the sealed secret names key {0}, which is not configured")]
    UnknownKey(String),
    #[error("the sealed secret does not open with its key")]
    Corrupt,
}

#[derive(Clone)]
struct EncryptionKey {
    id: String,
    bytes: [u8; KEY_LEN],
}

impl EncryptionKey {
    fn new(bytes: &[u8]) -> Result<Self, EncryptionKeyError> {
        let bytes: [u8; KEY_LEN] = bytes
            .try_into()
            .map_err(|_| EncryptionKeyError::WrongLength)?;
        // Hashing with a label keeps the published id from being a digest of the bare key.
        let id = hex::encode(&Sha256::digest([b"roster key id:".as_slice(), &bytes].concat())[..8]);
        Ok(EncryptionKey { id, bytes })
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&self.bytes.into())
    }

    fn mac(&self, label: &[u8], message: &[u8]) -> String {
        let mut mac = <hmac::Hmac<Sha256> as Mac>::new_from_slice(&self.bytes)
            .expect("HMAC takes keys of any length");
        mac.update(label);
        mac.update(message);
        hex::encode(mac.finalize().into_bytes())
    }
}

/// The current key and the retired ones, in the order they should be tried.
#[derive(Clone)]
pub struct EncryptionKeys {
    current: EncryptionKey,
    retired: Vec<EncryptionKey>,
}

impl std::fmt::Debug for EncryptionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Key material never reaches a log line; the ids are enough to tell keys apart.
        f.debug_struct("EncryptionKeys")
            .field("current", &self.current.id)
            .field(
                "retired",
                &self.retired.iter().map(|k| &k.id).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// A secret sealed under one key: `nonce ‖ ciphertext ‖ tag`, bound to what it belongs to.
pub struct Sealed {
    pub key_id: String,
    pub bytes: Vec<u8>,
}

impl EncryptionKeys {
    pub fn new(current: &[u8], retired: &[Vec<u8>]) -> Result<Self, EncryptionKeyError> {
        Ok(EncryptionKeys {
            current: EncryptionKey::new(current)?,
            retired: retired
                .iter()
                .map(|key| EncryptionKey::new(key))
                .collect::<Result<_, _>>()?,
        })
    }

    /// A fresh random key, for a new data folder.
    pub fn generate_key() -> [u8; KEY_LEN] {
        let mut key = [0u8; KEY_LEN];
        rand::rng().fill_bytes(&mut key);
        key
    }

    pub fn current_id(&self) -> &str {
        &self.current.id
    }

    fn key(&self, id: &str) -> Result<&EncryptionKey, EncryptionKeyError> {
        std::iter::once(&self.current)
            .chain(&self.retired)
            .find(|key| key.id == id)
            .ok_or_else(|| EncryptionKeyError::UnknownKey(id.to_owned()))
    }

    /// Seals `plaintext` under the current key. `context` (for example the user id) is
    /// authenticated with it, so a sealed secret copied to another row will not open there.
    pub fn seal(&self, plaintext: &[u8], context: &str) -> Sealed {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let payload = Payload {
            msg: plaintext,
            aad: context.as_bytes(),
        };
        let ciphertext = self
            .current
            .cipher()
            .encrypt(&XNonce::from(nonce), payload)
            .expect("XChaCha20-Poly1305 encrypts any message of practical size");
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&ciphertext);
        Sealed {
            key_id: self.current.id.clone(),
            bytes,
        }
    }

    pub fn open(
        &self,
        key_id: &str,
        sealed: &[u8],
        context: &str,
    ) -> Result<Vec<u8>, EncryptionKeyError> {
        let key = self.key(key_id)?;
        if sealed.len() < NONCE_LEN {
            return Err(EncryptionKeyError::Corrupt);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| EncryptionKeyError::Corrupt)?;
        let payload = Payload {
            msg: ciphertext,
            aad: context.as_bytes(),
        };
        key.cipher()
            .decrypt(&XNonce::from(nonce), payload)
            .map_err(|_| EncryptionKeyError::Corrupt)
    }

    /// A keyed digest of a short secret (a backup code) under the current key, tagged with
    /// the key's id: `hmac-sha256$<key id>$<hex>`.
    pub fn digest(&self, label: &str, secret: &str) -> String {
        format!(
            "hmac-sha256${}${}",
            self.current.id,
            self.current.mac(label.as_bytes(), secret.as_bytes())
        )
    }

    /// The digest `secret` would have under every configured key, to look up one that was
    /// made before a rotation.
    pub fn digest_candidates(&self, label: &str, secret: &str) -> Vec<String> {
        std::iter::once(&self.current)
            .chain(&self.retired)
            .map(|key| {
                format!(
                    "hmac-sha256${}${}",
                    key.id,
                    key.mac(label.as_bytes(), secret.as_bytes())
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_their_key_and_context() {
        let old = EncryptionKeys::generate_key();
        let keys = EncryptionKeys::new(&old, &[]).unwrap();
        let sealed = keys.seal(b"JBSWY3DPEHPK3PXP", "user_1");
        assert!(!sealed.bytes.windows(16).any(|w| w == b"JBSWY3DPEHPK3PXP"));
        assert_eq!(
            keys.open(&sealed.key_id, &sealed.bytes, "user_1").unwrap(),
            b"JBSWY3DPEHPK3PXP"
        );
        assert!(matches!(
            keys.open(&sealed.key_id, &sealed.bytes, "user_2"),
            Err(EncryptionKeyError::Corrupt)
        ));

        let rotated =
            EncryptionKeys::new(&EncryptionKeys::generate_key(), &[old.to_vec()]).unwrap();
        assert_ne!(rotated.current_id(), sealed.key_id);
        assert_eq!(
            rotated
                .open(&sealed.key_id, &sealed.bytes, "user_1")
                .unwrap(),
            b"JBSWY3DPEHPK3PXP"
        );
        let stranger = EncryptionKeys::new(&EncryptionKeys::generate_key(), &[]).unwrap();
        assert!(matches!(
            stranger.open(&sealed.key_id, &sealed.bytes, "user_1"),
            Err(EncryptionKeyError::UnknownKey(_))
        ));
    }

    #[test]
    fn digests_survive_rotation_through_candidates() {
        let old = EncryptionKeys::generate_key();
        let keys = EncryptionKeys::new(&old, &[]).unwrap();
        let digest = keys.digest("backup code", "abcd1234");
        assert!(!digest.contains("abcd1234"));
        let rotated =
            EncryptionKeys::new(&EncryptionKeys::generate_key(), &[old.to_vec()]).unwrap();
        assert!(
            rotated
                .digest_candidates("backup code", "abcd1234")
                .contains(&digest)
        );
        assert!(
            !rotated
                .digest_candidates("backup code", "abcd1235")
                .contains(&digest)
        );
    }

    #[test]
    fn keys_of_the_wrong_length_are_refused() {
        assert!(matches!(
            EncryptionKeys::new(&[0u8; 16], &[]),
            Err(EncryptionKeyError::WrongLength)
        ));
    }
}
