//! Sessions: one row each, never deleted with their user (ending a session is a status).

use roster_model::sessions::{Session, SessionFilter, SessionStatus};
use roster_model::time::Millis;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use crate::{Backend, Store, StoreError, StoreResult, Tx};

const SESSION_COLUMNS: &str = "id, user_id, client_id, status, last_active_organization_id, \
    last_active_at, expire_at, abandon_at, created_at, updated_at";

impl Store {
    pub async fn get_session(&self, id: &str) -> StoreResult<Option<Session>> {
        match &self.backend {
            Backend::Sqlite { reader, .. } => {
                let mut connection = reader.acquire().await?;
                load_session(&mut connection, id).await
            }
        }
    }

    /// Sessions matching `filter`, newest first, and how many match in all.
    pub async fn list_sessions(&self, filter: &SessionFilter) -> StoreResult<(Vec<Session>, i64)> {
        match &self.backend {
            Backend::Sqlite { reader, .. } => {
                let mut connection = reader.acquire().await?;
                let mut query = sqlx::QueryBuilder::new(format!(
                    "SELECT {SESSION_COLUMNS}, COUNT(*) OVER () AS total FROM sessions"
                ));
                push_filter(&mut query, filter);
                query
                    .push(" ORDER BY created_at DESC, id DESC LIMIT ")
                    .push_bind(filter.limit)
                    .push(" OFFSET ")
                    .push_bind(filter.offset);
                let rows = query.build().fetch_all(&mut *connection).await?;
                let total = match rows.first() {
                    Some(row) => row.try_get("total")?,
                    None if filter.offset > 0 => {
                        // Past the end: the window function saw no row, so count separately.
                        let mut count = sqlx::QueryBuilder::new("SELECT COUNT(*) FROM sessions");
                        push_filter(&mut count, filter);
                        count
                            .build()
                            .fetch_one(&mut *connection)
                            .await?
                            .try_get(0)?
                    }
                    None => 0,
                };
                let sessions = rows
                    .iter()
                    .map(session_from_row)
                    .collect::<StoreResult<Vec<_>>>()?;
                Ok((sessions, total))
            }
        }
    }
}

impl Tx {
    pub async fn load_session(&mut self, id: &str) -> StoreResult<Option<Session>> {
        load_session(self.connection(), id).await
    }

    pub async fn insert_session(&mut self, session: &Session) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (id, user_id, client_id, status, last_active_organization_id, \
             last_active_at, expire_at, abandon_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&session.id)
        .bind(&session.user_id)
        .bind(&session.client_id)
        .bind(session.status.as_str())
        .bind(&session.last_active_organization_id)
        .bind(session.last_active_at)
        .bind(session.expire_at)
        .bind(session.abandon_at)
        .bind(session.created_at)
        .bind(session.updated_at)
        .execute(self.connection())
        .await?;
        Ok(())
    }

    /// Writes a session's status and activity time back.
    pub async fn update_session(&mut self, session: &Session) -> StoreResult<()> {
        sqlx::query(
            "UPDATE sessions SET status = $2, last_active_at = $3, updated_at = $4 WHERE id = $1",
        )
        .bind(&session.id)
        .bind(session.status.as_str())
        .bind(session.last_active_at)
        .bind(session.updated_at)
        .execute(self.connection())
        .await?;
        Ok(())
    }

    /// The user's sessions whose status is `status`, oldest first.
    pub async fn sessions_of_user(
        &mut self,
        user_id: &str,
        status: SessionStatus,
    ) -> StoreResult<Vec<Session>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = $1 AND status = $2 \
             ORDER BY created_at, id"
        )))
        .bind(user_id)
        .bind(status.as_str())
        .fetch_all(self.connection())
        .await?;
        rows.iter().map(session_from_row).collect()
    }

    /// Stamps a user's activity times without touching the row's version: these are
    /// bookkeeping, not edits, and must not make a concurrent update conflict.
    pub async fn touch_user(
        &mut self,
        user_id: &str,
        last_active_at: Millis,
        signed_in: bool,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE users SET last_active_at = MAX(COALESCE(last_active_at, 0), $2), \
             last_sign_in_at = CASE WHEN $3 THEN $2 ELSE last_sign_in_at END WHERE id = $1",
        )
        .bind(user_id)
        .bind(last_active_at)
        .bind(signed_in)
        .execute(self.connection())
        .await?;
        Ok(())
    }
}

fn push_filter(query: &mut sqlx::QueryBuilder<sqlx::Sqlite>, filter: &SessionFilter) {
    query.push(" WHERE 1 = 1");
    if let Some(user_id) = &filter.user_id {
        query.push(" AND user_id = ").push_bind(user_id.clone());
    }
    if let Some(client_id) = &filter.client_id {
        query.push(" AND client_id = ").push_bind(client_id.clone());
    }
    if let Some(status) = filter.status {
        query.push(" AND status = ").push_bind(status.as_str());
    }
}

async fn load_session(connection: &mut SqliteConnection, id: &str) -> StoreResult<Option<Session>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(connection)
    .await?;
    row.as_ref().map(session_from_row).transpose()
}

fn session_from_row(row: &SqliteRow) -> StoreResult<Session> {
    let status: String = row.try_get("status")?;
    Ok(Session {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        client_id: row.try_get("client_id")?,
        status: SessionStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("session status {status}")))?,
        last_active_organization_id: row.try_get("last_active_organization_id")?,
        last_active_at: row.try_get("last_active_at")?,
        expire_at: row.try_get("expire_at")?,
        abandon_at: row.try_get("abandon_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}
