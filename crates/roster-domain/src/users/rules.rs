//! The format rules of a user's own fields, one set for create and update alike: each check
//! that needs no stored data, every failure collected, in one order.

use roster_model::time::Millis;

use crate::error::{FieldError, FieldErrorKind};
use crate::settings::UsernameSettings;
use crate::validate;

/// The fields a request gives, as text to check; `None` is "not given" (or cleared).
#[derive(Clone, Copy, Default)]
pub(crate) struct UserFields<'a> {
    pub external_id: Option<&'a str>,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub locale: Option<&'a str>,
    pub username: Option<&'a str>,
    pub create_organizations_limit: Option<i64>,
    pub created_at: Option<&'a str>,
    pub legal_accepted_at: Option<&'a str>,
}

/// The timestamps of a request that passed the rules, as Unix milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Timestamps {
    pub created_at: Option<Millis>,
    pub legal_accepted_at: Option<Millis>,
}

/// Checks `fields`, adding every failure to `errors`. `more` adds the request's own checks
/// (create's identifier lists) where they come in the order of the answer.
pub(crate) fn check(
    fields: &UserFields<'_>,
    username_rules: &UsernameSettings,
    errors: &mut Vec<FieldError>,
    more: impl FnOnce(&mut Vec<FieldError>),
) -> Timestamps {
    let text_fields = [
        ("external_id", fields.external_id),
        ("first_name", fields.first_name),
        ("last_name", fields.last_name),
    ];
    for (param, value) in text_fields {
        if let Some(value) = value {
            errors.extend(validate::text(param, value).err());
        }
    }
    let names = [
        ("first_name", fields.first_name),
        ("last_name", fields.last_name),
    ];
    for (param, value) in names {
        if let Some(value) = value {
            errors.extend(validate::displayable(param, value).err());
        }
    }
    if let Some(locale) = fields.locale {
        errors.extend(validate::locale(locale).err());
    }
    if let Some(username) = fields.username {
        errors.extend(validate::username(username, username_rules).err());
    }
    more(errors);
    if fields
        .create_organizations_limit
        .is_some_and(|limit| limit < 0)
    {
        errors.push(FieldError::new(
            "create_organizations_limit",
            FieldErrorKind::ValueInvalid {
                reason: "must be zero (unlimited) or a positive number".to_owned(),
            },
        ));
    }
    Timestamps {
        created_at: timestamp("created_at", fields.created_at, errors),
        legal_accepted_at: timestamp("legal_accepted_at", fields.legal_accepted_at, errors),
    }
}

/// A past RFC 3339 timestamp, or `None` with the failure added to `errors`.
fn timestamp(param: &str, value: Option<&str>, errors: &mut Vec<FieldError>) -> Option<Millis> {
    match validate::timestamp(param, value?, true) {
        Ok(millis) => Some(millis),
        Err(error) => {
            errors.push(error);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|error| error.param.as_str()).collect()
    }

    #[test]
    fn every_failure_is_collected_in_the_order_of_the_fields() {
        let fields = UserFields {
            first_name: Some("a\nb"),
            locale: Some("not a tag!"),
            create_organizations_limit: Some(-1),
            created_at: Some("yesterday"),
            legal_accepted_at: Some("2999-01-01T00:00:00Z"),
            ..UserFields::default()
        };
        let mut errors = Vec::new();
        let times = check(
            &fields,
            &UsernameSettings::default(),
            &mut errors,
            |errors| {
                errors.push(FieldError::new("email_address", FieldErrorKind::Duplicate));
            },
        );
        assert_eq!(
            kinds(&errors),
            [
                "first_name",
                "locale",
                "email_address",
                "create_organizations_limit",
                "created_at",
                "legal_accepted_at"
            ]
        );
        assert_eq!(times, Timestamps::default());
    }

    #[test]
    fn valid_timestamps_come_back_as_milliseconds() {
        let fields = UserFields {
            created_at: Some("2020-01-01T00:00:00Z"),
            ..UserFields::default()
        };
        let mut errors = Vec::new();
        let times = check(&fields, &UsernameSettings::default(), &mut errors, |_| {});
        assert!(errors.is_empty());
        assert_eq!(times.created_at, Some(1_577_836_800_000));
        assert_eq!(times.legal_accepted_at, None);
    }
}
