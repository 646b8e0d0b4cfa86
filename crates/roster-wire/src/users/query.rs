//! The query string of `GET /users` and `GET /users/count`. Array parameters are repeated
//! keys (`email_address=a&email_address=b`); the paging keys and the rules every listing
//! shares are `crate::list_query`'s.

use roster_model::users::{IncludeExclude, UserFilter};
use utoipa::IntoParams;

use crate::list_query::{
    FromPairs, ListQuery, QueryError, first, first_parsed, parse_bool, restore_plus,
};

/// The parsed query: the filter, plus the paging parameters that only listings take.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UserListParams {
    pub filter: UserFilter,
    pub page: ListQuery,
    pub starting_after: Option<String>,
}

/// The filters of `GET /users` and `GET /users/count`, as the OpenAPI document describes them.
/// Nothing builds it: `UserListParams::from_pairs` reads the query, and a test holds the two to
/// the same names.
#[allow(dead_code)]
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserFilterQuery {
    /// Users with any of these email addresses.
    #[param(required = false, style = Form, explode)]
    email_address: Vec<String>,
    /// Users with any of these phone numbers.
    #[param(required = false, style = Form, explode)]
    phone_number: Vec<String>,
    /// Users with any of these web3 wallets.
    #[param(required = false, style = Form, explode)]
    web3_wallet: Vec<String>,
    /// Users with any of these usernames.
    #[param(required = false, style = Form, explode)]
    username: Vec<String>,
    /// Users with any of these external ids; `-id` excludes one.
    #[param(required = false, style = Form, explode)]
    external_id: Vec<String>,
    /// Users with any of these ids; `-id` excludes one.
    #[param(required = false, style = Form, explode)]
    user_id: Vec<String>,
    /// Users in any of these organizations; `-id` excludes one.
    #[param(required = false, style = Form, explode)]
    organization_id: Vec<String>,
    /// Users with an external account of `provider` with any of these ids.
    #[param(required = false, style = Form, explode)]
    provider_user_id: Vec<String>,
    /// The OAuth provider of `provider_user_id`, which it requires.
    #[param(required = false)]
    provider: String,
    /// A substring of any identifier or name.
    #[param(required = false)]
    query: String,
    /// A substring of an email address.
    #[param(required = false)]
    email_address_query: String,
    /// A substring of a phone number.
    #[param(required = false)]
    phone_number_query: String,
    /// A substring of a username.
    #[param(required = false)]
    username_query: String,
    /// A substring of a first or last name.
    #[param(required = false)]
    name_query: String,
    /// Only banned (`true`) or only unbanned (`false`) users.
    #[param(required = false)]
    banned: bool,
    /// Created before this Unix time in milliseconds.
    #[param(required = false)]
    created_at_before: i64,
    /// Created after this Unix time in milliseconds.
    #[param(required = false)]
    created_at_after: i64,
    /// Last active before this Unix time in milliseconds.
    #[param(required = false)]
    last_active_at_before: i64,
    /// Last active after this Unix time in milliseconds.
    #[param(required = false)]
    last_active_at_after: i64,
    /// The former name of `last_active_at_after`.
    #[deprecated]
    #[param(required = false)]
    last_active_at_since: i64,
    /// Last signed in before this Unix time in milliseconds.
    #[param(required = false)]
    last_sign_in_at_before: i64,
    /// Last signed in after this Unix time in milliseconds.
    #[param(required = false)]
    last_sign_in_at_after: i64,
}

/// The paging of `GET /users`.
#[allow(dead_code)]
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserPageQuery {
    /// How many users to return (1 to 500; 10 by default).
    #[param(required = false)]
    limit: i64,
    /// How many matching users to skip.
    #[param(required = false)]
    offset: i64,
    /// The order: a field name, optionally prefixed `+` (ascending, the default) or `-`.
    #[param(
        required = false,
        pattern = "^[+-]?(created_at|updated_at|email_address|web3wallet|first_name|last_name|phone_number|username|last_active_at|last_sign_in_at)$"
    )]
    order_by: String,
    /// Start after the user with this id, for cursor paging.
    #[param(required = false)]
    starting_after: String,
}

impl FromPairs for UserListParams {
    fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, QueryError> {
        let mut reader = FilterReader::default();
        let page = ListQuery::read(pairs, |key, value| reader.read(key, value))?;
        let starting_after = reader.starting_after.take();
        Ok(UserListParams {
            filter: reader.finish()?,
            page,
            starting_after,
        })
    }
}

/// The filter while it is read: the include/exclude lists and the provider pair are built
/// only once every pair is in.
#[derive(Default)]
struct FilterReader {
    filter: UserFilter,
    starting_after: Option<String>,
    provider: Option<String>,
    provider_user_ids: Vec<String>,
    external_ids: Vec<String>,
    user_ids: Vec<String>,
    organization_ids: Vec<String>,
}

impl FilterReader {
    fn read(&mut self, key: &str, value: String) -> Result<(), QueryError> {
        let filter = &mut self.filter;
        match key {
            "email_address" => filter.email_addresses.push(value),
            "phone_number" => filter.phone_numbers.push(value),
            "web3_wallet" => filter.web3_wallets.push(value),
            "username" => filter.usernames.push(value),
            "external_id" => self.external_ids.push(restore_plus(value)),
            "user_id" => self.user_ids.push(restore_plus(value)),
            "organization_id" => self.organization_ids.push(restore_plus(value)),
            "provider_user_id" => self.provider_user_ids.push(value),
            "provider" => first(&mut self.provider, value),
            "query" => first(&mut filter.query, value),
            "email_address_query" => first(&mut filter.email_address_query, value),
            "phone_number_query" => first(&mut filter.phone_number_query, value),
            "username_query" => first(&mut filter.username_query, value),
            "name_query" => first(&mut filter.name_query, value),
            "banned" => first_parsed(&mut filter.banned, key, &value, parse_bool)?,
            "created_at_before" => {
                first_parsed(&mut filter.created_at_before, key, &value, parse_millis)?
            }
            "created_at_after" => {
                first_parsed(&mut filter.created_at_after, key, &value, parse_millis)?
            }
            "last_active_at_before" => {
                first_parsed(&mut filter.last_active_at_before, key, &value, parse_millis)?
            }
            // `last_active_at_since` is the deprecated name of `last_active_at_after`.
            "last_active_at_after" | "last_active_at_since" => {
                first_parsed(&mut filter.last_active_at_after, key, &value, parse_millis)?;
            }
            "last_sign_in_at_before" => first_parsed(
                &mut filter.last_sign_in_at_before,
                key,
                &value,
                parse_millis,
            )?,
            "last_sign_in_at_after" => {
                first_parsed(&mut filter.last_sign_in_at_after, key, &value, parse_millis)?
            }
            "starting_after" => first(&mut self.starting_after, value),
            _ => {}
        }
        Ok(())
    }

    fn finish(self) -> Result<UserFilter, QueryError> {
        let mut filter = self.filter;
        filter.external_ids = IncludeExclude::from_values(self.external_ids);
        filter.user_ids = IncludeExclude::from_values(self.user_ids);
        filter.organization_ids = IncludeExclude::from_values(self.organization_ids);
        filter.provider = match (self.provider, self.provider_user_ids.is_empty()) {
            (Some(provider), _) => Some((provider, self.provider_user_ids)),
            (None, false) => {
                return Err(QueryError {
                    param: "provider".to_owned(),
                    expected: "given together with provider_user_id",
                });
            }
            (None, true) => None,
        };
        Ok(filter)
    }
}

/// Date filters are Unix milliseconds.
fn parse_millis(value: &str) -> Result<i64, &'static str> {
    value
        .parse()
        .map_err(|_| "a Unix timestamp in milliseconds")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &[(&str, &str)]) -> Result<UserListParams, QueryError> {
        UserListParams::from_pairs(
            query
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn repeated_keys_are_arrays_and_scalars_take_the_first() {
        let params = parse(&[
            ("email_address", "a@x.com"),
            ("email_address[]", "b@x.com"),
            ("order_by", "-username"),
            ("order_by", "created_at"),
            ("user_id", "-user_1"),
            ("user_id", "+user_2"),
            ("external_id", " ext_1"),
        ])
        .expect("parse");
        assert_eq!(params.filter.email_addresses, ["a@x.com", "b@x.com"]);
        assert_eq!(params.page.order_by.as_deref(), Some("-username"));
        assert_eq!(params.filter.user_ids.exclude, ["user_1"]);
        assert_eq!(params.filter.user_ids.include, ["user_2"]);
        assert_eq!(params.filter.external_ids.include, ["ext_1"]);
    }

    /// A parameter the document names but the parser ignored would be a silent no-op.
    #[test]
    fn every_documented_parameter_is_read() {
        use utoipa::IntoParams;
        let documented = UserFilterQuery::into_params(|| None)
            .into_iter()
            .chain(UserPageQuery::into_params(|| None));
        for parameter in documented {
            let name = parameter.name;
            let value = match name.as_str() {
                "banned" => "true",
                "provider" | "provider_user_id" => {
                    let with_pair = parse(&[("provider", "oauth_x"), ("provider_user_id", "1")]);
                    assert_ne!(with_pair.expect("parse"), UserListParams::default());
                    continue;
                }
                _ => "1",
            };
            let parsed = parse(&[(name.as_str(), value)]).expect("parse");
            assert_ne!(parsed, UserListParams::default(), "{name} is not read");
        }
    }

    #[test]
    fn typed_values_are_checked() {
        assert_eq!(parse(&[("limit", "ten")]).unwrap_err().param, "limit");
        assert_eq!(
            parse(&[("banned", "yes")]).unwrap_err().expected,
            "true or false"
        );
        assert!(parse(&[("provider_user_id", "1")]).is_err());
    }
}
