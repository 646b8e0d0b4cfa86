//! What can go wrong in a use case, named after the rule that was broken.

use roster_store::StoreError;

pub type DomainResult<T> = Result<T, DomainError>;

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("no {resource} was found with id {id}")]
    NotFound { resource: &'static str, id: String },
    #[error("the request is invalid")]
    Invalid(Vec<FieldError>),
    #[error("lockout is not enabled on this instance")]
    LockoutDisabled,
    #[error("the resource was modified concurrently")]
    Conflict,
    /// Locked by an operator or by too many failed verifications.
    #[error("the user is locked")]
    UserLocked { expires_in_seconds: Option<i64> },
    #[error("the user has no second factor")]
    TotpDisabled,
    #[error("the code is not right")]
    TotpIncorrectCode,
    #[error("a TOTP code has six digits")]
    TotpInvalidLength,
    #[error("the user is banned")]
    UserBanned,
    /// A session token was asked for a session that is revoked, ended, expired, ….
    #[error("session {id} is {status}")]
    SessionNotActive { id: String, status: &'static str },
    #[error("signing a session token failed: {0}")]
    Signing(String),
    #[error("the password is not right")]
    IncorrectPassword,
    #[error("the user has no password")]
    NoPasswordSet,
    /// Too many password hashes are waiting; the client should retry later.
    #[error("too many password hashes are waiting")]
    Overloaded { retry_after_seconds: u64 },
    /// Deleting this identification would break a rule (the primary, or the last one).
    #[error("the identification cannot be deleted: {reason}")]
    IdentificationDeletionFailed { reason: &'static str },
    /// The instance requires this kind of identifier and this is the user's last one.
    #[error("the last identification of a required kind cannot be deleted")]
    LastRequiredIdentificationDeletionFailed,
    /// Only a verified phone number can be a second factor.
    #[error("only a verified phone number can be reserved for second factor")]
    SecondFactorUnverified { creating: bool },
    /// A new code was asked for too soon after the last one.
    #[error("codes were requested too often")]
    TooManyCodeRequests { retry_after_seconds: i64 },
    #[error("the verification was already completed")]
    VerificationAlreadyVerified,
    /// The user is a member of the organization already.
    #[error("the user is already a member of the organization")]
    AlreadyMember,
    /// Every seat of the organization (`max_allowed_memberships`) is taken.
    #[error("the organization has reached its {max} memberships")]
    MembershipQuotaExceeded { max: i64 },
    /// The change would leave the organization without a member who can manage memberships.
    #[error("an organization keeps at least one admin")]
    LastAdmin,
    /// The user may not create organizations (`create_organization_enabled`, or the instance).
    #[error("the user may not create organizations")]
    OrganizationCreationNotAllowed,
    /// The user has created as many organizations as they may.
    #[error("the user has created {limit} organizations, their limit")]
    OrganizationQuotaExceeded { limit: i64 },
    /// The address has a pending invitation to the organization already.
    #[error("the address is invited to the organization already")]
    AlreadyInvited,
    /// The invitation is accepted, revoked or expired.
    #[error("the invitation is not pending")]
    InvitationNotPending,
    /// The acting user (`inviter_user_id`, `requesting_user_id`) is not an admin of the
    /// organization.
    #[error("the user is not an admin of the organization")]
    NotAnAdmin,
    #[error("a stored secret could not be opened")]
    EncryptionKey(#[from] crate::encryption_keys::EncryptionKeyError),
    /// An upload over `MAX_UPLOAD_BYTES`, or (`pixels`) declaring more pixels than decoding
    /// allows.
    #[error("the image is too large")]
    ImageTooLarge { pixels: bool },
    /// An upload that is not a PNG, JPEG, GIF or WebP image that decodes.
    #[error("the file is not an image that can be read")]
    ImageInvalid,
    #[error("internal failure: {0}")]
    Internal(&'static str),
    #[error("storage failure")]
    Store(#[source] StoreError),
}

impl DomainError {
    pub fn field(param: impl Into<String>, kind: FieldErrorKind) -> Self {
        DomainError::Invalid(vec![FieldError::new(param, kind)])
    }

    pub fn user_not_found(id: &str) -> Self {
        DomainError::NotFound {
            resource: "user",
            id: id.to_owned(),
        }
    }

    pub fn organization_not_found(id: &str) -> Self {
        DomainError::NotFound {
            resource: "organization",
            id: id.to_owned(),
        }
    }

    pub fn session_not_found(id: &str) -> Self {
        DomainError::NotFound {
            resource: "session",
            id: id.to_owned(),
        }
    }
}

impl From<StoreError> for DomainError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict => DomainError::Conflict,
            other => DomainError::Store(other),
        }
    }
}

/// One problem with one request parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub param: String,
    pub kind: FieldErrorKind,
}

impl FieldError {
    pub fn new(param: impl Into<String>, kind: FieldErrorKind) -> Self {
        FieldError {
            param: param.into(),
            kind,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldErrorKind {
    /// A required parameter is absent.
    Missing,
    /// The parameter is not accepted here; `reason` says why when it is not simply unknown.
    Unknown {
        reason: Option<String>,
    },
    /// The parameter is present but null or empty where a value is needed.
    Nil,
    /// The value's format is wrong (email, phone, wallet, locale, ...).
    FormatInvalid {
        expected: String,
    },
    /// The value is not allowed; `reason` explains.
    ValueInvalid {
        reason: String,
    },
    /// The same value appears twice in one request.
    Duplicate,
    /// Another user already holds this identifier.
    IdentifierExists,
    /// The referenced identification exists but is not verified.
    VerificationNeeded,
    /// The parameter refers to something that does not exist (or is not this user's).
    ResourceNotFound,
    /// A status list does not line up with the values it describes.
    ArrayLengthMismatch {
        other: String,
    },
    ArraySizeExceeded {
        max: usize,
    },
    MaxLengthExceeded {
        max: usize,
    },
    ExceedsAllowedSize {
        max_bytes: usize,
    },
    InvalidTime,
    FutureDate,
    UsernameInvalidLength {
        min: usize,
        max: usize,
    },
    UsernameInvalidCharacter,
    UsernameNeedsNonNumber,
    /// The instance requires data that the request lacks.
    DataMissing,
    /// The parameter only makes sense together with another one.
    ConditionalDisallowed {
        requires: String,
    },
    /// The capability behind the parameter is not available in this version of Roster.
    NotSupported,
    /// `totp_secret` is not base32.
    InvalidTotpSecret,
    /// The parameter is needed because `with` is present.
    ConditionalMissing {
        with: String,
    },
    /// The parameter may not be sent together with `other`.
    ParamConflict {
        other: String,
    },
    PasswordTooShort {
        min: usize,
    },
    PasswordTooLong {
        max: usize,
    },
    PasswordSizeExceeded {
        max_bytes: usize,
    },
    PasswordNoUppercase,
    PasswordNoLowercase,
    PasswordNoNumber,
    PasswordNoSpecialChar {
        allowed: String,
    },
    PasswordNotStrongEnough {
        score: u8,
        required: u8,
    },
    PasswordMatchesIdentifier,
    /// Found in a list of breached passwords.
    PasswordPwned,
    /// `password_digest` does not fit `password_hasher`; `reason` never quotes the digest.
    PasswordDigestInvalid {
        reason: String,
    },
}
