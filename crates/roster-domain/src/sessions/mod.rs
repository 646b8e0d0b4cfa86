//! Session use cases: create (for testing, as Clerk offers), read, list, revoke, and the
//! short-lived session tokens; plus the effects other use cases have on sessions (a ban
//! revokes them all, a deletion ends them, a password change may revoke the others).

mod tokens;

pub use tokens::{MAX_TOKEN_SECONDS, MIN_TOKEN_SECONDS, SessionClaims};

use std::sync::Arc;

use roster_model::ids::{IdPrefix, SessionId, UserId, new_id};
use roster_model::organizations::{Membership, MembershipFilter};
use roster_model::sessions::{Session, SessionFilter, SessionStatus};
use roster_model::time::{Millis, now_millis};
use roster_model::users::User;
use roster_store::{Store, Tx};

use crate::error::{DomainError, DomainResult, FieldErrorKind};
use crate::events::{Events, SessionEvent};
use crate::paging::PageLimit;
use crate::signing_keys::SigningKeys;

/// How long a session lives from its creation (Clerk's default maximum lifetime).
pub const SESSION_LIFETIME_MS: Millis = 7 * 24 * 3600 * 1000;
/// After how long without activity a session is abandoned.
pub const ABANDON_AFTER_MS: Millis = 30 * 24 * 3600 * 1000;

/// A page of sessions and how many match in all.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionPage {
    pub sessions: Vec<Session>,
    pub total_count: i64,
}

#[derive(Clone)]
pub struct Sessions {
    store: Store,
    events: Events,
    keys: Arc<SigningKeys>,
    /// The `iss` claim of session tokens: this server's public URL.
    issuer: Arc<str>,
}

impl Sessions {
    pub fn new(store: Store, events: Events, keys: Arc<SigningKeys>, issuer: String) -> Self {
        Sessions {
            store,
            events,
            keys,
            issuer: issuer.into(),
        }
    }

    pub fn signing_keys(&self) -> &SigningKeys {
        &self.keys
    }

    /// A new active session for `user_id`, on a new client; `active_organization_id`, when
    /// given, must name an organization the user is a member of.
    pub async fn create(
        &self,
        user_id: &UserId,
        active_organization_id: Option<&str>,
    ) -> DomainResult<Session> {
        let user_id = user_id.as_str();
        let now = now_millis();
        let mut tx = self.store.begin().await?;
        let mut user = tx
            .load_user(user_id)
            .await?
            .ok_or_else(unknown_session_user)?;
        if user.banned {
            return Err(DomainError::UserBanned);
        }
        let active_organization = match active_organization_id {
            Some(organization_id) => Some(
                membership(&mut tx, &user.id, organization_id)
                    .await?
                    .ok_or_else(|| {
                        DomainError::field(
                            "active_organization_id",
                            FieldErrorKind::ValueInvalid {
                                reason: "must name an organization the user is a member of"
                                    .to_owned(),
                            },
                        )
                    })?
                    .organization
                    .id,
            ),
            None => None,
        };
        let session = Session {
            id: new_id(IdPrefix::Session),
            user_id: user.id.clone(),
            client_id: new_id(IdPrefix::Client),
            status: SessionStatus::Active,
            last_active_organization_id: active_organization,
            last_active_at: now,
            expire_at: now + SESSION_LIFETIME_MS,
            abandon_at: now + ABANDON_AFTER_MS,
            created_at: now,
            updated_at: now,
        };
        tx.insert_session(&session).await?;
        tx.touch_user(&user.id, now, true).await?;
        user.last_sign_in_at = Some(now);
        user.last_active_at = Some(now.max(user.last_active_at.unwrap_or(0)));
        self.events
            .session(&mut tx, SessionEvent::Created, &session, &user)
            .await?;
        tx.commit().await?;
        Ok(session)
    }

    pub async fn get(&self, id: &SessionId) -> DomainResult<Session> {
        let id = id.as_str();
        let session = self.store.get_session(id).await?;
        let session = session.ok_or_else(|| DomainError::session_not_found(id))?;
        Ok(present(session, now_millis()))
    }

    pub async fn list(&self, filter: SessionFilter) -> DomainResult<SessionPage> {
        PageLimit::new(filter.limit)?;
        if filter.offset < 0 {
            return Err(DomainError::field(
                "offset",
                FieldErrorKind::ValueInvalid {
                    reason: "must be 0 or more".to_owned(),
                },
            ));
        }
        let now = now_millis();
        let (sessions, total_count) = self.store.list_sessions(&filter).await?;
        Ok(SessionPage {
            sessions: sessions
                .into_iter()
                .map(|session| present(session, now))
                .collect(),
            total_count,
        })
    }

    /// Revokes a session; a session that is no longer active is returned as it is.
    pub async fn revoke(&self, id: &SessionId) -> DomainResult<Session> {
        let id = id.as_str();
        let now = now_millis();
        let mut tx = self.store.begin().await?;
        let session = load_present(&mut tx, id, now).await?;
        if session.status != SessionStatus::Active {
            return Ok(session);
        }
        let user = tx.load_user(&session.user_id).await?;
        let session = close(&mut tx, session, SessionStatus::Revoked, now).await?;
        if let Some(user) = user {
            self.events
                .session(&mut tx, SessionEvent::Revoked, &session, &user)
                .await?;
        }
        tx.commit().await?;
        Ok(session)
    }

    /// A session token for an active session, valid for `expires_in_seconds` (default 60).
    pub async fn create_token(
        &self,
        id: &SessionId,
        expires_in_seconds: Option<i64>,
    ) -> DomainResult<String> {
        let id = id.as_str();
        let lifetime = tokens::lifetime(expires_in_seconds)?;
        let now = now_millis();
        let mut tx = self.store.begin().await?;
        let mut session = load_present(&mut tx, id, now).await?;
        if session.status != SessionStatus::Active {
            return Err(DomainError::SessionNotActive {
                id: id.to_owned(),
                status: session.status.as_str(),
            });
        }
        session.last_active_at = now;
        session.updated_at = now;
        tx.update_session(&session).await?;
        tx.touch_user(&session.user_id, now, false).await?;
        let mut claims = SessionClaims::new(&session, &self.issuer, now, lifetime);
        if let Some(organization_id) = &session.last_active_organization_id
            && let Some(member) = membership(&mut tx, &session.user_id, organization_id).await?
        {
            let (o, fea) = tokens::OrganizationClaims::of(&member);
            claims.o = Some(o);
            claims.fea = fea;
        }
        let jwt = self
            .keys
            .sign(&claims)
            .map_err(|error| DomainError::Signing(error.to_string()))?;
        tx.commit().await?;
        Ok(jwt)
    }
}

/// The user's membership in the organization with this id, if any.
async fn membership(
    tx: &mut Tx,
    user_id: &str,
    organization_id: &str,
) -> DomainResult<Option<Membership>> {
    let filter = MembershipFilter {
        organization_id: Some(organization_id.to_owned()),
        user_id: Some(user_id.to_owned()),
        ..MembershipFilter::default()
    };
    Ok(tx.memberships(&filter).await?.pop())
}

/// The answer to a new session for a user id that names no user.
pub fn unknown_session_user() -> DomainError {
    DomainError::field("user_id", FieldErrorKind::ResourceNotFound)
}

/// A session as clients see it at `now`: an active session past its expiry or abandonment
/// time is expired or abandoned.
pub(crate) fn present(mut session: Session, now: Millis) -> Session {
    if session.status == SessionStatus::Active {
        if now >= session.expire_at {
            session.status = SessionStatus::Expired;
        } else if now >= session.abandon_at {
            session.status = SessionStatus::Abandoned;
        }
    }
    session
}

/// The session `id` as clients see it at `now`, read for modification in `tx`.
async fn load_present(tx: &mut Tx, id: &str, now: Millis) -> DomainResult<Session> {
    let session = tx
        .load_session(id)
        .await?
        .ok_or_else(|| DomainError::session_not_found(id))?;
    Ok(present(session, now))
}

async fn close(
    tx: &mut Tx,
    mut session: Session,
    status: SessionStatus,
    now: Millis,
) -> DomainResult<Session> {
    session.status = status;
    session.updated_at = now;
    tx.update_session(&session).await?;
    Ok(session)
}

/// Moves every active session of `user` (except `except`) to `status`, emitting `event` for
/// each, inside the caller's transaction. Returns how many sessions changed.
pub(crate) async fn close_sessions_of(
    tx: &mut Tx,
    events: Option<&Events>,
    user: &User,
    except: Option<&str>,
    status: SessionStatus,
    event: SessionEvent,
) -> DomainResult<usize> {
    let now = now_millis();
    let mut closed = 0;
    for session in tx.sessions_of_user(&user.id, SessionStatus::Active).await? {
        if except == Some(session.id.as_str())
            || present(session.clone(), now).status != SessionStatus::Active
        {
            continue;
        }
        let session = close(tx, session, status, now).await?;
        if let Some(events) = events {
            events.session(tx, event, &session, user).await?;
        }
        closed += 1;
    }
    Ok(closed)
}
