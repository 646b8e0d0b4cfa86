//! A `users` row as named column values, so that an update writes only the columns it changed.
//!
//! Writing every column also rewrites the entry of every index on `users` (SQLite deletes and
//! re-inserts an index entry for each indexed column named in `SET`, changed or not), and each
//! of those entries sits on its own page of the B-tree. A first-name update then dirtied about
//! ten pages, each written to the WAL and later checkpointed. Naming only the changed columns
//! leaves untouched indexes alone; on PostgreSQL it also lets the update be HOT.

use roster_model::users::{User, identity_key};

/// One column's value, typed as both drivers bind it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ColumnValue {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(bool),
}

/// Binds one `&ColumnValue` to `$query`, borrowed, as its type; a macro so that it binds to
/// either driver's query.
macro_rules! bind_column {
    ($query:expr, $value:expr) => {
        match $value {
            $crate::user_columns::ColumnValue::Text(text) => $query.bind(text),
            $crate::user_columns::ColumnValue::Int(number) => $query.bind(number),
            $crate::user_columns::ColumnValue::Bool(flag) => $query.bind(flag),
        }
    };
}
pub(crate) use bind_column;

/// Every column of `users` but `id` and `version`, which an update names in its `WHERE`.
pub(crate) fn user_columns(user: &User) -> Vec<(&'static str, ColumnValue)> {
    use ColumnValue::{Bool, Int, Text};
    vec![
        ("external_id", Text(user.external_id.clone())),
        ("username", Text(user.username.clone())),
        (
            "username_normalized",
            Text(user.username.as_deref().map(identity_key)),
        ),
        ("first_name", Text(user.first_name.clone())),
        ("last_name", Text(user.last_name.clone())),
        ("locale", Text(user.locale.clone())),
        (
            "primary_email_address_id",
            Text(user.primary_email_address_id.clone()),
        ),
        (
            "primary_phone_number_id",
            Text(user.primary_phone_number_id.clone()),
        ),
        (
            "primary_web3_wallet_id",
            Text(user.primary_web3_wallet_id.clone()),
        ),
        (
            "public_metadata",
            Text(Some(crate::users::metadata_text(&user.public_metadata))),
        ),
        (
            "private_metadata",
            Text(Some(crate::users::metadata_text(&user.private_metadata))),
        ),
        (
            "unsafe_metadata",
            Text(Some(crate::users::metadata_text(&user.unsafe_metadata))),
        ),
        ("password_enabled", Bool(user.password_enabled)),
        (
            "password_last_updated_at",
            Int(user.password_last_updated_at),
        ),
        (
            "requires_password_reset",
            Bool(user.requires_password_reset),
        ),
        ("totp_enabled", Bool(user.totp_enabled)),
        ("backup_code_enabled", Bool(user.backup_code_enabled)),
        ("mfa_enabled_at", Int(user.mfa_enabled_at)),
        ("mfa_disabled_at", Int(user.mfa_disabled_at)),
        ("banned", Bool(user.banned)),
        ("locked_at", Int(user.lock.locked_at)),
        ("lock_expires_at", Int(user.lock.expires_at)),
        (
            "failed_password_attempts",
            Int(Some(user.lock.failed.password)),
        ),
        (
            "failed_second_factor_attempts",
            Int(Some(user.lock.failed.second_factor)),
        ),
        (
            "failed_code_attempts",
            Int(Some(user.lock.failed.one_time_code)),
        ),
        ("delete_self_enabled", Bool(user.delete_self_enabled)),
        (
            "create_organization_enabled",
            Bool(user.create_organization_enabled),
        ),
        (
            "create_organizations_limit",
            Int(user.create_organizations_limit),
        ),
        ("bypass_client_trust", Bool(user.bypass_client_trust)),
        ("legal_accepted_at", Int(user.legal_accepted_at)),
        ("last_sign_in_at", Int(user.last_sign_in_at)),
        ("last_active_at", Int(user.last_active_at)),
        ("created_at", Int(Some(user.created_at))),
        ("updated_at", Int(Some(user.updated_at))),
    ]
}

/// The columns whose value differs between `before` and `after`, in column order.
pub(crate) fn changed_columns(before: &User, after: &User) -> Vec<(&'static str, ColumnValue)> {
    user_columns(before)
        .into_iter()
        .zip(user_columns(after))
        .filter(|((_, old), (_, new))| old != new)
        .map(|(_, changed)| changed)
        .collect()
}

/// `UPDATE users SET … WHERE id = $1 AND version = $2` naming `columns` as `$3…`.
pub(crate) fn update_statement(columns: &[(&'static str, ColumnValue)]) -> String {
    numbered_update_statement(columns, 1)
}

/// `update_statement` with its parameters numbered from `$first`, to follow other statements
/// in one query.
pub(crate) fn numbered_update_statement(
    columns: &[(&'static str, ColumnValue)],
    first: usize,
) -> String {
    let mut sql = String::from("UPDATE users SET ");
    for (n, (name, _)) in columns.iter().enumerate() {
        sql.push_str(&format!("{name} = ${}, ", first + 2 + n));
    }
    sql.push_str(&format!(
        "version = version + 1 WHERE id = ${first} AND version = ${}",
        first + 1
    ));
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> User {
        User {
            id: "user_1".to_owned(),
            external_id: None,
            username: None,
            first_name: None,
            last_name: None,
            locale: None,
            primary_email_address_id: None,
            primary_phone_number_id: None,
            primary_web3_wallet_id: None,
            public_metadata: Default::default(),
            private_metadata: Default::default(),
            unsafe_metadata: Default::default(),
            password_enabled: false,
            password_last_updated_at: None,
            requires_password_reset: false,
            totp_enabled: false,
            backup_code_enabled: false,
            mfa_enabled_at: None,
            mfa_disabled_at: None,
            banned: false,
            lock: Default::default(),
            delete_self_enabled: true,
            create_organization_enabled: true,
            create_organizations_limit: None,
            bypass_client_trust: false,
            legal_accepted_at: None,
            last_sign_in_at: None,
            last_active_at: None,
            created_at: 1,
            updated_at: 1,
            version: 1,
            identifications: Vec::new(),
            lockout: Default::default(),
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
}
