//! Bulk export: every user with what it takes to create them again elsewhere. The password
//! digest and, when asked for, the TOTP secret in the clear: an export with secrets is itself
//! a secret, and the caller says so.

use std::sync::Arc;

use roster_model::time::now_millis;
use roster_model::users::User;

use crate::context::Context;
use crate::error::DomainResult;
use crate::mfa::totp;
use crate::user_record::present;

/// One exported user.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportedUser {
    pub user: User,
    /// `(hasher, digest)`, as stored.
    pub password: Option<(String, String)>,
    /// Base32, unsealed; only when the export includes secrets.
    pub totp_secret: Option<String>,
}

/// A page of the export, and where the next one starts.
pub struct ExportPage {
    pub users: Vec<ExportedUser>,
    /// `None` once the last user was exported.
    pub next: Option<String>,
}

#[derive(Clone)]
pub struct Exports {
    cx: Arc<Context>,
}

impl Exports {
    pub fn new(cx: Arc<Context>) -> Self {
        Exports { cx }
    }

    /// Up to `limit` users after the user id `after`, in id order, so that a run through
    /// every page sees each user once even while users are created.
    pub async fn page(
        &self,
        after: Option<&str>,
        limit: i64,
        with_secrets: bool,
    ) -> DomainResult<ExportPage> {
        let store = self.cx.store();
        let now = now_millis();
        let users = store.users_after(after, limit).await?;
        let next = (users.len() as i64 == limit)
            .then(|| users.last().map(|user| user.id.clone()))
            .flatten();
        let mut exported = Vec::with_capacity(users.len());
        for user in users {
            let password = match user.password_enabled {
                true => store
                    .password_digest(&user.id)
                    .await?
                    .map(|record| (record.hasher, record.digest)),
                false => None,
            };
            let totp_secret = match with_secrets && user.totp_enabled {
                true => match store.totp_secret(&user.id).await? {
                    Some(record) => {
                        let secret = self.cx.encryption_keys.open(
                            &record.key_id,
                            &record.sealed_secret,
                            &user.id,
                        )?;
                        Some(totp::encode_secret(&secret))
                    }
                    None => None,
                },
                false => None,
            };
            exported.push(ExportedUser {
                user: present(&self.cx, user, now),
                password,
                totp_secret,
            });
        }
        Ok(ExportPage {
            users: exported,
            next,
        })
    }
}
