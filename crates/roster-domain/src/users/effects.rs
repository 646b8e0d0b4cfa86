//! What a change to a user causes besides the row itself, in the same transaction: its
//! webhook event, and what a ban, a deletion or a password change does to its sessions.

use roster_model::sessions::SessionStatus;
use roster_model::time::Millis;
use roster_model::users::User;
use roster_store::Tx;

use super::Users;
use crate::error::DomainResult;
use crate::events::{Events, SessionEvent};
use crate::sessions::close_sessions_of;

impl Users {
    /// Writes events to the outbox from now on (the application always sets this; a `Users`
    /// built alone, as in unit tests, emits nothing).
    pub fn with_events(mut self, events: Events) -> Self {
        self.events = Some(events);
        self
    }

    /// The outbox writer, for use cases elsewhere that emit their own events (mail, SMS).
    pub fn events(&self) -> Option<&Events> {
        self.events.as_ref()
    }

    pub(crate) async fn created(&self, tx: &mut Tx, user: &User, now: Millis) -> DomainResult<()> {
        if let Some(events) = &self.events {
            events
                .user_created(tx, &self.present(user.clone(), now))
                .await?;
        }
        Ok(())
    }

    /// After a user was written: `user.updated`, and a new ban revokes every session.
    pub(crate) async fn updated(
        &self,
        tx: &mut Tx,
        was_banned: bool,
        user: &User,
        now: Millis,
    ) -> DomainResult<()> {
        let presented = self.present(user.clone(), now);
        if let Some(events) = &self.events {
            events.user_updated(tx, &presented).await?;
        }
        if user.banned && !was_banned {
            close_sessions_of(
                tx,
                self.events.as_ref(),
                &presented,
                None,
                SessionStatus::Revoked,
                SessionEvent::Revoked,
            )
            .await?;
        }
        Ok(())
    }

    /// Before a user is deleted: its sessions end, then `user.deleted`.
    pub(crate) async fn deleting(&self, tx: &mut Tx, user: &User, now: Millis) -> DomainResult<()> {
        let presented = self.present(user.clone(), now);
        close_sessions_of(
            tx,
            self.events.as_ref(),
            &presented,
            None,
            SessionStatus::Ended,
            SessionEvent::Ended,
        )
        .await?;
        if let Some(events) = &self.events {
            events.user_deleted(tx, &presented).await?;
        }
        Ok(())
    }

    /// Revokes every active session of `user` except `except`, emitting `session.revoked`
    /// for each, inside the caller's transaction (for `sign_out_of_other_sessions` with a
    /// password change). Returns how many were revoked.
    pub async fn revoke_other_sessions(
        &self,
        tx: &mut Tx,
        user: &User,
        except: Option<&str>,
    ) -> DomainResult<usize> {
        close_sessions_of(
            tx,
            self.events.as_ref(),
            user,
            except,
            SessionStatus::Revoked,
            SessionEvent::Revoked,
        )
        .await
    }
}
