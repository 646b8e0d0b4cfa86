//! The single mapping from Roster's typed failures to Clerk's error envelope and status codes.

use std::any::Any;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use roster_domain::{DomainError, FieldError, FieldErrorKind};
use roster_wire::errors::{ErrorEnvelope, ErrorItem};

/// An error response: a status and one or more envelope items.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub items: Vec<ErrorItem>,
    /// Seconds for a `Retry-After` header, on 429.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, item: ErrorItem) -> Self {
        ApiError {
            status,
            items: vec![item],
            retry_after: None,
        }
    }

    pub fn fields(errors: &[FieldError]) -> Self {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            items: errors.iter().map(field_item).collect(),
            retry_after: None,
        }
    }

    pub fn field(param: &str, kind: FieldErrorKind) -> Self {
        ApiError::fields(&[FieldError::new(param, kind)])
    }

    pub fn unauthorized(code: &'static str, long_message: &str) -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorItem::new(code, "Invalid authentication", long_message),
        )
    }

    pub fn bad_request(code: &'static str, message: &str, long_message: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorItem::new(code, message, long_message),
        )
    }
}

impl ApiError {
    /// 429 in Clerk's words, with the wait as `Retry-After` (whole seconds, at least one).
    pub(crate) fn too_many_requests(wait: std::time::Duration) -> Self {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        ApiError {
            retry_after: Some(seconds.max(1)),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorItem::new(
                    "too_many_requests",
                    "Too many requests",
                    "Too many requests, please try again later.",
                ),
            )
        }
    }

    pub(crate) fn body_too_large() -> Self {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorItem::new(
                "request_body_too_large",
                "is too large",
                format!(
                    "The request body must be at most {} bytes.",
                    crate::MAX_BODY_BYTES
                ),
            ),
        )
    }

    /// 413 for an upload over the image size limit, or (`pixels`) one declaring more pixels
    /// than may be decoded.
    pub(crate) fn image_too_large(pixels: bool) -> Self {
        let long_message = if pixels {
            format!(
                "The image must be at most {side} × {side} pixels.",
                side = roster_domain::images::MAX_DECODED_SIDE
            )
        } else {
            format!(
                "The image must be at most {} bytes.",
                roster_domain::images::MAX_UPLOAD_BYTES
            )
        };
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorItem::new("image_too_large", "is too large", long_message),
        )
    }

    /// An upload without its `file` part.
    pub(crate) fn file_missing() -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorItem::new("form_param_missing", "is missing", "file must be included.")
                .with_param("file"),
        )
    }

    /// The body did not arrive within the body read timeout.
    pub(crate) fn body_timed_out() -> Self {
        ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            ErrorItem::new(
                "request_timeout",
                "Request timeout",
                "The request body was not received in time.",
            ),
        )
    }
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::NotFound { resource, id } => ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorItem::new(
                    "resource_not_found",
                    "not found",
                    format!("No {resource} was found with id {id}"),
                ),
            ),
            DomainError::Invalid(errors) => ApiError::fields(&errors),
            DomainError::LockoutDisabled => ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorItem::new(
                    "feature_not_enabled",
                    "not enabled",
                    "User lockout is not enabled on this instance.",
                ),
            ),
            DomainError::Conflict => ApiError::new(
                StatusCode::CONFLICT,
                ErrorItem::new(
                    "resource_locked",
                    "was modified concurrently",
                    "The resource was modified by another request; retry the request.",
                ),
            ),
            DomainError::UserLocked { expires_in_seconds } => ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorItem::new(
                    "user_locked",
                    "Account locked",
                    match expires_in_seconds {
                        Some(seconds) => format!(
                            "Your account is locked. You will be able to try again in {seconds} seconds."
                        ),
                        None => "Your account is locked until an administrator unlocks it.".to_owned(),
                    },
                )
                .with_meta(
                    "lockout_expires_in_seconds",
                    expires_in_seconds.map_or(serde_json::Value::Null, Into::into),
                ),
            ),
            DomainError::TotpDisabled => ApiError::bad_request(
                "totp_disabled",
                "TOTP is disabled",
                "This user has no TOTP or backup codes set up.",
            ),
            DomainError::TotpIncorrectCode => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorItem::new("totp_incorrect_code", "Incorrect code", "The code is incorrect.")
                    .with_param("code"),
            ),
            DomainError::TotpInvalidLength => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorItem::new(
                    "totp_invalid_length",
                    "is invalid",
                    "A TOTP code must be 6 digits long.",
                )
                .with_param("code"),
            ),
            DomainError::UserBanned => ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorItem::new(
                    "user_banned",
                    "User banned",
                    "This user is banned and cannot sign in.",
                ),
            ),
            // Clerk answers a token request for a session that is no longer active as if the
            // session were unknown.
            DomainError::SessionNotActive { id, status } => ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorItem::new(
                    "resource_not_found",
                    "not found",
                    format!("No active session was found with id {id} (it is {status})."),
                )
                .with_meta("session_id", id.into()),
            ),
            DomainError::Signing(what) => {
                tracing::error!(%what, "signing a session token failed");
                internal_error()
            }
            DomainError::IncorrectPassword => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorItem::new(
                    "incorrect_password",
                    "Incorrect password",
                    "The password is incorrect.",
                )
                .with_param("password"),
            ),
            DomainError::NoPasswordSet => ApiError::bad_request(
                "no_password_set",
                "No password set",
                "This user has no password.",
            ),
            DomainError::Overloaded {
                retry_after_seconds,
            } => ApiError {
                retry_after: Some(retry_after_seconds),
                ..ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    ErrorItem::new(
                        "too_many_requests",
                        "Too many requests",
                        format!(
                            "The server is busy hashing passwords. Retry in {retry_after_seconds} seconds."
                        ),
                    ),
                )
            },
            DomainError::IdentificationDeletionFailed { reason } => ApiError::bad_request(
                "identification_deletion_failed",
                "deletion failed",
                format!("This identification cannot be deleted: {reason}."),
            ),
            DomainError::LastRequiredIdentificationDeletionFailed => ApiError::bad_request(
                "last_required_identification_deletion_failed",
                "deletion failed",
                "This is the user's last identification of a kind the instance requires; add \
                 another one first.",
            ),
            DomainError::SecondFactorUnverified { creating } => ApiError::bad_request(
                if creating {
                    "identification_create_second_factor_unverified"
                } else {
                    "identification_update_second_factor_unverified"
                },
                "not verified",
                "Only a verified phone number can be reserved for second factor.",
            ),
            DomainError::TooManyCodeRequests {
                retry_after_seconds,
            } => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorItem::new(
                    "verification_code_too_many_requests",
                    "Too many requests",
                    format!(
                        "A code was sent a moment ago; you can request another one in \
                         {retry_after_seconds} seconds."
                    ),
                )
                .with_meta("retry_after_seconds", retry_after_seconds.into()),
            ),
            DomainError::VerificationAlreadyVerified => ApiError::bad_request(
                "verification_already_verified",
                "already verified",
                "This verification has already been verified.",
            ),
            error @ (DomainError::AlreadyMember
            | DomainError::MembershipQuotaExceeded { .. }
            | DomainError::LastAdmin
            | DomainError::OrganizationCreationNotAllowed
            | DomainError::OrganizationQuotaExceeded { .. }
            | DomainError::AlreadyInvited
            | DomainError::InvitationNotPending
            | DomainError::NotAnAdmin) => organization_error(error),
            DomainError::EncryptionKey(source) => {
                tracing::error!(error = %source, "a stored secret could not be opened");
                internal_error()
            }
            DomainError::ImageTooLarge { pixels } => ApiError::image_too_large(pixels),
            DomainError::ImageInvalid => ApiError::bad_request(
                "request_body_invalid",
                "is invalid",
                "The file must be a PNG, JPEG, GIF or WebP image.",
            ),
            DomainError::Internal(what) => {
                tracing::error!(what, "internal failure");
                internal_error()
            }
            DomainError::Store(source) => {
                tracing::error!(error = ?source, "storage failure");
                internal_error()
            }
        }
    }
}

/// The refusals of the organization rules, in Clerk's codes.
fn organization_error(error: DomainError) -> ApiError {
    let (status, code, message, long_message) = crate::organization_errors::describe(error);
    ApiError::new(status, ErrorItem::new(code, message, long_message))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let envelope = ErrorEnvelope {
            errors: self.items,
            clerk_trace_id: trace_id(),
        };
        if self.status.is_server_error() {
            tracing::error!(trace_id = %envelope.clerk_trace_id, status = %self.status, "request failed");
        } else {
            tracing::debug!(trace_id = %envelope.clerk_trace_id, status = %self.status, code = envelope.errors[0].code, "request refused");
        }
        let mut response = (self.status, Json(envelope)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

pub(crate) fn internal_error() -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        ErrorItem::new(
            "internal_clerk_error",
            "Oops, an unexpected error occurred",
            "There was an internal error on our servers. The details are in the server log.",
        ),
    )
}

fn trace_id() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) async fn route_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorItem::new(
            "resource_not_found",
            "not found",
            "The requested resource does not exist.",
        ),
    )
}

pub(crate) fn panic_response(_: Box<dyn Any + Send + 'static>) -> Response {
    internal_error().into_response()
}

/// Codes and sentences for each kind of field problem, in Clerk's words where it has them.
fn field_item(error: &FieldError) -> ErrorItem {
    let p = error.param.as_str();
    let (code, message, long_message) = match &error.kind {
        FieldErrorKind::Missing => (
            "form_param_missing",
            "is missing",
            format!("{p} must be included."),
        ),
        FieldErrorKind::Unknown { reason } => (
            "form_param_unknown",
            "is unknown",
            match reason {
                Some(reason) => format!("{p} is not a valid parameter for this request: {reason}."),
                None => format!("{p} is not a valid parameter for this request."),
            },
        ),
        FieldErrorKind::Nil => (
            "form_param_nil",
            "is empty",
            format!("{p} must have a value."),
        ),
        FieldErrorKind::FormatInvalid { expected } => (
            "form_param_format_invalid",
            "is invalid",
            format!("{p} must be {expected}."),
        ),
        FieldErrorKind::ValueInvalid { reason } => (
            "form_param_value_invalid",
            "is invalid",
            format!("{p} {reason}."),
        ),
        FieldErrorKind::Duplicate => (
            "form_param_duplicate",
            "is duplicated",
            format!("{p} contains the same value more than once."),
        ),
        FieldErrorKind::IdentifierExists => (
            "form_identifier_exists",
            "is taken",
            format!("That {} is taken. Please try another.", p.replace('_', " ")),
        ),
        FieldErrorKind::VerificationNeeded => (
            "form_verification_needed",
            "needs verification",
            format!("{p} must refer to a verified identification."),
        ),
        FieldErrorKind::ResourceNotFound => (
            "form_resource_not_found",
            "not found",
            format!("The resource associated with the supplied {p} was not found."),
        ),
        FieldErrorKind::ArrayLengthMismatch { other } => (
            "form_param_array_length_mismatch",
            "has the wrong length",
            format!("{p} must have as many entries as {other}."),
        ),
        FieldErrorKind::ArraySizeExceeded { max } => (
            "form_param_array_size_exceeded",
            "has too many values",
            format!("{p} may have at most {max} values."),
        ),
        FieldErrorKind::MaxLengthExceeded { max } => (
            "form_param_max_length_exceeded",
            "is too long",
            format!("{p} must be at most {max} characters long."),
        ),
        FieldErrorKind::ExceedsAllowedSize { max_bytes } => (
            "form_param_exceeds_allowed_size",
            "is too large",
            format!("{p} must be at most {max_bytes} bytes when serialized."),
        ),
        FieldErrorKind::InvalidTime => (
            "form_param_invalid_time",
            "is invalid",
            format!(
                "{p} must be a date and time in RFC 3339 format, such as 2012-10-20T07:15:20.902Z."
            ),
        ),
        FieldErrorKind::FutureDate => (
            "form_disallow_future_date",
            "is in the future",
            format!("{p} must not be in the future."),
        ),
        FieldErrorKind::UsernameInvalidLength { min, max } => (
            "form_username_invalid_length",
            "has an invalid length",
            format!("Username must be between {min} and {max} characters long."),
        ),
        FieldErrorKind::UsernameInvalidCharacter => (
            "form_username_invalid_character",
            "contains invalid characters",
            "Username can only contain letters, numbers and the characters _ - .".to_owned(),
        ),
        FieldErrorKind::UsernameNeedsNonNumber => (
            "form_username_needs_non_number_char",
            "needs a non-number character",
            "Username must contain at least one character that is not a number.".to_owned(),
        ),
        FieldErrorKind::DataMissing => (
            "form_data_missing",
            "is missing",
            format!(
                "The user data doesn't match the user requirements set for this instance: {p} is required."
            ),
        ),
        FieldErrorKind::ConditionalDisallowed { requires } => (
            "form_conditional_param_disallowed",
            "is not allowed here",
            format!("{p} is only allowed with {requires}."),
        ),
        FieldErrorKind::InvalidTotpSecret => (
            "invalid_totp_secret_code",
            "is invalid",
            "totp_secret must be a base32 encoded secret.".to_owned(),
        ),
        FieldErrorKind::ConditionalMissing { with } => (
            "form_conditional_param_missing",
            "is missing",
            format!("{p} is required when {with} is present."),
        ),
        FieldErrorKind::ParamConflict { other } => (
            "form_conditional_param_disallowed",
            "is not allowed here",
            format!("{p} can't be used together with {other}."),
        ),
        FieldErrorKind::PasswordTooShort { min } => (
            "form_password_length_too_short",
            "is too short",
            format!("Passwords must be {min} characters or more."),
        ),
        FieldErrorKind::PasswordTooLong { max } => (
            "form_password_length_too_long",
            "is too long",
            format!("Passwords must be {max} characters or fewer."),
        ),
        FieldErrorKind::PasswordSizeExceeded { max_bytes } => (
            "form_password_size_in_bytes_exceeded",
            "is too large",
            format!("Passwords must be at most {max_bytes} bytes long."),
        ),
        FieldErrorKind::PasswordNoUppercase => (
            "form_password_no_uppercase",
            "needs an uppercase character",
            "Passwords must contain at least one uppercase character.".to_owned(),
        ),
        FieldErrorKind::PasswordNoLowercase => (
            "form_password_no_lowercase",
            "needs a lowercase character",
            "Passwords must contain at least one lowercase character.".to_owned(),
        ),
        FieldErrorKind::PasswordNoNumber => (
            "form_password_no_number",
            "needs a number",
            "Passwords must contain at least one number.".to_owned(),
        ),
        FieldErrorKind::PasswordNoSpecialChar { allowed } => (
            "form_password_no_special_char",
            "needs a special character",
            format!("Passwords must contain at least one of these characters: {allowed}"),
        ),
        FieldErrorKind::PasswordNotStrongEnough { .. } => (
            "form_password_not_strong_enough",
            "is not strong enough",
            "Given password is not strong enough.".to_owned(),
        ),
        FieldErrorKind::PasswordMatchesIdentifier => (
            "form_password_matches_identifier",
            "matches an identifier",
            "Passwords may not be the same as the email address, phone number or username."
                .to_owned(),
        ),
        FieldErrorKind::PasswordPwned => (
            "form_password_pwned",
            "has been found in a data breach",
            "Password has been found in an online data breach. For account safety, please use a different password."
                .to_owned(),
        ),
        FieldErrorKind::PasswordDigestInvalid { reason } => (
            "form_password_digest_invalid_code",
            "is invalid",
            format!("{p} is not a valid digest for the given password_hasher: {reason}."),
        ),
        FieldErrorKind::NotSupported => (
            "form_param_unknown",
            "is not supported",
            format!("{p} is not supported by this Roster server yet."),
        ),
    };
    ErrorItem::new(code, message, long_message).with_param(p)
}
