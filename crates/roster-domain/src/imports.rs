//! Bulk import: each record becomes a user by `POST /users`' own rules (identifiers,
//! uniqueness, digest formats; digests are kept as given), unless a user it names is already
//! here. That makes an import safe to run again after an interruption: what landed is skipped.

use std::sync::Arc;

use roster_model::time::now_millis;
use roster_model::users::IdentificationKind;
use roster_store::Tx;

use crate::context::Context;
use crate::error::DomainResult;
use crate::users::NewUser;
use crate::users::create::{Announce, IdentificationStatus, prepare};

/// One user of a source file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportRecord {
    /// The user's id in the source system, for the error report (usually also `external_id`).
    pub source_id: Option<String>,
    pub user: NewUser,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportOptions {
    /// Check every record, including uniqueness against the stored users, and write nothing.
    pub dry_run: bool,
    /// Fire `user.created` for each imported user.
    pub announce: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportOutcome {
    /// The new user's id.
    Imported(String),
    /// A user the record names is already stored; nothing was written.
    Skipped { existing: String, matched_by: Match },
    /// A dry run found nothing wrong with the record.
    Checked,
}

/// How a record was found to be imported already.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Match {
    ExternalId,
    VerifiedEmail,
}

impl Match {
    pub fn as_str(self) -> &'static str {
        match self {
            Match::ExternalId => "external_id",
            Match::VerifiedEmail => "verified_email_address",
        }
    }
}

#[derive(Clone)]
pub struct Imports {
    cx: Arc<Context>,
}

impl Imports {
    pub fn new(cx: Arc<Context>) -> Self {
        Imports { cx }
    }

    /// Imports one record in a transaction of its own. On SQLite concurrent imports share the
    /// writer's group commits, so a caller that keeps many in flight gets batched commits
    /// while a refused record still refuses only itself.
    pub async fn import(
        &self,
        record: &ImportRecord,
        options: ImportOptions,
    ) -> DomainResult<ImportOutcome> {
        let cx = &self.cx;
        let now = now_millis();
        let prepared = prepare(cx, &record.user, now).await?;
        let mut tx = cx.store.begin().await?;
        if let Some((existing, matched_by)) = already_imported(&mut tx, &record.user).await? {
            return Ok(ImportOutcome::Skipped {
                existing,
                matched_by,
            });
        }
        let announce = if options.announce {
            Announce::Yes
        } else {
            Announce::No
        };
        let user = match prepared.write(cx, &mut tx, announce, now).await {
            Ok(user) => user,
            Err(error) => {
                // Another record of the same run may have taken the identifier meanwhile (a
                // file can list one person twice): then this one is that user, not a clash.
                drop(tx);
                let mut tx = cx.store.begin().await?;
                return match already_imported(&mut tx, &record.user).await? {
                    Some((existing, matched_by)) => Ok(ImportOutcome::Skipped {
                        existing,
                        matched_by,
                    }),
                    None => Err(error),
                };
            }
        };
        if options.dry_run {
            // Dropping the transaction undoes the write.
            return Ok(ImportOutcome::Checked);
        }
        tx.commit().await?;
        Ok(ImportOutcome::Imported(user.id))
    }
}

/// The stored user a record names: the one with its `external_id`, else the one holding one
/// of its verified email addresses as verified.
async fn already_imported(tx: &mut Tx, user: &NewUser) -> DomainResult<Option<(String, Match)>> {
    if let Some(external_id) = user.external_id.as_deref().filter(|id| !id.is_empty())
        && let Some(existing) = tx.user_with_external_id(external_id).await?
    {
        return Ok(Some((existing, Match::ExternalId)));
    }
    let kind = IdentificationKind::EmailAddress;
    for (index, email) in user.email_addresses.iter().enumerate() {
        if user.email_address_statuses.get(index) == Some(&IdentificationStatus::Reserved) {
            continue;
        }
        let normalized = kind.normalize(email);
        let Some(owner) = tx.identifier_owner(kind, &normalized).await? else {
            continue;
        };
        let Some(stored) = tx.load_user(&owner).await? else {
            continue;
        };
        let verified = stored
            .identifications_of(kind)
            .any(|i| kind.normalize(&i.value) == normalized && i.is_verified());
        if verified {
            return Ok(Some((owner, Match::VerifiedEmail)));
        }
    }
    Ok(None)
}
