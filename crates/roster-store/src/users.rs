//! The users aggregate: a `users` row and its `identifications` rows, always written together
//! in one transaction. Triggers (migration 0011) keep the search rows in step.

use std::sync::LazyLock;

use roster_model::users::{IdentificationKind, User, UserFilter, UserOrder};
use sqlx::{FromRow, Row};

use crate::error::classify;
use crate::identifications::{
    IDENTIFICATION_COLUMNS, IdentificationColumns, identification_from_columns,
    identifications_from_json,
};
use crate::search::{push_filter, push_order};
use crate::user_columns::{
    BindUserColumns, INSERT, SELECT_LIST, UPDATE_EVERY_COLUMN, changed_columns, update_statement,
    user_from_row,
};
use crate::{Conn, Dialect, Store, StoreError, StoreResult, Tx, execute, on_connection};

impl Store {
    pub async fn get_user(&self, id: &str) -> StoreResult<Option<User>> {
        let mut reader = self.reader().await?;
        load_user(reader.conn(), id, false).await
    }

    pub async fn list_users(
        &self,
        filter: &UserFilter,
        order: &UserOrder,
    ) -> StoreResult<Vec<User>> {
        let mut reader = self.reader().await?;
        let dialect = reader.conn().dialect();
        let users = on_connection!(reader.conn(), |c| {
            let mut query = sqlx::QueryBuilder::new(LIST_USERS.as_str());
            push_filter(&mut query, filter, dialect);
            push_order(&mut query, order, dialect);
            let rows = query
                .build()
                .persistent(keep_listing_statement(dialect))
                .fetch_all(&mut *c)
                .await?;
            rows.iter()
                .map(user_from_row)
                .collect::<StoreResult<Vec<_>>>()?
        });
        attach_identifications(reader.conn(), users).await
    }

    /// Up to `limit` users in id order after `after` (from the first when `None`), with their
    /// identifications: a scan that never skips or repeats a user, whatever the table's size.
    pub async fn users_after(&self, after: Option<&str>, limit: i64) -> StoreResult<Vec<User>> {
        let mut reader = self.reader().await?;
        let users = on_connection!(reader.conn(), |c| {
            let rows = sqlx::query(USERS_AFTER.as_str())
                .bind(after.unwrap_or(""))
                .bind(limit)
                .fetch_all(&mut *c)
                .await?;
            rows.iter()
                .map(user_from_row)
                .collect::<StoreResult<Vec<_>>>()?
        });
        attach_identifications(reader.conn(), users).await
    }

    pub async fn count_users(&self, filter: &UserFilter) -> StoreResult<i64> {
        let mut reader = self.reader().await?;
        let dialect = reader.conn().dialect();
        on_connection!(reader.conn(), |c| {
            let mut query = sqlx::QueryBuilder::new("SELECT COUNT(*) FROM users");
            push_filter(&mut query, filter, dialect);
            let count: i64 = query
                .build()
                .persistent(keep_listing_statement(dialect))
                .fetch_one(&mut *c)
                .await?
                .try_get(0)?;
            Ok(count)
        })
    }
}

impl Tx {
    /// Reads a user for modification. On SQLite the transaction holds the single write lock;
    /// on PostgreSQL the row is locked (`FOR UPDATE`) until the transaction ends. Either way no
    /// other writer, on this node or another, changes the user in between.
    pub async fn load_user(&mut self, id: &str) -> StoreResult<Option<User>> {
        let user = load_user(self.conn(), id, true).await?;
        if let Some(user) = &user {
            self.track_user(user);
        }
        Ok(user)
    }

    pub async fn identifier_owner(
        &mut self,
        kind: IdentificationKind,
        normalized: &str,
    ) -> StoreResult<Option<String>> {
        let row = on_connection!(self.conn(), |c| {
            sqlx::query(
                "SELECT user_id FROM identifications WHERE kind = $1 AND value_normalized = $2",
            )
            .bind(kind.as_str())
            .bind(normalized)
            .fetch_optional(&mut *c)
            .await?
            .map(|row| row.get(0))
        });
        Ok(row)
    }

    pub async fn user_with_external_id(
        &mut self,
        external_id: &str,
    ) -> StoreResult<Option<String>> {
        Ok(on_connection!(self.conn(), |c| {
            sqlx::query("SELECT id FROM users WHERE external_id = $1")
                .bind(external_id)
                .fetch_optional(&mut *c)
                .await?
                .map(|row| row.get(0))
        }))
    }

    pub async fn user_with_username(&mut self, normalized: &str) -> StoreResult<Option<String>> {
        Ok(on_connection!(self.conn(), |c| {
            sqlx::query("SELECT id FROM users WHERE username_normalized = $1")
                .bind(normalized)
                .fetch_optional(&mut *c)
                .await?
                .map(|row| row.get(0))
        }))
    }

    pub async fn insert_user(&mut self, user: &User) -> StoreResult<()> {
        on_connection!(self.conn(), |c| {
            sqlx::query(INSERT.as_str())
                .bind_user(user)
                .execute(&mut *c)
                .await
                .map_err(|error| classify(error, None))?;
        });
        for identification in &user.identifications {
            self.insert_identification(identification).await?;
        }
        Ok(())
    }

    /// Treats `user`, read outside this transaction, as if `load_user` had read it here:
    /// `update_user` then writes only what changed, and fails with `Conflict` if the stored
    /// user is no longer that version.
    pub fn track_user(&mut self, user: &User) {
        self.loaded_users.retain(|loaded| loaded.id != user.id);
        self.loaded_users.push(user.clone());
    }

    /// Writes `user` back, provided nobody changed it since it was read (`version`). A user
    /// read by `load_user` in this transaction has only its changed columns written.
    pub async fn update_user(&mut self, user: &User) -> StoreResult<()> {
        let loaded = self
            .loaded_users
            .iter()
            .position(|loaded| loaded.id == user.id && loaded.version == user.version);
        let rows = match loaded {
            Some(index) => {
                let before = self.loaded_users.swap_remove(index);
                let changed = changed_columns(&before, user);
                // Built only from the fixed column names of `user_columns`; values are bound.
                let sql = update_statement(&changed);
                on_connection!(self.conn(), |c| {
                    sqlx::query(sqlx::AssertSqlSafe(sql))
                        .bind(&user.id)
                        .bind(user.version)
                        .bind_values(&changed)
                        .execute(&mut *c)
                        .await
                        .map_err(|error| classify(error, None))?
                        .rows_affected()
                })
            }
            None => on_connection!(self.conn(), |c| {
                sqlx::query(UPDATE_EVERY_COLUMN.as_str())
                    .bind_user(user)
                    .execute(&mut *c)
                    .await
                    .map_err(|error| classify(error, None))?
                    .rows_affected()
            }),
        };
        if rows != 1 {
            return Err(StoreError::Conflict);
        }
        Ok(())
    }

    pub async fn delete_user(&mut self, id: &str) -> StoreResult<bool> {
        let rows = execute!(self.conn(), "DELETE FROM users WHERE id = $1", id);
        Ok(rows == 1)
    }
}

// Identifications come back in the order they were added: created in the same millisecond they
// tie on `created_at`, and insertion order (SQLite's rowid, PostgreSQL's `pk`) then decides, not
// the random id.
//
// One statement returns a user with its identifications (as a JSON array), because every
// statement is a round trip to the connection's thread, and reading a user is the hottest path.
// PostgreSQL's JSON has real booleans; they are cast to 0/1 so both backends give one array.
static LOAD_USER_SQLITE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {}, \
           (SELECT json_group_array(json_array({IDENTIFICATION_COLUMNS}) \
                   ORDER BY created_at, rowid) \
              FROM identifications WHERE user_id = users.id) AS identifications \
         FROM users WHERE id = $1",
        *SELECT_LIST
    )
});

static LOAD_USER_POSTGRES: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {}, \
           (SELECT coalesce(json_agg(json_build_array(id, user_id, kind, value, \
                reserved::int, verification_strategy, verification_status, \
                verification_attempts, verification_expire_at, \
                reserved_for_second_factor::int, default_second_factor::int, created_at, \
                updated_at) ORDER BY created_at, pk), '[]')::text \
              FROM identifications WHERE user_id = users.id) AS identifications \
         FROM users WHERE id = $1",
        *SELECT_LIST
    )
});

static LOAD_USER_POSTGRES_FOR_UPDATE: LazyLock<String> =
    LazyLock::new(|| format!("{} FOR UPDATE OF users", *LOAD_USER_POSTGRES));

static USERS_AFTER: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {} FROM users WHERE id > $1 ORDER BY id LIMIT $2",
        *SELECT_LIST
    )
});

static LIST_USERS: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {} FROM users", *SELECT_LIST));

/// Whether a listing's prepared statement is kept for reuse. PostgreSQL plans a kept statement
/// once for any parameters after a few runs, and a plan made without knowing the search term
/// cannot tell that `ILIKE '%rare%'` matches a handful of rows: it scanned instead of using the
/// trigram indexes. Unkept, each listing is planned for its own term. SQLite plans the same way
/// whatever the values, so it keeps its statements.
fn keep_listing_statement(dialect: Dialect) -> bool {
    dialect == Dialect::Sqlite
}

async fn load_user(conn: Conn<'_>, id: &str, for_update: bool) -> StoreResult<Option<User>> {
    let statement: &'static str = match (conn.dialect(), for_update) {
        (Dialect::Sqlite, _) => &LOAD_USER_SQLITE,
        (Dialect::Postgres, false) => &LOAD_USER_POSTGRES,
        (Dialect::Postgres, true) => &LOAD_USER_POSTGRES_FOR_UPDATE,
    };
    on_connection!(conn, |c| {
        let row = sqlx::query(statement)
            .bind(id)
            .fetch_optional(&mut *c)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let mut user = user_from_row(&row)?;
        let identifications: String = row.try_get("identifications")?;
        user.identifications = identifications_from_json(&identifications)?;
        Ok(Some(user))
    })
}

/// Loads the identifications of a page of users with one query rather than one per user. A
/// second statement, not a JSON subquery in the listing as `load_user` has: SQLite computes
/// such a subquery for every matching row before the sort and limit, which made searches over
/// 100,000 users about 12% slower.
async fn attach_identifications(conn: Conn<'_>, mut users: Vec<User>) -> StoreResult<Vec<User>> {
    if users.is_empty() {
        return Ok(users);
    }
    let insertion_order = match conn.dialect() {
        Dialect::Sqlite => "rowid",
        Dialect::Postgres => "pk",
    };
    let identifications = on_connection!(conn, |c| {
        let mut query = sqlx::QueryBuilder::new(format!(
            "SELECT {IDENTIFICATION_COLUMNS} FROM identifications WHERE user_id IN ("
        ));
        let mut ids = query.separated(", ");
        for user in &users {
            ids.push_bind(user.id.clone());
        }
        query.push(format!(") ORDER BY created_at, {insertion_order}"));
        let rows = query.build().fetch_all(&mut *c).await?;
        rows.iter()
            .map(|row| identification_from_columns(IdentificationColumns::<bool>::from_row(row)?))
            .collect::<StoreResult<Vec<_>>>()?
    });
    for identification in identifications {
        if let Some(user) = users.iter_mut().find(|u| u.id == identification.user_id) {
            user.identifications.push(identification);
        }
    }
    Ok(users)
}
