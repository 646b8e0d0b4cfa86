//! `GET /users` and `GET /users/count`: the bounds Clerk puts on a listing.

use roster_model::users::{User, UserFilter, UserOrder, UserOrderField};

use crate::context::Context;
use crate::error::{DomainError, DomainResult, FieldError, FieldErrorKind};
use crate::paging::PageLimit;
use crate::user_record::present;
use crate::validate;

/// A listing request as parsed from the query string, before the bounds are checked.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ListUsers {
    pub filter: UserFilter,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
    /// `order_by` as given: a field name with an optional `+` or `-`.
    pub order_by: Option<String>,
    pub starting_after: Option<String>,
}

pub(crate) async fn list(cx: &Context, request: ListUsers) -> DomainResult<Vec<User>> {
    check_filter(&request.filter)?;
    let order = order(&request)?;
    let now = roster_model::time::now_millis();
    let users = cx.store.list_users(&request.filter, &order).await?;
    Ok(users
        .into_iter()
        .map(|user| present(cx, user, now))
        .collect())
}

pub(crate) async fn count(cx: &Context, filter: UserFilter) -> DomainResult<i64> {
    check_filter(&filter)?;
    Ok(cx.store.count_users(&filter).await?)
}

fn check_filter(filter: &UserFilter) -> DomainResult<()> {
    let lists = [
        ("email_address", filter.email_addresses.len()),
        ("phone_number", filter.phone_numbers.len()),
        ("web3_wallet", filter.web3_wallets.len()),
        ("username", filter.usernames.len()),
        (
            "external_id",
            filter.external_ids.include.len() + filter.external_ids.exclude.len(),
        ),
        (
            "user_id",
            filter.user_ids.include.len() + filter.user_ids.exclude.len(),
        ),
        (
            "organization_id",
            filter.organization_ids.include.len() + filter.organization_ids.exclude.len(),
        ),
    ];
    for (param, len) in lists {
        validate::array_size(param, len).map_err(|e| DomainError::Invalid(vec![e]))?;
    }
    if let Some((provider, ids)) = &filter.provider {
        if provider.is_empty() {
            return Err(DomainError::field("provider", FieldErrorKind::Nil));
        }
        if ids.is_empty() {
            return Err(DomainError::field(
                "provider_user_id",
                FieldErrorKind::Missing,
            ));
        }
        validate::array_size("provider_user_id", ids.len())
            .map_err(|e| DomainError::Invalid(vec![e]))?;
    }
    Ok(())
}

fn order(request: &ListUsers) -> DomainResult<UserOrder> {
    let mut order = UserOrder::default();
    if let Some(limit) = request.limit {
        order.limit = PageLimit::new(limit)?.get();
    }
    if let Some(offset) = request.offset {
        if offset < 0 {
            return Err(out_of_range("offset", "zero or more"));
        }
        order.offset = offset;
    }
    if let Some(order_by) = request.order_by.as_deref().filter(|o| !o.is_empty()) {
        // By prefix, not by byte position: a first character outside ASCII has no byte 1.
        let (descending, name) = match (order_by.strip_prefix('-'), order_by.strip_prefix('+')) {
            (Some(rest), _) => (true, rest),
            (None, Some(rest)) => (false, rest),
            (None, None) => (false, order_by),
        };
        order.field = UserOrderField::parse(name).ok_or_else(|| {
            DomainError::field(
                "order_by",
                FieldErrorKind::ValueInvalid {
                    reason: "must be one of created_at, updated_at, email_address, web3wallet, \
                             first_name, last_name, phone_number, username, last_active_at, \
                             last_sign_in_at, optionally prefixed with + or -"
                        .to_owned(),
                },
            )
        })?;
        order.descending = descending;
    }
    if let Some(cursor) = request.starting_after.as_deref().filter(|c| !c.is_empty()) {
        if order.field != UserOrderField::CreatedAt {
            return Err(DomainError::field(
                "starting_after",
                FieldErrorKind::ConditionalDisallowed {
                    requires: "ordering by created_at".to_owned(),
                },
            ));
        }
        if order.offset != 0 {
            return Err(DomainError::field(
                "starting_after",
                FieldErrorKind::ConditionalDisallowed {
                    requires: "offset to be zero".to_owned(),
                },
            ));
        }
        order.starting_after = Some(cursor.to_owned());
    }
    Ok(order)
}

fn out_of_range(param: &str, range: &str) -> DomainError {
    DomainError::Invalid(vec![FieldError::new(
        param,
        FieldErrorKind::ValueInvalid {
            reason: format!("must be {range}"),
        },
    )])
}
