//! The `users` row: its columns, each named once in `for_each_user_column!`, and all that
//! follows from that list on both backends: the SELECT list, the INSERT and UPDATE statements,
//! the binds in statement order, reading a row back into a `User`, and the columns in which two
//! users differ. A new column is one line of the table plus its migration (in both folders).
//!
//! An update names only the columns that changed. Writing every column also rewrites the entry
//! of every index on `users` (SQLite deletes and re-inserts an index entry for each indexed
//! column named in `SET`, changed or not), and each of those entries sits on its own page of
//! the B-tree. A first-name update then dirtied about ten pages, each written to the WAL and
//! later checkpointed. Naming only the changed columns leaves untouched indexes alone; on
//! PostgreSQL it also lets the update be HOT.
//!
//! The statement texts are built once, on first use, so no request formats them; only an
//! update of changed columns builds its text, because which columns changed varies.

use std::fmt::Write as _;
use std::sync::LazyLock;

use roster_model::users::{Metadata, User, identity_key};
use sqlx::{ColumnIndex, Database, Decode, Row, Type};

use crate::{StoreError, StoreResult};

/// Calls `$then! { { $args } <table> }` with the columns of `users` in statement order, one
/// `name => kind(User field)` each. The kinds:
/// - `key`: the primary key, which an update finds the row by;
/// - `field`: the field, bound and read back as it is;
/// - `json`: a `Metadata` field, stored as its JSON text;
/// - `derived`: written as the named function computes it from the user, never read back;
/// - `version`: bumped by every update, which succeeds only if it is still the version read.
macro_rules! for_each_user_column {
    ($then:ident! { $($args:tt)* }) => {
        $then! { { $($args)* }
            id => key(id),
            external_id => field(external_id),
            username => field(username),
            username_normalized => derived(normalized_username),
            first_name => field(first_name),
            last_name => field(last_name),
            locale => field(locale),
            primary_email_address_id => field(primary_email_address_id),
            primary_phone_number_id => field(primary_phone_number_id),
            primary_web3_wallet_id => field(primary_web3_wallet_id),
            profile_image_id => field(profile_image_id),
            public_metadata => json(public_metadata),
            private_metadata => json(private_metadata),
            unsafe_metadata => json(unsafe_metadata),
            password_enabled => field(password_enabled),
            password_last_updated_at => field(password_last_updated_at),
            requires_password_reset => field(requires_password_reset),
            totp_enabled => field(totp_enabled),
            backup_code_enabled => field(backup_code_enabled),
            mfa_enabled_at => field(mfa_enabled_at),
            mfa_disabled_at => field(mfa_disabled_at),
            banned => field(banned),
            locked_at => field(lock.locked_at),
            lock_expires_at => field(lock.expires_at),
            failed_password_attempts => field(lock.failed.password),
            failed_second_factor_attempts => field(lock.failed.second_factor),
            failed_code_attempts => field(lock.failed.one_time_code),
            delete_self_enabled => field(delete_self_enabled),
            create_organization_enabled => field(create_organization_enabled),
            create_organizations_limit => field(create_organizations_limit),
            bypass_client_trust => field(bypass_client_trust),
            legal_accepted_at => field(legal_accepted_at),
            last_sign_in_at => field(last_sign_in_at),
            last_active_at => field(last_active_at),
            created_at => field(created_at),
            updated_at => field(updated_at),
            version => version(version),
        }
    };
}

/// What a column of the table is, for the statement texts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Key,
    Stored,
    Derived,
    Version,
}

macro_rules! column_role {
    (key) => {
        Role::Key
    };
    (field) => {
        Role::Stored
    };
    (json) => {
        Role::Stored
    };
    (derived) => {
        Role::Derived
    };
    (version) => {
        Role::Version
    };
}

macro_rules! column_list {
    ({} $($name:ident => $kind:ident($($spec:tt)*)),* $(,)?) => {
        &[$((stringify!($name), column_role!($kind))),*]
    };
}

/// Every column in statement order: the order of the binds of `bind_user`.
const COLUMNS: &[(&str, Role)] = for_each_user_column!(column_list! {});

/// The columns a `User` is read back from, for a `SELECT` list.
pub(crate) static SELECT_LIST: LazyLock<String> = LazyLock::new(|| {
    let read = COLUMNS.iter().filter(|(_, role)| *role != Role::Derived);
    read.map(|(name, _)| *name).collect::<Vec<_>>().join(", ")
});

/// `INSERT INTO users` of every column, bound by `bind_user`.
pub(crate) static INSERT: LazyLock<String> = LazyLock::new(|| {
    let names: Vec<&str> = COLUMNS.iter().map(|(name, _)| *name).collect();
    let parameters: Vec<String> = (1..=COLUMNS.len()).map(|n| format!("${n}")).collect();
    format!(
        "INSERT INTO users ({}) VALUES ({})",
        names.join(", "),
        parameters.join(", ")
    )
});

/// `UPDATE users` of every column, bound by `bind_user`, provided the stored version is still
/// the user's; the stored version becomes one past it.
pub(crate) static UPDATE_EVERY_COLUMN: LazyLock<String> = LazyLock::new(|| {
    let parameter = |wanted: Role| {
        let position = COLUMNS.iter().position(|(_, role)| *role == wanted);
        position.expect("the table has a key and a version") + 1
    };
    let (key, version) = (parameter(Role::Key), parameter(Role::Version));
    let mut sql = String::from("UPDATE users SET ");
    for (n, (name, role)) in COLUMNS.iter().enumerate() {
        if *role != Role::Version {
            let _ = write!(sql, "{name} = ${}, ", n + 1);
        }
    }
    let _ = write!(
        sql,
        "version = ${version} + 1 WHERE id = ${key} AND version = ${version}"
    );
    sql
});

macro_rules! bind_user_columns {
    ({ $query:ident, $user:ident } $($name:ident => $kind:ident($($spec:tt)*)),* $(,)?) => {
        $(let $query = bind_user_column!($query, $user, $kind($($spec)*));)*
    };
}

macro_rules! bind_user_column {
    ($query:ident, $user:ident, json($($path:ident).+)) => {
        $query.bind(metadata_text(&$user.$($path).+))
    };
    ($query:ident, $user:ident, derived($derive:ident)) => {
        $query.bind($derive($user))
    };
    ($query:ident, $user:ident, $kind:ident($($path:ident).+)) => {
        $query.bind(&$user.$($path).+)
    };
}

/// Binds a users row's values to a query of either driver.
pub(crate) trait BindUserColumns {
    /// Binds every column of `user` in statement order, for `INSERT` and `UPDATE_EVERY_COLUMN`.
    fn bind_user(self, user: &User) -> Self;
    /// Binds `columns`' values in order, for `update_statement`'s `$3…`.
    fn bind_values(self, columns: &[(&'static str, ColumnValue)]) -> Self;
}

/// A query of the driver `DB`, as `sqlx::query` makes it.
type Query<'q, DB> = sqlx::query::Query<'q, DB, <DB as Database>::Arguments>;

/// One body for both drivers' queries: their bind methods differ in type only.
macro_rules! impl_bind_user_columns {
    ($($database:ty),*) => {$(
        impl BindUserColumns for Query<'_, $database> {
            fn bind_user(self, user: &User) -> Self {
                let query = self;
                for_each_user_column!(bind_user_columns! { query, user });
                query
            }

            fn bind_values(self, columns: &[(&'static str, ColumnValue)]) -> Self {
                let mut query = self;
                for (_, value) in columns {
                    query = match value {
                        ColumnValue::Text(text) => query.bind(text),
                        ColumnValue::Int(number) => query.bind(number),
                        ColumnValue::Bool(flag) => query.bind(flag),
                    };
                }
                query
            }
        }
    )*};
}

impl_bind_user_columns!(sqlx::Sqlite, sqlx::Postgres);

macro_rules! read_user_columns {
    ({ $row:ident, $user:ident } $($name:ident => $kind:ident($($spec:tt)*)),* $(,)?) => {
        $(read_user_column!($row, $user, $name, $kind($($spec)*));)*
    };
}

macro_rules! read_user_column {
    ($row:ident, $user:ident, $name:ident, derived($derive:ident)) => {};
    ($row:ident, $user:ident, $name:ident, json($($path:ident).+)) => {
        $user.$($path).+ = parse_metadata($row.try_get(stringify!($name))?)?;
    };
    ($row:ident, $user:ident, $name:ident, $kind:ident($($path:ident).+)) => {
        $user.$($path).+ = $row.try_get(stringify!($name))?;
    };
}

/// Reads a user from a row that holds the columns of `SELECT_LIST`; the identifications are
/// left to the caller.
pub(crate) fn user_from_row<'r, R: Row>(row: &'r R) -> StoreResult<User>
where
    &'static str: ColumnIndex<R>,
    &'r str: Decode<'r, R::Database> + Type<R::Database>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    bool: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
{
    let mut user = User::default();
    for_each_user_column!(read_user_columns! { row, user });
    Ok(user)
}

/// One column's value, typed as both drivers bind it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ColumnValue {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(bool),
}

impl From<Option<String>> for ColumnValue {
    fn from(text: Option<String>) -> Self {
        ColumnValue::Text(text)
    }
}

impl From<Option<i64>> for ColumnValue {
    fn from(number: Option<i64>) -> Self {
        ColumnValue::Int(number)
    }
}

impl From<i64> for ColumnValue {
    fn from(number: i64) -> Self {
        ColumnValue::Int(Some(number))
    }
}

impl From<bool> for ColumnValue {
    fn from(flag: bool) -> Self {
        ColumnValue::Bool(flag)
    }
}

macro_rules! changed_user_columns {
    ({ $before:ident, $after:ident, $changed:ident }
        $($name:ident => $kind:ident($($spec:tt)*)),* $(,)?) => {
        $(changed_user_column!($before, $after, $changed, $name, $kind($($spec)*));)*
    };
}

macro_rules! changed_user_column {
    ($before:ident, $after:ident, $changed:ident, $name:ident, key($($path:tt)*)) => {};
    ($before:ident, $after:ident, $changed:ident, $name:ident, version($($path:tt)*)) => {};
    ($before:ident, $after:ident, $changed:ident, $name:ident, json($($path:ident).+)) => {
        // Compared as stored: two maps with their keys in another order are equal as maps,
        // but not as text.
        let both_empty = $before.$($path).+.is_empty() && $after.$($path).+.is_empty();
        if !both_empty {
            let new = metadata_text(&$after.$($path).+);
            if metadata_text(&$before.$($path).+) != new {
                $changed.push((stringify!($name), ColumnValue::Text(Some(new))));
            }
        }
    };
    ($before:ident, $after:ident, $changed:ident, $name:ident, derived($derive:ident)) => {
        let new = $derive($after);
        if $derive($before) != new {
            $changed.push((stringify!($name), ColumnValue::from(new)));
        }
    };
    ($before:ident, $after:ident, $changed:ident, $name:ident, field($($path:ident).+)) => {
        if $before.$($path).+ != $after.$($path).+ {
            let new = $after.$($path).+.clone();
            $changed.push((stringify!($name), ColumnValue::from(new)));
        }
    };
}

/// The columns whose value differs between `before` and `after`, in column order; never the
/// key or the version, which an update names in its `WHERE`.
pub(crate) fn changed_columns(before: &User, after: &User) -> Vec<(&'static str, ColumnValue)> {
    let mut changed = Vec::new();
    for_each_user_column!(changed_user_columns! { before, after, changed });
    changed
}

/// `UPDATE users SET … WHERE id = $1 AND version = $2` naming `columns` as `$3…`.
pub(crate) fn update_statement(columns: &[(&'static str, ColumnValue)]) -> String {
    let mut sql = String::new();
    push_update_statement(&mut sql, columns, 1);
    sql
}

/// Appends `update_statement` with its parameters numbered from `$first`, to follow other
/// statements in one query.
pub(crate) fn push_update_statement(
    sql: &mut String,
    columns: &[(&'static str, ColumnValue)],
    first: usize,
) {
    sql.push_str("UPDATE users SET ");
    for (n, (name, _)) in columns.iter().enumerate() {
        let _ = write!(sql, "{name} = ${}, ", first + 2 + n);
    }
    let _ = write!(
        sql,
        "version = version + 1 WHERE id = ${first} AND version = ${}",
        first + 1
    );
}

/// The key a username is unique and looked up by.
fn normalized_username(user: &User) -> Option<String> {
    user.username.as_deref().map(identity_key)
}

fn metadata_text(metadata: &Metadata) -> String {
    serde_json::to_string(metadata).expect("a map with string keys always serializes")
}

fn parse_metadata(text: &str) -> StoreResult<Metadata> {
    match serde_json::from_str(text) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        _ => Err(StoreError::Corrupt(
            "metadata is not a JSON object".to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> User {
        User {
            id: "user_1".to_owned(),
            delete_self_enabled: true,
            create_organization_enabled: true,
            created_at: 1,
            updated_at: 1,
            version: 1,
            ..User::default()
        }
    }

    #[test]
    fn only_changed_columns_are_named() {
        let before = user();
        let mut after = before.clone();
        after.first_name = Some("Ada".to_owned());
        after.updated_at += 5;
        let changed = changed_columns(&before, &after);
        let names: Vec<_> = changed.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, ["first_name", "updated_at"]);
        assert_eq!(
            update_statement(&changed),
            "UPDATE users SET first_name = $3, updated_at = $4, version = version + 1 \
             WHERE id = $1 AND version = $2"
        );
    }

    #[test]
    fn a_username_change_also_changes_its_normalized_form() {
        let before = user();
        let mut after = before.clone();
        after.username = Some("Ada".to_owned());
        let names: Vec<_> = changed_columns(&before, &after)
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        assert_eq!(names, ["username", "username_normalized"]);
    }

    /// Metadata is compared as the text it is stored as: the same keys in another order are
    /// a change to write.
    #[test]
    fn reordered_metadata_is_a_change() {
        let mut before = user();
        before.public_metadata = serde_json::from_str(r#"{"a":1,"b":2}"#).unwrap();
        let mut after = before.clone();
        after.public_metadata = serde_json::from_str(r#"{"b":2,"a":1}"#).unwrap();
        let changed = changed_columns(&before, &after);
        assert_eq!(
            changed,
            [(
                "public_metadata",
                ColumnValue::Text(Some(r#"{"b":2,"a":1}"#.to_owned()))
            )]
        );
    }

    /// The whole-row statements bind every column once, in the table's order, and the version
    /// last, where the `WHERE` of `UPDATE_EVERY_COLUMN` expects it.
    #[test]
    fn the_whole_row_statements_follow_the_table() {
        let n = COLUMNS.len();
        assert!(INSERT.ends_with(&format!("${n})")));
        assert!(UPDATE_EVERY_COLUMN.starts_with("UPDATE users SET id = $1, external_id = $2, "));
        assert!(UPDATE_EVERY_COLUMN.ends_with(&format!(
            "version = ${n} + 1 WHERE id = $1 AND version = ${n}"
        )));
        assert!(!SELECT_LIST.contains("username_normalized"));
        assert!(SELECT_LIST.starts_with("id, external_id, username, first_name, "));
    }
}
