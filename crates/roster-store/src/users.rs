//! The users aggregate: a `users` row and its `identifications` rows, always written together
//! in one transaction. Triggers (migration 0011) keep the search rows in step.

use std::sync::LazyLock;

use roster_model::users::{
    FailedAttempts, Identification, IdentificationKind, LockState, LockoutView, Metadata, User,
    UserFilter, UserOrder, Verification, VerificationStatus, VerificationStrategy, identity_key,
};
use sqlx::{FromRow, Row};

use crate::error::classify;
use crate::search::{push_filter, push_order};
use crate::user_columns::{bind_column, changed_columns, update_statement};
use crate::{Conn, Dialect, Store, StoreError, StoreResult, Tx, execute, on_connection};

const USER_COLUMNS: &str = "id, external_id, username, first_name, last_name, locale, \
    primary_email_address_id, primary_phone_number_id, primary_web3_wallet_id, \
    public_metadata, private_metadata, unsafe_metadata, password_enabled, \
    password_last_updated_at, requires_password_reset, totp_enabled, backup_code_enabled, \
    mfa_enabled_at, mfa_disabled_at, banned, locked_at, lock_expires_at, failed_password_attempts, \
    failed_second_factor_attempts, failed_code_attempts, delete_self_enabled, create_organization_enabled, create_organizations_limit, \
    bypass_client_trust, legal_accepted_at, last_sign_in_at, last_active_at, created_at, \
    updated_at, version";

/// Binds the 36 columns of `INSERT INTO users` / `UPDATE users` in statement order; a macro so
/// that it binds to either driver's query.
macro_rules! bind_user {
    ($query:expr, $user:expr) => {{
        let user: &User = $user;
        $query
            .bind(&user.id)
            .bind(&user.external_id)
            .bind(&user.username)
            .bind(user.username.as_deref().map(identity_key))
            .bind(&user.first_name)
            .bind(&user.last_name)
            .bind(&user.locale)
            .bind(&user.primary_email_address_id)
            .bind(&user.primary_phone_number_id)
            .bind(&user.primary_web3_wallet_id)
            .bind(metadata_text(&user.public_metadata))
            .bind(metadata_text(&user.private_metadata))
            .bind(metadata_text(&user.unsafe_metadata))
            .bind(user.password_enabled)
            .bind(user.password_last_updated_at)
            .bind(user.requires_password_reset)
            .bind(user.totp_enabled)
            .bind(user.backup_code_enabled)
            .bind(user.mfa_enabled_at)
            .bind(user.mfa_disabled_at)
            .bind(user.banned)
            .bind(user.lock.locked_at)
            .bind(user.lock.expires_at)
            .bind(user.lock.failed.password)
            .bind(user.lock.failed.second_factor)
            .bind(user.lock.failed.one_time_code)
            .bind(user.delete_self_enabled)
            .bind(user.create_organization_enabled)
            .bind(user.create_organizations_limit)
            .bind(user.bypass_client_trust)
            .bind(user.legal_accepted_at)
            .bind(user.last_sign_in_at)
            .bind(user.last_active_at)
            .bind(user.created_at)
            .bind(user.updated_at)
            .bind(user.version)
    }};
}

const UPDATE_EVERY_COLUMN: &str = "UPDATE users SET id = $1, external_id = $2, username = $3, \
    username_normalized = $4, first_name = $5, last_name = $6, locale = $7, \
    primary_email_address_id = $8, primary_phone_number_id = $9, primary_web3_wallet_id = $10, \
    public_metadata = $11, private_metadata = $12, unsafe_metadata = $13, password_enabled = $14, \
    password_last_updated_at = $15, requires_password_reset = $16, totp_enabled = $17, \
    backup_code_enabled = $18, mfa_enabled_at = $19, mfa_disabled_at = $20, banned = $21, \
    locked_at = $22, lock_expires_at = $23, failed_password_attempts = $24, \
    failed_second_factor_attempts = $25, failed_code_attempts = $26, delete_self_enabled = $27, \
    create_organization_enabled = $28, create_organizations_limit = $29, \
    bypass_client_trust = $30, legal_accepted_at = $31, last_sign_in_at = $32, \
    last_active_at = $33, created_at = $34, updated_at = $35, version = $36 + 1 \
    WHERE id = $1 AND version = $36";

pub(crate) const IDENTIFICATION_COLUMNS: &str = "id, user_id, kind, value, reserved, \
    verification_strategy, verification_status, verification_attempts, verification_expire_at, \
    reserved_for_second_factor, default_second_factor, created_at, updated_at";

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
            let mut query = sqlx::QueryBuilder::new(format!("SELECT {USER_COLUMNS} FROM users"));
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
        const INSERT: &str = "INSERT INTO users (id, external_id, username, username_normalized, first_name, \
             last_name, locale, primary_email_address_id, primary_phone_number_id, \
             primary_web3_wallet_id, public_metadata, private_metadata, unsafe_metadata, \
             password_enabled, password_last_updated_at, requires_password_reset, totp_enabled, \
             backup_code_enabled, mfa_enabled_at, mfa_disabled_at, banned, locked_at, \
             lock_expires_at, failed_password_attempts, failed_second_factor_attempts, \
             failed_code_attempts, delete_self_enabled, create_organization_enabled, \
             create_organizations_limit, bypass_client_trust, legal_accepted_at, last_sign_in_at, \
             last_active_at, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, \
             $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, \
             $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36)";
        on_connection!(self.conn(), |c| {
            bind_user!(sqlx::query(INSERT), user)
                .execute(&mut *c)
                .await
                .map_err(|error| classify(error, None))?;
        });
        for identification in &user.identifications {
            self.insert_identification(identification).await?;
        }
        Ok(())
    }

    /// Writes every column of the user row, provided nobody changed it since `user.version`
    /// was read; the stored version becomes `user.version + 1`.
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
                    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                        .bind(&user.id)
                        .bind(user.version);
                    for (_, value) in &changed {
                        query = bind_column!(query, value);
                    }
                    query
                        .execute(&mut *c)
                        .await
                        .map_err(|error| classify(error, None))?
                        .rows_affected()
                })
            }
            None => on_connection!(self.conn(), |c| {
                bind_user!(sqlx::query(UPDATE_EVERY_COLUMN), user)
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

    pub async fn insert_identification(
        &mut self,
        identification: &Identification,
    ) -> StoreResult<()> {
        let verification = identification.verification.as_ref();
        on_connection!(self.conn(), |c| {
            sqlx::query(
            "INSERT INTO identifications (id, user_id, kind, value, value_normalized, reserved, \
             verification_strategy, verification_status, verification_attempts, \
             verification_expire_at, reserved_for_second_factor, default_second_factor, \
             created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(&identification.id)
        .bind(&identification.user_id)
        .bind(identification.kind.as_str())
        .bind(&identification.value)
        .bind(identification.kind.normalize(&identification.value))
        .bind(identification.reserved)
        .bind(verification.map(|v| v.strategy.as_str()))
        .bind(verification.map(|v| v.status.as_str()))
        .bind(verification.and_then(|v| v.attempts))
        .bind(verification.and_then(|v| v.expire_at))
        .bind(identification.reserved_for_second_factor)
        .bind(identification.default_second_factor)
        .bind(identification.created_at)
        .bind(identification.updated_at)
                .execute(&mut *c)
                .await
                .map_err(|error| classify(error, Some(identification.kind)))?;
        });
        Ok(())
    }
}

pub(crate) fn metadata_text(metadata: &Metadata) -> String {
    serde_json::Value::Object(metadata.clone()).to_string()
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
        "SELECT {USER_COLUMNS}, \
           (SELECT json_group_array(json_array({IDENTIFICATION_COLUMNS}) \
                   ORDER BY created_at, rowid) \
              FROM identifications WHERE user_id = users.id) AS identifications \
         FROM users WHERE id = $1"
    )
});

static LOAD_USER_POSTGRES: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {USER_COLUMNS}, \
           (SELECT coalesce(json_agg(json_build_array(id, user_id, kind, value, \
                reserved::int, verification_strategy, verification_status, \
                verification_attempts, verification_expire_at, \
                reserved_for_second_factor::int, default_second_factor::int, created_at, \
                updated_at) ORDER BY created_at, pk), '[]')::text \
              FROM identifications WHERE user_id = users.id) AS identifications \
         FROM users WHERE id = $1"
    )
});

static LOAD_USER_POSTGRES_FOR_UPDATE: LazyLock<String> =
    LazyLock::new(|| format!("{} FOR UPDATE OF users", *LOAD_USER_POSTGRES));

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

/// The identifications of one user as `load_user` aggregates them: an array of arrays in
/// `IDENTIFICATION_COLUMNS` order.
fn identifications_from_json(text: &str) -> StoreResult<Vec<Identification>> {
    type Columns = (
        String,
        String,
        String,
        String,
        i64,
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<i64>,
        i64,
        i64,
        i64,
        i64,
    );
    let rows: Vec<Columns> = serde_json::from_str(text)
        .map_err(|error| StoreError::Corrupt(format!("identifications: {error}")))?;
    rows.into_iter()
        .map(|row| {
            identification_from_columns(IdentificationRow {
                id: row.0,
                user_id: row.1,
                kind: row.2,
                value: row.3,
                reserved: row.4 != 0,
                verification_strategy: row.5,
                verification_status: row.6,
                verification_attempts: row.7,
                verification_expire_at: row.8,
                reserved_for_second_factor: row.9 != 0,
                default_second_factor: row.10 != 0,
                created_at: row.11,
                updated_at: row.12,
            })
        })
        .collect()
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
            .map(|row| identification_from_columns(IdentificationRow::from_row(row)?))
            .collect::<StoreResult<Vec<_>>>()?
    });
    for identification in identifications {
        if let Some(user) = users.iter_mut().find(|u| u.id == identification.user_id) {
            user.identifications.push(identification);
        }
    }
    Ok(users)
}

#[derive(FromRow)]
struct UserRow {
    id: String,
    external_id: Option<String>,
    username: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    locale: Option<String>,
    primary_email_address_id: Option<String>,
    primary_phone_number_id: Option<String>,
    primary_web3_wallet_id: Option<String>,
    public_metadata: String,
    private_metadata: String,
    unsafe_metadata: String,
    password_enabled: bool,
    password_last_updated_at: Option<i64>,
    requires_password_reset: bool,
    totp_enabled: bool,
    backup_code_enabled: bool,
    mfa_enabled_at: Option<i64>,
    mfa_disabled_at: Option<i64>,
    banned: bool,
    locked_at: Option<i64>,
    lock_expires_at: Option<i64>,
    failed_password_attempts: i64,
    failed_second_factor_attempts: i64,
    failed_code_attempts: i64,
    delete_self_enabled: bool,
    create_organization_enabled: bool,
    create_organizations_limit: Option<i64>,
    bypass_client_trust: bool,
    legal_accepted_at: Option<i64>,
    last_sign_in_at: Option<i64>,
    last_active_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
    version: i64,
}

fn user_from_row<'r, R: Row>(row: &'r R) -> StoreResult<User>
where
    UserRow: FromRow<'r, R>,
{
    let row = UserRow::from_row(row)?;
    Ok(User {
        public_metadata: parse_metadata(&row.public_metadata)?,
        private_metadata: parse_metadata(&row.private_metadata)?,
        unsafe_metadata: parse_metadata(&row.unsafe_metadata)?,
        id: row.id,
        external_id: row.external_id,
        username: row.username,
        first_name: row.first_name,
        last_name: row.last_name,
        locale: row.locale,
        primary_email_address_id: row.primary_email_address_id,
        primary_phone_number_id: row.primary_phone_number_id,
        primary_web3_wallet_id: row.primary_web3_wallet_id,
        password_enabled: row.password_enabled,
        password_last_updated_at: row.password_last_updated_at,
        requires_password_reset: row.requires_password_reset,
        totp_enabled: row.totp_enabled,
        backup_code_enabled: row.backup_code_enabled,
        mfa_enabled_at: row.mfa_enabled_at,
        mfa_disabled_at: row.mfa_disabled_at,
        banned: row.banned,
        lock: LockState {
            locked_at: row.locked_at,
            expires_at: row.lock_expires_at,
            failed: FailedAttempts {
                password: row.failed_password_attempts,
                second_factor: row.failed_second_factor_attempts,
                one_time_code: row.failed_code_attempts,
            },
        },
        delete_self_enabled: row.delete_self_enabled,
        create_organization_enabled: row.create_organization_enabled,
        create_organizations_limit: row.create_organizations_limit,
        bypass_client_trust: row.bypass_client_trust,
        legal_accepted_at: row.legal_accepted_at,
        last_sign_in_at: row.last_sign_in_at,
        last_active_at: row.last_active_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
        version: row.version,
        identifications: Vec::new(),
        lockout: LockoutView::default(),
    })
}

fn parse_metadata(text: &str) -> StoreResult<Metadata> {
    match serde_json::from_str(text) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        _ => Err(StoreError::Corrupt(
            "metadata is not a JSON object".to_owned(),
        )),
    }
}

/// One identification's columns, read as a row or from the JSON array of `load_user`.
#[derive(FromRow)]
struct IdentificationRow {
    id: String,
    user_id: String,
    kind: String,
    value: String,
    reserved: bool,
    verification_strategy: Option<String>,
    verification_status: Option<String>,
    verification_attempts: Option<i64>,
    verification_expire_at: Option<i64>,
    reserved_for_second_factor: bool,
    default_second_factor: bool,
    created_at: i64,
    updated_at: i64,
}

fn identification_from_columns(row: IdentificationRow) -> StoreResult<Identification> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("unknown {what} in identification"));
    let kind = IdentificationKind::parse(&row.kind).ok_or_else(|| corrupt("kind"))?;
    let verification = match (row.verification_strategy, row.verification_status) {
        (Some(strategy), Some(status)) => Some(Verification {
            strategy: VerificationStrategy::parse(&strategy).ok_or_else(|| corrupt("strategy"))?,
            status: VerificationStatus::parse(&status).ok_or_else(|| corrupt("status"))?,
            attempts: row.verification_attempts,
            expire_at: row.verification_expire_at,
        }),
        _ => None,
    };
    Ok(Identification {
        id: row.id,
        user_id: row.user_id,
        kind,
        value: row.value,
        reserved: row.reserved,
        verification,
        reserved_for_second_factor: row.reserved_for_second_factor,
        default_second_factor: row.default_second_factor,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}
