//! Identifier rules shared by create and update: format, uniqueness across the instance, and
//! the translation of a storage uniqueness clash into the request parameter it concerns.

use roster_model::users::{IdentificationKind, identity_key};
use roster_store::{StoreError, Tx, UniqueKey};

use crate::error::{DomainError, FieldError, FieldErrorKind};

/// Fails with `form_identifier_exists` when someone other than `owner` holds the identifier.
pub(crate) async fn ensure_available(
    tx: &mut Tx,
    kind: IdentificationKind,
    value: &str,
    owner: &str,
) -> Result<(), DomainError> {
    let normalized = kind.normalize(value);
    match tx.identifier_owner(kind, &normalized).await? {
        Some(holder) if holder != owner => Err(DomainError::field(
            kind.as_str(),
            FieldErrorKind::IdentifierExists,
        )),
        _ => Ok(()),
    }
}

pub(crate) async fn ensure_username_available(
    tx: &mut Tx,
    username: &str,
    owner: &str,
) -> Result<(), DomainError> {
    match tx.user_with_username(&identity_key(username)).await? {
        Some(holder) if holder != owner => Err(DomainError::field(
            "username",
            FieldErrorKind::IdentifierExists,
        )),
        _ => Ok(()),
    }
}

pub(crate) async fn ensure_external_id_available(
    tx: &mut Tx,
    external_id: &str,
    owner: &str,
) -> Result<(), DomainError> {
    match tx.user_with_external_id(external_id).await? {
        Some(holder) if holder != owner => Err(DomainError::field(
            "external_id",
            FieldErrorKind::IdentifierExists,
        )),
        _ => Ok(()),
    }
}

/// A uniqueness clash the checks above could not see (another writer got there between the
/// check and the write) still reaches the client as `form_identifier_exists`.
pub(crate) fn duplicate_to_field(error: StoreError) -> DomainError {
    let param = match &error {
        StoreError::Duplicate(UniqueKey::Username) => "username",
        StoreError::Duplicate(UniqueKey::ExternalId) => "external_id",
        StoreError::Duplicate(UniqueKey::Slug) => "slug",
        StoreError::Duplicate(UniqueKey::Identification(kind)) => kind.as_str(),
        _ => return error.into(),
    };
    DomainError::Invalid(vec![FieldError::new(
        param,
        FieldErrorKind::IdentifierExists,
    )])
}
