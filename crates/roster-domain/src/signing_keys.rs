//! The RSA keys that sign session tokens (RS256). One key signs; retired keys are still
//! published in the JWKS, so tokens signed before a rotation verify until they expire.
//!
//! A key's id (`kid`) is its RFC 7638 thumbprint, so every node holding the same key agrees
//! on it without coordination.
//!
//! The RSA arithmetic is aws-lc-rs's, whose private-key operations run in constant time, unlike
//! the `rsa` crate's (the Marvin attack, RUSTSEC-2023-0071). Keys stay PEM, PKCS#8 or PKCS#1,
//! so keys written by earlier versions load unchanged and keep their `kid`.

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::RSA_PKCS1_SHA256;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header};

/// Modulus size of generated keys.
pub const KEY_SIZE: KeySize = KeySize::Rsa2048;

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
    /// Parsed once. jsonwebtoken's `encode` parses (and checks) the private key again for every
    /// token, which doubles the cost of signing one; so `sign` assembles the JWS itself.
    pair: KeyPair,
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
        // Either PEM form becomes the PKCS#1 `RSAPrivateKey` DER here.
        let encoding = EncodingKey::from_rsa_pem(pem.trim().as_bytes())
            .map_err(|error| SigningKeyError::InvalidKey(error.to_string()))?;
        let pair = KeyPair::from_der(encoding.as_bytes())
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
            pair,
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
        let key = KeyPair::generate(KEY_SIZE)
            .map_err(|error| SigningKeyError::Generate(error.to_string()))?;
        let der: Pkcs8V1Der = key
            .as_der()
            .map_err(|error| SigningKeyError::Generate(error.to_string()))?;
        let pem = pem::Pem::new("PRIVATE KEY", der.as_ref());
        Ok(pem::encode_config(
            &pem,
            pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
        ))
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

    /// Signs `claims` with the current key: RS256, `typ` JWT, `kid` set; the same compact JWS
    /// that `jsonwebtoken::encode` makes.
    pub fn sign(&self, claims: &impl serde::Serialize) -> Result<String, SigningKeyError> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.current.public.kid.clone());
        let message = format!("{}.{}", encode_part(&header)?, encode_part(claims)?);
        let pair = &self.current.pair;
        let mut signature = vec![0; pair.public_modulus_len()];
        // PKCS#1 v1.5 signing draws nothing from the generator; the API asks for one.
        pair.sign(
            &RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            message.as_bytes(),
            &mut signature,
        )
        .map_err(|error| SigningKeyError::Sign(error.to_string()))?;
        Ok(format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }
}

/// One JWS part: the JSON of `value`, base64url without padding.
fn encode_part(value: &impl serde::Serialize) -> Result<String, SigningKeyError> {
    let json =
        serde_json::to_vec(value).map_err(|error| SigningKeyError::Sign(error.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(json))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both forms of one key that the `rsa`-crate backend wrote and loaded (see testdata/).
    const EARLIER_PKCS8: &str = include_str!("../testdata/session-signing-key-pkcs8.pem");
    const EARLIER_PKCS1: &str = include_str!("../testdata/session-signing-key-pkcs1.pem");
    /// The `kid` the earlier backend published for that key.
    const EARLIER_KID: &str = "t5RQ01rfFumh8WBL0nZ6OTsBqrZ5bSaOcagaKFQj0Us";
    /// The token the earlier backend signed for `fixed_claims` with that key. RS256 (PKCS#1
    /// v1.5) is deterministic, so the same key must give the same bytes.
    const EARLIER_TOKEN: &str = concat!(
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsImtpZCI6InQ1UlEwMXJmRnVtaDhXQkwwblo2T1RzQnFyWjViU2FPY2FnYUtGUWowVXMifQ",
        ".eyJleHAiOjQxMDI0NDQ4MDAsImlhdCI6MTc2NzIyNTYwMCwiaXNzIjoiaHR0cHM6Ly9yb3N0ZXIuZXhhbXBsZSIsIm5iZiI6MTc2NzIyNTU5MCwic2lkIjoic2Vzc19maXh0dXJlIiwic3ViIjoidXNlcl9maXh0dXJlIiwidiI6Mn0",
        ".KY9zQLIEfKabsD-mpqW1hpsGwzynOJZ64XVUbSzbcCoxdWvEtSRNm-LdzVhpPDoPVE8I8NnU9ep0mf3p_b-EzXAFxfM8f-0Sxb2Yw30vnedYYJL0MTcMbrDg7uVi2M8KzZ0q1kl1fDcMr4HwBUVpi2-xYrwlsJ6r8ZB3PB_DsUPxTpJOjJ4T-HjInQmSbBxj7TLxInRbkT815ZRLIEiSz-gAIdI1qLSSs61fYSRnw0ylb9kMIHZo5_yFNq6xbwfsCv7Km1kpkZVTDOCOYS1Wruu3xqrrWXLaqK2jvZSioWgaenmUor-89HEVGzj4ah1QhaCWjCfUojseRmvpTUC4Lw",
    );

    fn fixed_claims() -> serde_json::Value {
        serde_json::json!({
            "exp": 4_102_444_800_i64,
            "iat": 1_767_225_600,
            "iss": "https://roster.example",
            "nbf": 1_767_225_590,
            "sid": "sess_fixture",
            "sub": "user_fixture",
            "v": 2,
        })
    }

    #[test]
    fn a_key_from_an_earlier_version_keeps_its_kid_and_signs_the_same_tokens() {
        for pem in [EARLIER_PKCS8, EARLIER_PKCS1] {
            let keys = SigningKeys::new(pem, &[]).expect("the earlier key loads");
            assert_eq!(keys.current_kid(), EARLIER_KID);
            assert_eq!(keys.public_keys()[0].e, "AQAB");
            assert_eq!(keys.sign(&fixed_claims()).expect("signs"), EARLIER_TOKEN);
        }
    }

    #[test]
    fn a_generated_key_is_rsa_2048_in_pkcs8_pem_and_signs_verifiable_tokens() {
        let pem = SigningKeys::generate_pem().expect("a key");
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{pem}");
        assert!(!pem.contains('\r'));
        let keys = SigningKeys::new(&pem, &[EARLIER_PKCS8.to_owned()]).expect("loads");
        let published = keys.public_keys();
        assert_eq!(published.len(), 2);
        assert_eq!(published[1].kid, EARLIER_KID);
        let modulus = URL_SAFE_NO_PAD.decode(&published[0].n).expect("base64url");
        assert_eq!((modulus.len(), modulus[0] >= 0x80), (256, true));

        let token = keys.sign(&fixed_claims()).expect("signs");
        let decoding =
            jsonwebtoken::DecodingKey::from_rsa_components(&published[0].n, &published[0].e)
                .expect("an RSA public key");
        let header = jsonwebtoken::decode_header(&token).expect("header");
        assert_eq!(header.kid.as_deref(), Some(published[0].kid.as_str()));
        let mut validation = jsonwebtoken::Validation::new(Algorithm::RS256);
        validation.set_required_spec_claims(&["exp", "sub"]);
        let claims = jsonwebtoken::decode::<serde_json::Value>(&token, &decoding, &validation)
            .expect("verifies against the published key")
            .claims;
        assert_eq!(claims, fixed_claims());
    }

    #[test]
    fn text_that_is_not_an_rsa_private_key_is_refused() {
        let public_only = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";
        for text in ["", "not a key", public_only] {
            assert!(matches!(
                SigningKeys::new(text, &[]),
                Err(SigningKeyError::InvalidKey(_))
            ));
        }
    }
}
