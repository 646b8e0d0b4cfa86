//! The `Users` service: create, read, list, update, delete, ban, lock and metadata changes.
//! The use cases of more than a few lines live in the modules below, as functions over the
//! shared `Context`.

pub(crate) mod create;
mod list;
mod rules;
mod update;

pub use create::{IdentificationStatus, NewUser};
pub use list::ListUsers;
pub use update::UserChanges;

use std::sync::Arc;

use roster_model::ids::UserId;
use roster_model::time::{Millis, now_millis};
use roster_model::users::{FailedAttempts, User, UserFilter};

use crate::context::Context;
use crate::error::{DomainError, DomainResult, FieldErrorKind};
use crate::metadata::{self, MetadataChanges};
use crate::settings::LockoutPolicy;
use crate::user_record::{self, load_for_update, lock_expiry, present, write};

/// Most users one bulk ban or unban may name.
pub const MAX_BULK_USERS: usize = 50;

#[derive(Clone)]
pub struct Users {
    cx: Arc<Context>,
}

impl Users {
    pub fn new(cx: Arc<Context>) -> Self {
        Users { cx }
    }

    pub async fn create(&self, input: NewUser) -> DomainResult<User> {
        create::create(&self.cx, input).await
    }

    pub async fn update(&self, id: &UserId, changes: UserChanges) -> DomainResult<User> {
        update::update(&self.cx, id.as_str(), changes).await
    }

    pub async fn list(&self, request: ListUsers) -> DomainResult<Vec<User>> {
        list::list(&self.cx, request).await
    }

    pub async fn count(&self, filter: UserFilter) -> DomainResult<i64> {
        list::count(&self.cx, filter).await
    }

    pub async fn get(&self, id: &UserId) -> DomainResult<User> {
        let id = id.as_str();
        let user = self.cx.store.get_user(id).await?;
        let user = user.ok_or_else(|| DomainError::user_not_found(id))?;
        Ok(present(&self.cx, user, now_millis()))
    }

    pub async fn delete(&self, id: &UserId) -> DomainResult<()> {
        let id = id.as_str();
        let mut tx = self.cx.store.begin().await?;
        let user = load_for_update(&mut tx, id).await?;
        crate::organizations::end_memberships_of_user(&self.cx, &mut tx, id).await?;
        user_record::deleting(&self.cx, &mut tx, &user, now_millis()).await?;
        if !tx.delete_user(id).await? {
            return Err(DomainError::user_not_found(id));
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn ban(&self, id: &UserId) -> DomainResult<User> {
        self.modify(id, |user, _| {
            user.banned = true;
            Ok(())
        })
        .await
    }

    pub async fn unban(&self, id: &UserId) -> DomainResult<User> {
        self.modify(id, |user, _| {
            user.banned = false;
            Ok(())
        })
        .await
    }

    /// Bans (or unbans) every listed user in one transaction. Ids that match no user are
    /// skipped, as list filters skip values that match nothing; repeated ids count once.
    pub async fn set_banned_many(&self, ids: &[String], banned: bool) -> DomainResult<Vec<User>> {
        if ids.is_empty() {
            return Err(DomainError::field("user_ids", FieldErrorKind::Missing));
        }
        if ids.len() > MAX_BULK_USERS {
            return Err(DomainError::field(
                "user_ids",
                FieldErrorKind::ArraySizeExceeded {
                    max: MAX_BULK_USERS,
                },
            ));
        }
        let now = now_millis();
        // Rows are locked in id order: two bulk requests naming the same users in different
        // orders then queue behind each other instead of deadlocking (on PostgreSQL).
        let mut locking_order: Vec<&String> = ids.iter().collect();
        locking_order.sort();
        locking_order.dedup();
        let mut tx = self.cx.store.begin().await?;
        let mut changed: Vec<User> = Vec::new();
        for id in locking_order {
            let Some(mut user) = tx.load_user(id).await? else {
                continue;
            };
            let was_banned = user.banned;
            user.banned = banned;
            write(&mut tx, &mut user, now).await?;
            user_record::updated(&self.cx, &mut tx, was_banned, &user, now).await?;
            changed.push(user);
        }
        tx.commit().await?;
        // Answered in the order the ids were given, each once.
        let mut answered = Vec::with_capacity(changed.len());
        for id in ids {
            if let Some(at) = changed.iter().position(|user| &user.id == id) {
                answered.push(present(&self.cx, changed.swap_remove(at), now));
            }
        }
        Ok(answered)
    }

    pub async fn lock(&self, id: &UserId) -> DomainResult<User> {
        let policy = self.lockout_policy()?;
        self.modify(id, move |user, now| {
            user.lock.locked_at = Some(now);
            user.lock.expires_at = lock_expiry(&policy, now);
            user.lock.failed = FailedAttempts::default();
            Ok(())
        })
        .await
    }

    pub async fn unlock(&self, id: &UserId) -> DomainResult<User> {
        self.lockout_policy()?;
        self.modify(id, |user, _| {
            user.lock.locked_at = None;
            user.lock.expires_at = None;
            user.lock.failed = FailedAttempts::default();
            Ok(())
        })
        .await
    }

    /// `PATCH /users/{id}/metadata`: deep-merges each given tier.
    pub async fn merge_metadata(
        &self,
        id: &UserId,
        changes: MetadataChanges,
    ) -> DomainResult<User> {
        self.modify(id, move |user, _| metadata::merge_tiers(user, &changes))
            .await
    }

    /// `PUT /users/{id}/metadata`: each given tier replaces the stored one whole.
    pub async fn replace_metadata(
        &self,
        id: &UserId,
        changes: MetadataChanges,
    ) -> DomainResult<User> {
        self.modify(id, move |user, _| metadata::replace_tiers(user, &changes))
            .await
    }

    fn lockout_policy(&self) -> DomainResult<LockoutPolicy> {
        if self.cx.settings.lockout.enabled {
            Ok(self.cx.settings.lockout)
        } else {
            Err(DomainError::LockoutDisabled)
        }
    }

    /// Loads a user in a write transaction, applies `change`, and writes it back; nothing is
    /// written when `change` fails.
    async fn modify<F>(&self, id: &UserId, change: F) -> DomainResult<User>
    where
        F: FnOnce(&mut User, Millis) -> DomainResult<()>,
    {
        let id = id.as_str();
        let now = now_millis();
        let mut tx = self.cx.store.begin().await?;
        let mut user = load_for_update(&mut tx, id).await?;
        let was_banned = user.banned;
        change(&mut user, now)?;
        write(&mut tx, &mut user, now).await?;
        user_record::updated(&self.cx, &mut tx, was_banned, &user, now).await?;
        tx.commit().await?;
        Ok(present(&self.cx, user, now))
    }
}
