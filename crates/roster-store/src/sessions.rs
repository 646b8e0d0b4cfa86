//! Sessions: one row each, never deleted with their user (ending a session is a status).

use roster_model::sessions::{Session, SessionFilter, SessionStatus};
use roster_model::time::Millis;
use sqlx::{Database, Encode, FromRow, Row, Type};

use crate::{Conn, Dialect, Store, StoreError, StoreResult, Tx, execute, on_connection};

const SESSION_COLUMNS: &str = "id, user_id, client_id, status, last_active_organization_id, \
    last_active_at, expire_at, abandon_at, created_at, updated_at";

impl Store {
    pub async fn get_session(&self, id: &str) -> StoreResult<Option<Session>> {
        let mut reader = self.reader().await?;
        load_session(reader.conn(), id, false).await
    }

    /// Sessions matching `filter`, newest first, and how many match in all.
    pub async fn list_sessions(&self, filter: &SessionFilter) -> StoreResult<(Vec<Session>, i64)> {
        let mut reader = self.reader().await?;
        on_connection!(reader.conn(), |c| {
            let mut query = sqlx::QueryBuilder::new(format!(
                "SELECT {SESSION_COLUMNS}, COUNT(*) OVER () AS total FROM sessions"
            ));
            push_filter(&mut query, filter);
            query
                .push(" ORDER BY created_at DESC, id DESC LIMIT ")
                .push_bind(filter.limit)
                .push(" OFFSET ")
                .push_bind(filter.offset);
            let rows = query.build().fetch_all(&mut *c).await?;
            let total = match rows.first() {
                Some(row) => row.try_get("total")?,
                None if filter.offset > 0 => {
                    // Past the end: the window function saw no row, so count separately.
                    let mut count = sqlx::QueryBuilder::new("SELECT COUNT(*) FROM sessions");
                    push_filter(&mut count, filter);
                    count.build().fetch_one(&mut *c).await?.try_get(0)?
                }
                None => 0,
            };
            let sessions = rows
                .iter()
                .map(session_from_row)
                .collect::<StoreResult<Vec<_>>>()?;
            Ok((sessions, total))
        })
    }
}

impl Tx {
    /// Reads a session for modification. On PostgreSQL this locks its user's row first and
    /// then the session's: writes to a user (a ban closing its sessions) lock in that order
    /// too, so a session write and a user write never wait on each other in a cycle. A
    /// session's user never changes, so reading it before taking the locks is safe.
    pub async fn load_session(&mut self, id: &str) -> StoreResult<Option<Session>> {
        if self.conn().dialect() == Dialect::Postgres {
            let Some(session) = load_session(self.conn(), id, false).await? else {
                return Ok(None);
            };
            on_connection!(self.conn(), |c| sqlx::query(
                "SELECT 1 FROM users WHERE id = $1 FOR UPDATE"
            )
            .bind(&session.user_id)
            .fetch_optional(&mut *c)
            .await?
            .is_some());
        }
        load_session(self.conn(), id, true).await
    }

    pub async fn insert_session(&mut self, session: &Session) -> StoreResult<()> {
        execute!(
            self.conn(),
            "INSERT INTO sessions (id, user_id, client_id, status, last_active_organization_id, \
             last_active_at, expire_at, abandon_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &session.id,
            &session.user_id,
            &session.client_id,
            session.status.as_str(),
            &session.last_active_organization_id,
            session.last_active_at,
            session.expire_at,
            session.abandon_at,
            session.created_at,
            session.updated_at
        );
        Ok(())
    }

    /// Writes a session's status and activity time back.
    pub async fn update_session(&mut self, session: &Session) -> StoreResult<()> {
        execute!(
            self.conn(),
            "UPDATE sessions SET status = $2, last_active_at = $3, updated_at = $4 WHERE id = $1",
            &session.id,
            session.status.as_str(),
            session.last_active_at,
            session.updated_at
        );
        Ok(())
    }

    /// The user's sessions whose status is `status`, oldest first.
    pub async fn sessions_of_user(
        &mut self,
        user_id: &str,
        status: SessionStatus,
    ) -> StoreResult<Vec<Session>> {
        on_connection!(self.conn(), |c| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = $1 AND status = $2 \
                 ORDER BY created_at, id"
            )))
            .bind(user_id)
            .bind(status.as_str())
            .fetch_all(&mut *c)
            .await?;
            rows.iter().map(session_from_row).collect()
        })
    }

    /// Stamps a user's activity times without touching the row's version: these are
    /// bookkeeping, not edits, and must not make a concurrent update conflict.
    pub async fn touch_user(
        &mut self,
        user_id: &str,
        last_active_at: Millis,
        signed_in: bool,
    ) -> StoreResult<()> {
        execute!(
            self.conn(),
            "UPDATE users SET last_active_at = CASE WHEN COALESCE(last_active_at, 0) > $2 \
             THEN last_active_at ELSE $2 END, \
             last_sign_in_at = CASE WHEN $3 THEN $2 ELSE last_sign_in_at END WHERE id = $1",
            user_id,
            last_active_at,
            signed_in
        );
        Ok(())
    }
}

fn push_filter<DB>(query: &mut sqlx::QueryBuilder<DB>, filter: &SessionFilter)
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    query.push(" WHERE 1 = 1");
    if let Some(user_id) = &filter.user_id {
        query.push(" AND user_id = ").push_bind(user_id.clone());
    }
    if let Some(client_id) = &filter.client_id {
        query.push(" AND client_id = ").push_bind(client_id.clone());
    }
    if let Some(status) = filter.status {
        query
            .push(" AND status = ")
            .push_bind(status.as_str().to_owned());
    }
}

/// Reads a session; `for_update` also locks its row on PostgreSQL until the transaction ends,
/// so two nodes changing one session take turns.
async fn load_session(conn: Conn<'_>, id: &str, for_update: bool) -> StoreResult<Option<Session>> {
    let lock = match conn.dialect() {
        Dialect::Postgres if for_update => " FOR UPDATE",
        _ => "",
    };
    on_connection!(conn, |c| {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1{lock}"
        )))
        .bind(id)
        .fetch_optional(&mut *c)
        .await?;
        row.as_ref().map(session_from_row).transpose()
    })
}

#[derive(FromRow)]
struct SessionRow {
    id: String,
    user_id: String,
    client_id: String,
    status: String,
    last_active_organization_id: Option<String>,
    last_active_at: i64,
    expire_at: i64,
    abandon_at: i64,
    created_at: i64,
    updated_at: i64,
}

fn session_from_row<'r, R: Row>(row: &'r R) -> StoreResult<Session>
where
    SessionRow: FromRow<'r, R>,
{
    let row = SessionRow::from_row(row)?;
    Ok(Session {
        status: SessionStatus::parse(&row.status)
            .ok_or_else(|| StoreError::Corrupt(format!("session status {}", row.status)))?,
        id: row.id,
        user_id: row.user_id,
        client_id: row.client_id,
        last_active_organization_id: row.last_active_organization_id,
        last_active_at: row.last_active_at,
        expire_at: row.expire_at,
        abandon_at: row.abandon_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}
