//! The WHERE and ORDER BY clauses of a user listing, built from a `UserFilter`.
//!
//! Substring filters are index lookups on both backends, ignoring case:
//! - SQLite: the `user_search` and `user_search_names` FTS5 trigram tables. Terms of three or
//!   more characters are phrase queries; shorter terms cannot use trigrams and fall back to a
//!   scan of those tables. Each holds one row per user, its rowid the user's `pk`: identifiers
//!   and names apart, so that renames do not churn the identifier index (migration 0011).
//!   Triggers keep both current, but renames reach the name index once per batch, just before
//!   its COMMIT (`INDEX_RENAMED_USERS` in `sqlite.rs`), so FTS5 writes one segment per batch
//!   rather than one per rename, and `automerge = 2` (migrations 0010 to 0012) keeps searches from
//!   slowing down as segments pile up. The name index keeps no copy of the names (external
//!   content over a view, migration 0012), so a removal must hand back exactly the indexed
//!   text: a rename notes the names as they were at the batch's first rename of that user
//!   (`user_search_names_pending`), and deleting a user removes those.
//! - PostgreSQL: `ILIKE '%term%'` on columns with `pg_trgm` GIN indexes (migration 0010).
//!
//! The builders are generic over the driver so one listing serves both; the bounds name the
//! value types a listing binds.

use roster_model::users::{
    IdentificationKind, IncludeExclude, UserFilter, UserOrder, UserOrderField, identity_key,
};
use sqlx::{Database, Encode, QueryBuilder, Type};

use crate::Dialect;

pub(crate) fn push_filter<DB>(query: &mut QueryBuilder<DB>, filter: &UserFilter, dialect: Dialect)
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> bool: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
{
    query.push(" WHERE 1 = 1");
    let exact = [
        (IdentificationKind::EmailAddress, &filter.email_addresses),
        (IdentificationKind::PhoneNumber, &filter.phone_numbers),
        (IdentificationKind::Web3Wallet, &filter.web3_wallets),
    ];
    for (kind, values) in exact {
        if values.is_empty() {
            continue;
        }
        query.push(" AND id IN (SELECT user_id FROM identifications WHERE kind = ");
        query.push_bind(kind.as_str().to_owned());
        query.push(" AND value_normalized IN (");
        let mut list = query.separated(", ");
        for value in values {
            list.push_bind(kind.normalize(value));
        }
        query.push("))");
    }
    if !filter.usernames.is_empty() {
        query.push(" AND username_normalized IN (");
        let mut list = query.separated(", ");
        for username in &filter.usernames {
            list.push_bind(identity_key(username));
        }
        query.push(")");
    }
    push_include_exclude(query, "external_id", &filter.external_ids);
    push_include_exclude(query, "id", &filter.user_ids);
    push_membership(query, " IN", &filter.organization_ids.include);
    push_membership(query, " NOT IN", &filter.organization_ids.exclude);
    if filter.provider.is_some() {
        query.push(" AND 1 = 0");
    }
    let substring = [
        (None, &filter.query),
        (Some("emails"), &filter.email_address_query),
        (Some("phones"), &filter.phone_number_query),
        (Some("usernames"), &filter.username_query),
        (Some("names"), &filter.name_query),
    ];
    for (column, term) in substring {
        if let Some(term) = term.as_deref().filter(|t| !t.is_empty()) {
            match dialect {
                Dialect::Sqlite => push_substring(query, column, term),
                Dialect::Postgres => push_substring_trigram(query, column, term),
            }
        }
    }
    if let Some(banned) = filter.banned {
        query.push(" AND banned = ");
        query.push_bind(banned);
    }
    let bounds = [
        ("created_at", "<", filter.created_at_before),
        ("created_at", ">", filter.created_at_after),
        ("last_active_at", "<", filter.last_active_at_before),
        ("last_active_at", ">", filter.last_active_at_after),
        ("last_sign_in_at", "<", filter.last_sign_in_at_before),
        ("last_sign_in_at", ">", filter.last_sign_in_at_after),
    ];
    for (column, operator, bound) in bounds {
        if let Some(bound) = bound {
            query.push(format!(" AND {column} {operator} "));
            query.push_bind(bound);
        }
    }
}

/// Users with (`IN`) or without (`NOT IN`) a membership in any of `organizations`.
fn push_membership<DB>(query: &mut QueryBuilder<DB>, operator: &str, organizations: &[String])
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    if organizations.is_empty() {
        return;
    }
    query.push(format!(
        " AND id{operator} (SELECT user_id FROM organization_memberships WHERE organization_id IN ("
    ));
    let mut values = query.separated(", ");
    for organization in organizations {
        values.push_bind(organization.clone());
    }
    query.push("))");
}

fn push_include_exclude<DB>(query: &mut QueryBuilder<DB>, column: &str, list: &IncludeExclude)
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    if !list.include.is_empty() {
        query.push(format!(" AND {column} IN ("));
        let mut values = query.separated(", ");
        for value in &list.include {
            values.push_bind(value.clone());
        }
        query.push(")");
    }
    if !list.exclude.is_empty() {
        query.push(format!(" AND ({column} IS NULL OR {column} NOT IN ("));
        let mut values = query.separated(", ");
        for value in &list.exclude {
            values.push_bind(value.clone());
        }
        query.push("))");
    }
}

/// The FTS5 tables of migration 0011 and the columns each holds. Names have a table of their
/// own, so that renames, the most frequent change, do not churn the identifier index.
const SEARCH_TABLES: [(&str, &[&str]); 2] = [
    (
        "user_search",
        &["user_ids", "emails", "phones", "usernames", "web3_wallets"],
    ),
    ("user_search_names", &["names"]),
];

fn push_substring<DB>(query: &mut QueryBuilder<DB>, column: Option<&str>, term: &str)
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    query.push(" AND pk IN (");
    let mut first = true;
    for (table, columns) in SEARCH_TABLES {
        let columns: Vec<&str> = match column {
            Some(column) if columns.contains(&column) => vec![column],
            Some(_) => continue,
            None => columns.to_vec(),
        };
        if !first {
            query.push(" UNION ALL ");
        }
        first = false;
        query.push(format!("SELECT rowid FROM {table} WHERE "));
        if term.chars().count() >= 3 {
            // A phrase in double quotes matches the term as a substring; quotes inside are
            // doubled.
            let phrase = format!("\"{}\"", term.replace('"', "\"\""));
            let expression = match column {
                Some(column) => format!("{{{column}}} : {phrase}"),
                None => phrase,
            };
            query.push(format!("{table} MATCH "));
            query.push_bind(expression);
        } else {
            // Shorter terms have no trigram: a scan of the search table.
            let mut alternatives = query.separated(" OR ");
            for column in columns {
                alternatives.push(format!("instr(lower({column}), lower("));
                alternatives.push_bind_unseparated(term.to_owned());
                alternatives.push_unseparated(")) > 0");
            }
        }
    }
    query.push(")");
}

/// `term` as an `ILIKE` pattern matching it anywhere, its own `%`, `_` and `\` taken literally.
fn contains_pattern(term: &str) -> String {
    let mut pattern = String::with_capacity(term.len() + 2);
    pattern.push('%');
    for character in term.chars() {
        if matches!(character, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(character);
    }
    pattern.push('%');
    pattern
}

/// The user's display name as the search sees it; the same expression as the GIN index on
/// PostgreSQL, so the planner uses that index.
const NAMES: &str = "trim(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))";

fn push_substring_trigram<DB>(query: &mut QueryBuilder<DB>, column: Option<&str>, term: &str)
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    let pattern = contains_pattern(term);
    let identifications_of = |query: &mut QueryBuilder<DB>, kind: IdentificationKind| {
        query.push(" AND id IN (SELECT user_id FROM identifications WHERE kind = ");
        query.push_bind(kind.as_str().to_owned());
        query.push(" AND value ILIKE ");
        query.push_bind(pattern.clone());
        query.push(")");
    };
    match column {
        Some("emails") => identifications_of(query, IdentificationKind::EmailAddress),
        Some("phones") => identifications_of(query, IdentificationKind::PhoneNumber),
        Some("usernames") => {
            query.push(" AND username ILIKE ");
            query.push_bind(pattern);
        }
        Some(_) => {
            query.push(format!(" AND {NAMES} ILIKE "));
            query.push_bind(pattern);
        }
        // Every searched field: each branch is one trigram-index lookup, and their union is
        // the set of matching users.
        None => {
            query.push(" AND pk IN (SELECT pk FROM users WHERE id ILIKE ");
            query.push_bind(pattern.clone());
            query.push(" OR username ILIKE ");
            query.push_bind(pattern.clone());
            query.push(format!(" OR {NAMES} ILIKE "));
            query.push_bind(pattern.clone());
            query.push(
                " UNION SELECT u.pk FROM identifications i JOIN users u ON u.id = i.user_id \
                 WHERE i.value ILIKE ",
            );
            query.push_bind(pattern);
            query.push(")");
        }
    }
}

pub(crate) fn push_order<DB>(query: &mut QueryBuilder<DB>, order: &UserOrder, dialect: Dialect)
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
{
    let direction = if order.descending { "DESC" } else { "ASC" };
    if let Some(cursor) = &order.starting_after {
        let comparison = if order.descending { "<" } else { ">" };
        query.push(format!(
            " AND (created_at, id) {comparison} (SELECT created_at, id FROM users WHERE id = "
        ));
        query.push_bind(cursor.clone());
        query.push(")");
    }
    let primary_value = |column: &str| {
        format!("(SELECT value_normalized FROM identifications WHERE id = users.{column})")
    };
    let key = match order.field {
        UserOrderField::CreatedAt => "created_at".to_owned(),
        UserOrderField::UpdatedAt => "updated_at".to_owned(),
        UserOrderField::FirstName => "first_name".to_owned(),
        UserOrderField::LastName => "last_name".to_owned(),
        UserOrderField::Username => "username_normalized".to_owned(),
        UserOrderField::LastActiveAt => "last_active_at".to_owned(),
        UserOrderField::LastSignInAt => "last_sign_in_at".to_owned(),
        UserOrderField::EmailAddress => primary_value("primary_email_address_id"),
        UserOrderField::PhoneNumber => primary_value("primary_phone_number_id"),
        UserOrderField::Web3Wallet => primary_value("primary_web3_wallet_id"),
    };
    // SQLite sorts NULL first in ascending order; PostgreSQL is told to do the same.
    let nulls = match (dialect, order.descending) {
        (Dialect::Sqlite, _) => "",
        (Dialect::Postgres, false) => " NULLS FIRST",
        (Dialect::Postgres, true) => " NULLS LAST",
    };
    query.push(format!(
        " ORDER BY {key} {direction}{nulls}, id {direction} LIMIT "
    ));
    query.push_bind(order.limit);
    query.push(" OFFSET ");
    query.push_bind(order.offset);
}
