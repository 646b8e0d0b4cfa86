//! The WHERE and ORDER BY clauses of a user listing, built from a `UserFilter`.
//!
//! Substring filters go through the `user_search` trigram index: terms of three or more
//! characters are FTS5 phrase queries (index lookups that also ignore case); shorter terms
//! cannot use trigrams and fall back to a scan of that one table with `instr`.

use roster_model::users::{
    IdentificationKind, IncludeExclude, UserFilter, UserOrder, UserOrderField,
};
use sqlx::{QueryBuilder, Sqlite};

pub(crate) fn push_filter(query: &mut QueryBuilder<Sqlite>, filter: &UserFilter) {
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
        query.push_bind(kind.as_str());
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
            list.push_bind(username.to_lowercase());
        }
        query.push(")");
    }
    push_include_exclude(query, "external_id", &filter.external_ids);
    push_include_exclude(query, "id", &filter.user_ids);
    if !filter.organization_ids.include.is_empty() || filter.provider.is_some() {
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
            push_substring(query, column, term);
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

fn push_include_exclude(query: &mut QueryBuilder<Sqlite>, column: &str, list: &IncludeExclude) {
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

const SEARCH_COLUMNS: [&str; 6] = [
    "user_ids",
    "emails",
    "phones",
    "usernames",
    "web3_wallets",
    "names",
];

fn push_substring(query: &mut QueryBuilder<Sqlite>, column: Option<&str>, term: &str) {
    query.push(" AND pk IN (SELECT rowid FROM user_search WHERE ");
    if term.chars().count() >= 3 {
        // A phrase in double quotes matches the term as a substring; quotes inside are doubled.
        let phrase = format!("\"{}\"", term.replace('"', "\"\""));
        let expression = match column {
            Some(column) => format!("{{{column}}} : {phrase}"),
            None => phrase,
        };
        query.push("user_search MATCH ");
        query.push_bind(expression);
    } else {
        let columns: &[&str] = match column {
            Some(column) => &[column][..],
            None => &SEARCH_COLUMNS[..],
        };
        let mut alternatives = query.separated(" OR ");
        for column in columns {
            alternatives.push(format!("instr(lower({column}), lower("));
            alternatives.push_bind_unseparated(term.to_owned());
            alternatives.push_unseparated(")) > 0");
        }
    }
    query.push(")");
}

pub(crate) fn push_order(query: &mut QueryBuilder<Sqlite>, order: &UserOrder) {
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
    query.push(format!(
        " ORDER BY {key} {direction}, id {direction} LIMIT "
    ));
    query.push_bind(order.limit);
    query.push(" OFFSET ");
    query.push_bind(order.offset);
}
