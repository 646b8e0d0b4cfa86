//! The RSA keys that sign session tokens (RS256). One key signs; retired keys are still
//! published in the JWKS, so tokens signed before a rotation verify until they expire.
//!
//! A key's id (`kid`) is its RFC 7638 thumbprint, so every node holding the same key agrees
//! on it without coordination.

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs8::{EncodePrivateKey, LineEnding};

/// Modulus size of generated keys.
pub const KEY_BITS: usize = 2048;

#[derive(Debug, thiserror::Error)]
pub enum SigningKeyError {
    #[error("the session signing key is not an RSA private key in PEM form: {0}")]
    InvalidKey(String),
    #[error("generating an RSA key failed: {0}")]
    Generate(String),
    #[error("signing a token failed: {0}")]
    Sign(String),
}

/// A public key as a JWKS publishes it (`kty` RSA, `alg` RS256, `use` sig).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    pub kid: String,
    /// Base64url of the modulus and exponent, big-endian, unpadded.
    pub n: String,
    pub e: String,
}

struct SigningKey {
    public: PublicKey,
    encoding: EncodingKey,
}

pub struct SigningKeys {
    current: SigningKey,
    retired: Vec<SigningKey>,
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeys")
            .field("current", &self.current.public.kid)
            .field("retired", &self.retired.len())
            .finish()
    }
}

impl SigningKey {
    fn from_pem(pem: &str) -> Result<SigningKey, SigningKeyError> {
        let encoding = EncodingKey::from_rsa_pem(pem.trim().as_bytes())
            .map_err(|error| SigningKeyError::InvalidKey(error.to_string()))?;
        let jwk = Jwk::from_encoding_key(&encoding, Algorithm::RS256)
            .map_err(|error| SigningKeyError::InvalidKey(error.to_string()))?;
        let AlgorithmParameters::RSA(parameters) = &jwk.algorithm else {
            return Err(SigningKeyError::InvalidKey("not an RSA key".to_owned()));
        };
        let kid = jwk
            .thumbprint(ThumbprintHash::SHA256)
            .map_err(|error| SigningKeyError::InvalidKey(error.to_string()))?;
        Ok(SigningKey {
            public: PublicKey {
                kid,
                n: parameters.n.clone(),
                e: parameters.e.clone(),
            },
            encoding,
        })
    }
}

impl SigningKeys {
    /// `current` signs; `retired` keys are only published.
    pub fn new(current: &str, retired: &[String]) -> Result<Self, SigningKeyError> {
        Ok(SigningKeys {
            current: SigningKey::from_pem(current)?,
            retired: retired
                .iter()
                .map(|pem| SigningKey::from_pem(pem))
                .collect::<Result<_, _>>()?,
        })
    }

    /// A fresh RSA-2048 private key, PKCS#8 PEM. CPU-heavy: call it on a blocking thread.
    pub fn generate_pem() -> Result<String, SigningKeyError> {
        let key = rsa::PrivateKey::new(&mut getrandom::SysRng, KEY_BITS)
            .map_err(|error| SigningKeyError::Generate(error.to_string()))?;
        let pem = key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|error| SigningKeyError::Generate(error.to_string()))?;
        Ok(pem.to_string())
    }

    /// Every published key, the signing one first.
    pub fn public_keys(&self) -> Vec<PublicKey> {
        std::iter::once(&self.current)
            .chain(&self.retired)
            .map(|key| key.public.clone())
            .collect()
    }

    pub fn current_kid(&self) -> &str {
        &self.current.public.kid
    }

    /// Signs `claims` with the current key: RS256, `typ` JWT, `kid` set.
    pub fn sign(&self, claims: &impl serde::Serialize) -> Result<String, SigningKeyError> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.current.public.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.current.encoding)
            .map_err(|error| SigningKeyError::Sign(error.to_string()))
    }
}
