//! The query string of every listing (`GET /users`, `/users/count`, `/sessions`, a webhook
//! endpoint's deliveries), read by one reader. Pairs are read once, in order, so the first
//! bad value is the one named: the paging keys (`limit`, `offset`, `order_by`) here, the same
//! for every listing, and every other key by the listing's own filter. A scalar given twice
//! counts at its first occurrence, as with Clerk; keys no one reads are ignored, as Clerk
//! ignores them. Whether a page's size or order is allowed is the domain's to say.

/// A query parameter whose value does not have the expected type.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{param} must be {expected}")]
pub struct QueryError {
    pub param: String,
    pub expected: &'static str,
}

/// A listing's parsed query, read from its decoded pairs.
pub trait FromPairs: Sized {
    fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, QueryError>;
}

/// The paging keys of a listing, as given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub limit: Option<i64>,
    pub offset: Option<i64>,
    /// A field name with an optional `+` or `-`.
    pub order_by: Option<String>,
}

impl ListQuery {
    /// Reads decoded `pairs`, handing each key that is not a paging key to `filter`.
    pub fn read<I, F>(pairs: I, mut filter: F) -> Result<ListQuery, QueryError>
    where
        I: IntoIterator<Item = (String, String)>,
        F: FnMut(&str, String) -> Result<(), QueryError>,
    {
        let mut query = ListQuery::default();
        for (key, value) in pairs {
            // Some clients spell array keys with brackets (`email_address[]=`).
            let key = key.strip_suffix("[]").unwrap_or(&key);
            match key {
                "limit" => first_parsed(&mut query.limit, key, &value, parse_integer)?,
                "offset" => first_parsed(&mut query.offset, key, &value, parse_integer)?,
                "order_by" => first(&mut query.order_by, restore_plus(value)),
                _ => filter(key, value)?,
            }
        }
        Ok(query)
    }
}

/// In a form-encoded query an unescaped `+` arrives as a space. Where a `+` prefix is
/// meaningful (ordering direction, include lists) a leading space can only be that `+`.
pub fn restore_plus(value: String) -> String {
    match value.strip_prefix(' ') {
        Some(rest) => format!("+{rest}"),
        None => value,
    }
}

/// Keeps a scalar's first occurrence.
pub fn first(slot: &mut Option<String>, value: String) {
    if slot.is_none() {
        *slot = Some(value);
    }
}

/// Parses a scalar at its first occurrence; later occurrences are ignored unread.
pub fn first_parsed<T>(
    slot: &mut Option<T>,
    key: &str,
    value: &str,
    parse: fn(&str) -> Result<T, &'static str>,
) -> Result<(), QueryError> {
    if slot.is_none() {
        let parsed = parse(value).map_err(|expected| QueryError {
            param: key.to_owned(),
            expected,
        })?;
        *slot = Some(parsed);
    }
    Ok(())
}

pub fn parse_bool(value: &str) -> Result<bool, &'static str> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err("true or false"),
    }
}

pub fn parse_integer(value: &str) -> Result<i64, &'static str> {
    value.parse().map_err(|_| "an integer")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<(ListQuery, Vec<String>), QueryError> {
        let mut others = Vec::new();
        let pairs = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
        let query = ListQuery::read(pairs, |key, value| {
            others.push(format!("{key}={value}"));
            Ok(())
        })?;
        Ok((query, others))
    }

    #[test]
    fn paging_keys_take_their_first_occurrence_and_the_rest_go_to_the_filter() {
        let (query, others) = read(&[
            ("limit", "5"),
            ("limit", "not read"),
            ("order_by", " created_at"),
            ("offset[]", "2"),
            ("user_id", "a"),
            ("user_id[]", "b"),
        ])
        .expect("read");
        assert_eq!(
            query,
            ListQuery {
                limit: Some(5),
                offset: Some(2),
                order_by: Some("+created_at".to_owned()),
            }
        );
        assert_eq!(others, ["user_id=a", "user_id=b"]);
    }

    #[test]
    fn the_first_bad_value_is_named() {
        let error = read(&[("offset", "x"), ("limit", "y")]).unwrap_err();
        assert_eq!(
            error,
            QueryError {
                param: "offset".to_owned(),
                expected: "an integer"
            }
        );
    }
}
