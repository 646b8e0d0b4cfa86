//! Storage failures, typed so that callers can react to a uniqueness clash without knowing
//! which database reported it.

use roster_model::users::IdentificationKind;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the value of {0:?} is already taken")]
    Duplicate(UniqueKey),
    #[error("the row changed since it was read")]
    Conflict,
    #[error("unsupported database url (expected sqlite:… or postgres:…)")]
    UnsupportedUrl,
    #[error("the batch of writes this one belonged to could not be committed: {0}")]
    BatchFailed(String),
    #[error("stored data could not be decoded: {0}")]
    Corrupt(String),
    #[error("database error")]
    Database(#[source] sqlx::Error),
    #[error("migration failed")]
    Migration(#[source] sqlx::migrate::MigrateError),
    #[error("the database's lock file could not be used")]
    LockFile(#[from] std::io::Error),
}

/// The unique constraints a write can run into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UniqueKey {
    Username,
    ExternalId,
    /// An organization's slug.
    Slug,
    Identification(IdentificationKind),
    Other,
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        StoreError::Database(error)
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        StoreError::Migration(error)
    }
}

/// Maps a unique violation to the key it concerns, judging by the column names the database
/// reports; `identification` names the kind being written when the statement touched one.
pub(crate) fn classify(
    error: sqlx::Error,
    identification: Option<IdentificationKind>,
) -> StoreError {
    let Some(database_error) = error.as_database_error() else {
        return StoreError::Database(error);
    };
    if !database_error.is_unique_violation() {
        return StoreError::Database(error);
    }
    let message = database_error.message();
    let key = if message.contains("username_normalized") {
        UniqueKey::Username
    } else if message.contains("slug") {
        UniqueKey::Slug
    } else if message.contains("external_id") {
        UniqueKey::ExternalId
    } else if message.contains("value_normalized") {
        identification.map_or(UniqueKey::Other, UniqueKey::Identification)
    } else {
        UniqueKey::Other
    };
    StoreError::Duplicate(key)
}
