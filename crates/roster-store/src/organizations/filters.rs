//! The WHERE clauses and pages of the organization and membership listings. Substring
//! filters are `LIKE` on SQLite (case-insensitive for ASCII) and `ILIKE` on PostgreSQL, where
//! the names and slugs of organizations have trigram indexes (migration 0016).

use roster_model::organizations::{MembershipFilter, OrganizationFilter};
use roster_model::users::{IdentificationKind, IncludeExclude, identity_key};
use sqlx::{Database, Encode, QueryBuilder, Type};

use crate::Dialect;

/// The filters on the member's own data: identifiers, substrings and times.
fn push_member_data<DB>(query: &mut QueryBuilder<DB>, filter: &MembershipFilter, dialect: Dialect)
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
{
    let exact = [
        (IdentificationKind::EmailAddress, &filter.email_addresses),
        (IdentificationKind::PhoneNumber, &filter.phone_numbers),
        (IdentificationKind::Web3Wallet, &filter.web3_wallets),
    ];
    for (kind, values) in exact {
        if values.is_empty() {
            continue;
        }
        query.push(" AND u.id IN (SELECT user_id FROM identifications WHERE kind = ");
        query.push_bind(kind.as_str().to_owned());
        query.push(" AND value_normalized IN (");
        let keys: Vec<String> = values.iter().map(|v| kind.normalize(v)).collect();
        push_list(query, &keys);
        query.push("))");
    }
    if !filter.usernames.is_empty() {
        query.push(" AND u.username_normalized IN (");
        let keys: Vec<String> = filter.usernames.iter().map(|v| identity_key(v)).collect();
        push_list(query, &keys);
        query.push(")");
    }
    let like = match dialect {
        Dialect::Sqlite => "LIKE",
        Dialect::Postgres => "ILIKE",
    };
    for (kind, term) in [
        (
            IdentificationKind::EmailAddress,
            &filter.email_address_query,
        ),
        (IdentificationKind::PhoneNumber, &filter.phone_number_query),
    ] {
        if let Some(term) = term.as_deref().filter(|t| !t.is_empty()) {
            query.push(
                " AND EXISTS (SELECT 1 FROM identifications i WHERE i.user_id = u.id AND i.kind = ",
            );
            query.push_bind(kind.as_str().to_owned());
            query.push(format!(" AND i.value {like} "));
            query.push_bind(like_pattern(term));
            query.push(" ESCAPE '\\')");
        }
    }
    if let Some(term) = filter.username_query.as_deref().filter(|t| !t.is_empty()) {
        query.push(format!(" AND u.username {like} "));
        query.push_bind(like_pattern(term));
        query.push(" ESCAPE '\\'");
    }
    if let Some(term) = filter.name_query.as_deref().filter(|t| !t.is_empty()) {
        query.push(" AND (");
        let columns = [
            "u.first_name",
            "u.last_name",
            "(u.first_name || ' ' || u.last_name)",
        ];
        for (i, column) in columns.iter().enumerate() {
            if i > 0 {
                query.push(" OR ");
            }
            query.push(format!("{column} {like} "));
            query.push_bind(like_pattern(term));
            query.push(" ESCAPE '\\'");
        }
        query.push(")");
    }
    let bounds = [
        ("u.created_at <", filter.created_at_before),
        ("u.created_at >", filter.created_at_after),
        ("u.last_active_at <", filter.last_active_at_before),
        ("u.last_active_at >", filter.last_active_at_after),
    ];
    for (condition, bound) in bounds {
        if let Some(bound) = bound {
            query.push(format!(" AND {condition} "));
            query.push_bind(bound);
        }
    }
}

pub(super) fn push_page<DB>(query: &mut QueryBuilder<DB>, limit: i64, offset: i64)
where
    DB: Database,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
{
    query.push(" LIMIT ");
    query.push_bind(limit);
    query.push(" OFFSET ");
    query.push_bind(offset);
}

pub(super) fn push_organization_filter<DB>(
    query: &mut QueryBuilder<DB>,
    filter: &OrganizationFilter,
    dialect: Dialect,
) where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    query.push(" WHERE 1 = 1");
    if let Some(term) = filter.query.as_deref().filter(|t| !t.is_empty()) {
        let pattern = like_pattern(term);
        let like = match dialect {
            Dialect::Sqlite => "LIKE",
            Dialect::Postgres => "ILIKE",
        };
        query.push(" AND (organizations.id = ");
        query.push_bind(term.to_owned());
        query.push(format!(" OR organizations.name {like} "));
        query.push_bind(pattern.clone());
        query.push(" ESCAPE '\\'");
        query.push(format!(" OR organizations.slug {like} "));
        query.push_bind(pattern);
        query.push(" ESCAPE '\\')");
    }
    push_include_exclude(query, "organizations.id", &filter.organization_ids);
    let members = "(SELECT organization_id FROM organization_memberships WHERE user_id IN (";
    if !filter.user_ids.include.is_empty() {
        query.push(format!(" AND organizations.id IN {members}"));
        push_list(query, &filter.user_ids.include);
        query.push("))");
    }
    if !filter.user_ids.exclude.is_empty() {
        query.push(format!(" AND organizations.id NOT IN {members}"));
        push_list(query, &filter.user_ids.exclude);
        query.push("))");
    }
}

pub(super) fn push_membership_filter<DB>(
    query: &mut QueryBuilder<DB>,
    filter: &MembershipFilter,
    dialect: Dialect,
) where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
{
    query.push(" WHERE 1 = 1");
    push_member_data(query, filter, dialect);
    if let Some(organization_id) = &filter.organization_id {
        query.push(" AND m.organization_id = ");
        query.push_bind(organization_id.clone());
    }
    if let Some(user_id) = &filter.user_id {
        query.push(" AND m.user_id = ");
        query.push_bind(user_id.clone());
    }
    push_include_exclude(query, "m.user_id", &filter.user_ids);
    if !filter.roles.is_empty() {
        query.push(" AND m.role IN (");
        push_list(query, &filter.roles);
        query.push(")");
    }
    if let Some(term) = filter.query.as_deref().filter(|t| !t.is_empty()) {
        let like = match dialect {
            Dialect::Sqlite => "LIKE",
            Dialect::Postgres => "ILIKE",
        };
        query.push(" AND (u.id = ");
        query.push_bind(term.to_owned());
        for column in ["u.first_name", "u.last_name", "u.username"] {
            query.push(format!(" OR {column} {like} "));
            query.push_bind(like_pattern(term));
            query.push(" ESCAPE '\\'");
        }
        query.push(format!(
            " OR EXISTS (SELECT 1 FROM identifications i WHERE i.user_id = u.id \
             AND i.value {like} "
        ));
        query.push_bind(like_pattern(term));
        query.push(" ESCAPE '\\'))");
    }
}

fn push_include_exclude<DB>(query: &mut QueryBuilder<DB>, column: &str, list: &IncludeExclude)
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    if !list.include.is_empty() {
        query.push(format!(" AND {column} IN ("));
        push_list(query, &list.include);
        query.push(")");
    }
    if !list.exclude.is_empty() {
        query.push(format!(" AND {column} NOT IN ("));
        push_list(query, &list.exclude);
        query.push(")");
    }
}

pub(super) fn push_list<DB>(query: &mut QueryBuilder<DB>, values: &[String])
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    let mut list = query.separated(", ");
    for value in values {
        list.push_bind(value.clone());
    }
}

/// `%term%` with the term's own `%`, `_` and `\` matched literally.
pub(super) fn like_pattern(term: &str) -> String {
    let mut pattern = String::with_capacity(term.len() + 2);
    pattern.push('%');
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}
