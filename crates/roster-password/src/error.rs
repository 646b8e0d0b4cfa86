//! The typed error for refused digests and unknown hasher names, plus the
//! hasher-agnostic reason the format modules hand back to `lib.rs`.
//!
//! Reasons are built only from string literals and the constants in
//! [`crate::limits`], so no error can ever carry part of a digest or a password.

use std::borrow::Cow;

use crate::Hasher;

/// Why [`crate::Digest::parse`] refused a digest.
#[derive(Debug, thiserror::Error)]
pub enum DigestError {
    /// The string does not follow the hasher's grammar (shape, lengths,
    /// alphabet, or parameters the algorithm itself cannot accept).
    #[error("invalid {hasher} digest: {reason}")]
    Malformed {
        hasher: Hasher,
        reason: Cow<'static, str>,
    },
    /// The string is longer than [`crate::limits::MAX_DIGEST_LEN`].
    #[error("invalid {hasher} digest: longer than {max} bytes")]
    TooLong { hasher: Hasher, max: usize },
    /// Well-formed, but its cost parameters exceed what this server is willing
    /// to spend on one verification (see [`crate::limits`]).
    #[error("unsupported {hasher} digest: {reason}")]
    TooCostly {
        hasher: Hasher,
        reason: Cow<'static, str>,
    },
    /// A well-formed `awscognito#<userpoolid>#<clientid>#<identifier>` reference.
    /// It holds no hash: checking the password means calling AWS Cognito's
    /// authentication API, which an offline self-hosted server cannot do.
    #[error(
        "awscognito digests hold no password hash; verifying them needs a live call to AWS Cognito, which this server does not make"
    )]
    NeedsExternalVerification,
}

impl DigestError {
    /// The hasher the refused digest was submitted under.
    pub fn hasher(&self) -> Hasher {
        match self {
            DigestError::Malformed { hasher, .. }
            | DigestError::TooLong { hasher, .. }
            | DigestError::TooCostly { hasher, .. } => *hasher,
            DigestError::NeedsExternalVerification => Hasher::Awscognito,
        }
    }
}

/// A `password_hasher` value that is not one of Clerk's names.
///
/// The offending name is deliberately not kept: it is caller input of unknown size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown password hasher")]
pub struct UnknownHasher;

/// What a format module reports; `lib.rs` attaches the hasher.
#[derive(Debug)]
pub(crate) enum Invalid {
    Malformed(Cow<'static, str>),
    TooCostly(Cow<'static, str>),
    /// A well-formed `awscognito` reference, which can never become a `Digest`.
    ExternalOnly,
}

impl Invalid {
    pub(crate) fn malformed(reason: impl Into<Cow<'static, str>>) -> Self {
        Invalid::Malformed(reason.into())
    }

    pub(crate) fn too_costly(reason: impl Into<Cow<'static, str>>) -> Self {
        Invalid::TooCostly(reason.into())
    }

    pub(crate) fn for_hasher(self, hasher: Hasher) -> DigestError {
        match self {
            Invalid::Malformed(reason) => DigestError::Malformed { hasher, reason },
            Invalid::TooCostly(reason) => DigestError::TooCostly { hasher, reason },
            Invalid::ExternalOnly => DigestError::NeedsExternalVerification,
        }
    }
}
