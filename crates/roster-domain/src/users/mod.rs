//! User use cases: create, read, list, update, delete, ban, lock and metadata changes.

mod create;
mod effects;
pub(crate) mod identifiers;
mod list;
mod update;

pub use create::{IdentificationStatus, NewUser};
pub use list::ListUsers;
pub use update::UserChanges;

use roster_model::time::{Millis, now_millis};
use roster_model::users::{FailedAttempts, LockoutView, User};
use roster_store::{RowUpdateOutcome, Store, Tx};

use crate::error::{DomainError, DomainResult, FieldError, FieldErrorKind};
use crate::metadata::{self, MetadataChanges};
use crate::passwords::{HashingPool, RangeApi, SharedRangeApi};
use crate::secret_keys::SecretKeys;
use crate::settings::{InstanceSettings, LockoutPolicy};

/// Most users one bulk ban or unban may name.
pub const MAX_BULK_USERS: usize = 50;

#[derive(Clone)]
pub struct Users {
    store: Store,
    settings: std::sync::Arc<InstanceSettings>,
    secret_keys: std::sync::Arc<SecretKeys>,
    hashing: HashingPool,
    range_api: Option<SharedRangeApi>,
    events: Option<crate::events::Events>,
}

impl Users {
    /// Fails only when the password-hashing settings are out of bounds.
    pub fn new(
        store: Store,
        settings: InstanceSettings,
        secret_keys: SecretKeys,
    ) -> DomainResult<Self> {
        Ok(Users {
            store,
            hashing: HashingPool::new(&settings.password_hashing)?,
            settings: std::sync::Arc::new(settings),
            secret_keys: std::sync::Arc::new(secret_keys),
            range_api: None,
            events: None,
        })
    }

    /// Also asks this k-anonymity range API whether a new password has leaked.
    pub fn with_breached_range_api(mut self, api: impl RangeApi + 'static) -> Self {
        self.range_api = Some(std::sync::Arc::new(api));
        self
    }

    pub(crate) fn hashing(&self) -> &HashingPool {
        &self.hashing
    }

    pub(crate) fn range_api(&self) -> Option<&dyn RangeApi> {
        self.range_api.as_deref()
    }

    pub fn settings(&self) -> &InstanceSettings {
        &self.settings
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn secret_keys(&self) -> &SecretKeys {
        &self.secret_keys
    }

    pub async fn get(&self, id: &str) -> DomainResult<User> {
        let user = self.store.get_user(id).await?;
        let user = user.ok_or_else(|| DomainError::user_not_found(id))?;
        Ok(self.present(user, now_millis()))
    }

    pub async fn delete(&self, id: &str) -> DomainResult<()> {
        let mut tx = self.store.begin().await?;
        let user = crate::users::load_for_update(&mut tx, id).await?;
        self.deleting(&mut tx, &user, now_millis()).await?;
        if !tx.delete_user(id).await? {
            return Err(DomainError::user_not_found(id));
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn ban(&self, id: &str) -> DomainResult<User> {
        self.modify(id, |user, _| {
            user.banned = true;
            Ok(())
        })
        .await
    }

    pub async fn unban(&self, id: &str) -> DomainResult<User> {
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
        let mut tx = self.store.begin().await?;
        let mut changed: Vec<User> = Vec::new();
        for id in locking_order {
            let Some(mut user) = tx.load_user(id).await? else {
                continue;
            };
            let was_banned = user.banned;
            user.banned = banned;
            write(&mut tx, &mut user, now).await?;
            self.updated(&mut tx, was_banned, &user, now).await?;
            changed.push(user);
        }
        tx.commit().await?;
        // Answered in the order the ids were given, each once.
        let mut answered = Vec::with_capacity(changed.len());
        for id in ids {
            if let Some(at) = changed.iter().position(|user| &user.id == id) {
                answered.push(self.present(changed.swap_remove(at), now));
            }
        }
        Ok(answered)
    }

    pub async fn lock(&self, id: &str) -> DomainResult<User> {
        let policy = self.lockout_policy()?;
        self.modify(id, move |user, now| {
            user.lock.locked_at = Some(now);
            user.lock.expires_at = lock_expiry(&policy, now);
            user.lock.failed = FailedAttempts::default();
            Ok(())
        })
        .await
    }

    pub async fn unlock(&self, id: &str) -> DomainResult<User> {
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
    pub async fn merge_metadata(&self, id: &str, changes: MetadataChanges) -> DomainResult<User> {
        self.modify(id, move |user, _| {
            let [public, private, unsafe_] = changes.tiers();
            if let Some(patch) = public.1 {
                user.public_metadata = metadata::merged(public.0, &user.public_metadata, patch)?;
            }
            if let Some(patch) = private.1 {
                user.private_metadata = metadata::merged(private.0, &user.private_metadata, patch)?;
            }
            if let Some(patch) = unsafe_.1 {
                user.unsafe_metadata = metadata::merged(unsafe_.0, &user.unsafe_metadata, patch)?;
            }
            Ok(())
        })
        .await
    }

    /// `PUT /users/{id}/metadata`: each given tier replaces the stored one whole.
    pub async fn replace_metadata(&self, id: &str, changes: MetadataChanges) -> DomainResult<User> {
        self.modify(id, move |user, _| replace_metadata(user, &changes))
            .await
    }

    fn lockout_policy(&self) -> DomainResult<LockoutPolicy> {
        if self.settings.lockout.enabled {
            Ok(self.settings.lockout)
        } else {
            Err(DomainError::LockoutDisabled)
        }
    }

    /// Loads a user in a write transaction, applies `change`, and writes it back; nothing is
    /// written when `change` fails.
    async fn modify<F>(&self, id: &str, change: F) -> DomainResult<User>
    where
        F: FnOnce(&mut User, Millis) -> DomainResult<()>,
    {
        let now = now_millis();
        let mut tx = self.store.begin().await?;
        let mut user = crate::users::load_for_update(&mut tx, id).await?;
        let was_banned = user.banned;
        change(&mut user, now)?;
        write(&mut tx, &mut user, now).await?;
        self.updated(&mut tx, was_banned, &user, now).await?;
        tx.commit().await?;
        Ok(self.present(user, now))
    }

    /// The user as clients see it at `now`: the lock state derived from the policy.
    pub(crate) fn present(&self, mut user: User, now: Millis) -> User {
        user.lockout = lockout_view(&user, &self.settings.lockout, now);
        user
    }
}

pub(crate) fn replace_metadata(user: &mut User, changes: &MetadataChanges) -> DomainResult<()> {
    let [public, private, unsafe_] = changes.tiers();
    if let Some(value) = public.1 {
        user.public_metadata = metadata::replacement(public.0, value)?;
    }
    if let Some(value) = private.1 {
        user.private_metadata = metadata::replacement(private.0, value)?;
    }
    if let Some(value) = unsafe_.1 {
        user.unsafe_metadata = metadata::replacement(unsafe_.0, value)?;
    }
    Ok(())
}

/// Reads a user inside a write transaction, or fails with "not found".
pub(crate) async fn load_for_update(tx: &mut Tx, id: &str) -> DomainResult<User> {
    tx.load_user(id)
        .await?
        .ok_or_else(|| DomainError::user_not_found(id))
}

/// Stamps and stores a modified user.
pub(crate) async fn write(tx: &mut Tx, user: &mut User, now: Millis) -> DomainResult<()> {
    user.updated_at = now.max(user.updated_at);
    tx.update_user(user)
        .await
        .map_err(identifiers::duplicate_to_field)?;
    user.version += 1;
    Ok(())
}

/// `write` without a `Tx`, for a change to the users row alone (`Store::update_user_row`):
/// `user` is `before` with the change applied; unless it comes back written, it is not stored.
pub(crate) async fn write_row(
    store: &Store,
    before: &User,
    user: &mut User,
    now: Millis,
    event_type: Option<&'static str>,
) -> DomainResult<RowUpdateOutcome> {
    user.updated_at = now.max(user.updated_at);
    let outcome = store
        .update_user_row(before, user, event_type)
        .await
        .map_err(identifiers::duplicate_to_field)?;
    if outcome == RowUpdateOutcome::Written {
        user.version += 1;
    }
    Ok(outcome)
}

fn lock_expiry(policy: &LockoutPolicy, now: Millis) -> Option<Millis> {
    (policy.duration_seconds > 0).then(|| now + policy.duration_seconds * 1000)
}

/// What the stored lock means at `now`: an expired lock is no lock, and its failed attempts
/// no longer count.
pub(crate) fn lockout_view(user: &User, policy: &LockoutPolicy, now: Millis) -> LockoutView {
    let lock = &user.lock;
    let expired = lock.expires_at.is_some_and(|end| end <= now);
    let locked = lock.locked_at.is_some() && !expired;
    let failed = if expired { 0 } else { lock.failed.total() };
    LockoutView {
        locked,
        expires_in_seconds: lock
            .expires_at
            .filter(|_| locked)
            .map(|end| (end - now + 999) / 1000),
        attempts_remaining: policy
            .enabled
            .then(|| (policy.max_attempts - failed).max(0)),
    }
}

pub(crate) fn invalid(errors: Vec<FieldError>) -> DomainResult<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(DomainError::Invalid(errors))
    }
}
