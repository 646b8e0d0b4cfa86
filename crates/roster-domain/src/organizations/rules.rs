//! The rules an organization's fields follow, and the bounds of a listing's page.

use roster_model::ids::OrganizationId;
use roster_model::organizations::{Organization, Page};
use roster_model::time::Millis;
use roster_store::Tx;

use crate::error::{DomainError, DomainResult, FieldError, FieldErrorKind};
use crate::metadata;
use crate::paging::PageLimit;
use crate::user_record::invalid;
use crate::validate;

use super::{NewOrganization, OrganizationChanges, slug_taken};

/// The page size when a listing names none, as on Clerk.
const DEFAULT_LIMIT: i64 = 10;

/// A new organization from a valid request (its slug empty when one is to be made from the
/// name; `max_allowed_memberships` the instance's default when absent), or every problem with
/// the request.
pub(super) fn check_new(
    input: &NewOrganization,
    default_max: i64,
    now: Millis,
) -> DomainResult<Organization> {
    let mut errors = Vec::new();
    let name = match input.name.as_deref().map(str::trim) {
        None => {
            errors.push(FieldError::new("name", FieldErrorKind::Missing));
            String::new()
        }
        Some(name) => {
            errors.extend(check_name(name).err());
            name.to_owned()
        }
    };
    let slug = match input.slug.as_deref() {
        Some(slug) => {
            errors.extend(check_slug(slug).err());
            slug.to_owned()
        }
        None => String::new(),
    };
    if let Some(max) = input.max_allowed_memberships {
        errors.extend(check_max(max).err());
    }
    let mut created_at = now;
    if let Some(value) = &input.created_at {
        match validate::timestamp("created_at", value, true) {
            Ok(millis) => created_at = millis,
            Err(error) => errors.push(error),
        }
    }
    let mut tier = |param: &str, value: &Option<serde_json::Value>| match value {
        Some(value) => metadata::replacement(param, value).unwrap_or_else(|error| {
            if let DomainError::Invalid(found) = error {
                errors.extend(found);
            }
            Default::default()
        }),
        None => Default::default(),
    };
    let public_metadata = tier("public_metadata", &input.public_metadata);
    let private_metadata = tier("private_metadata", &input.private_metadata);
    invalid(errors)?;
    Ok(Organization {
        id: OrganizationId::generate().into_string(),
        name,
        slug,
        created_by: input.created_by.clone(),
        max_allowed_memberships: input.max_allowed_memberships.unwrap_or(default_max),
        admin_delete_enabled: true,
        public_metadata,
        private_metadata,
        members_count: 0,
        created_at,
        updated_at: now,
    })
}

/// Applies `changes` to `organization`, or refuses them all.
pub(super) async fn apply_changes(
    tx: &mut Tx,
    organization: &mut Organization,
    changes: OrganizationChanges,
) -> DomainResult<()> {
    let mut errors = Vec::new();
    let mut updated = organization.clone();
    if let Some(name) = changes.name.as_deref().map(str::trim) {
        match check_name(name) {
            Ok(()) => updated.name = name.to_owned(),
            Err(error) => errors.push(error),
        }
    }
    if let Some(slug) = changes.slug {
        match check_slug(&slug) {
            Ok(()) => updated.slug = slug,
            Err(error) => errors.push(error),
        }
    }
    if let Some(max) = changes.max_allowed_memberships {
        match check_max(max) {
            Ok(()) => updated.max_allowed_memberships = max,
            Err(error) => errors.push(error),
        }
    }
    if let Some(enabled) = changes.admin_delete_enabled {
        updated.admin_delete_enabled = enabled;
    }
    if let Some(value) = &changes.created_at {
        match validate::timestamp("created_at", value, true) {
            Ok(millis) => updated.created_at = millis,
            Err(error) => errors.push(error),
        }
    }
    for (param, value, slot) in [
        (
            "public_metadata",
            &changes.public_metadata,
            &mut updated.public_metadata,
        ),
        (
            "private_metadata",
            &changes.private_metadata,
            &mut updated.private_metadata,
        ),
    ] {
        if let Some(value) = value {
            match metadata::replacement(param, value) {
                Ok(metadata) => *slot = metadata,
                Err(DomainError::Invalid(found)) => errors.extend(found),
                Err(other) => return Err(other),
            }
        }
    }
    invalid(errors)?;
    if updated.slug != organization.slug && tx.organization_slug_taken(&updated.slug).await? {
        return Err(slug_taken());
    }
    *organization = updated;
    Ok(())
}

fn check_name(name: &str) -> Result<(), FieldError> {
    if name.is_empty() {
        return Err(FieldError::new("name", FieldErrorKind::Nil));
    }
    validate::text("name", name)?;
    validate::displayable("name", name)
}

/// Clerk's slugs: lowercase ASCII letters, digits and dashes.
fn check_slug(slug: &str) -> Result<(), FieldError> {
    if slug.is_empty() {
        return Err(FieldError::new("slug", FieldErrorKind::Nil));
    }
    validate::text("slug", slug)?;
    if !slug
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(FieldError::new(
            "slug",
            FieldErrorKind::FormatInvalid {
                expected: "lowercase letters, digits and dashes".to_owned(),
            },
        ));
    }
    Ok(())
}

fn check_max(max: i64) -> Result<(), FieldError> {
    if max < 0 {
        return Err(FieldError::new(
            "max_allowed_memberships",
            FieldErrorKind::ValueInvalid {
                reason: "must be 0 (unlimited) or more".to_owned(),
            },
        ));
    }
    Ok(())
}

/// The slug Clerk makes from a name: lowercase letters and digits, every other run of
/// characters one dash, none at either end.
pub(crate) fn slug_from_name(name: &str) -> String {
    let mut slug = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    slug.truncate(validate::MAX_TEXT_LENGTH - 12);
    slug
}

/// A slug made from `name` that no organization holds: the name's own, or that with a random
/// suffix.
pub(super) async fn free_slug(tx: &mut Tx, name: &str) -> DomainResult<String> {
    let base = slug_from_name(name);
    if !base.is_empty() && !tx.organization_slug_taken(&base).await? {
        return Ok(base);
    }
    for _ in 0..5 {
        let id = OrganizationId::generate().into_string();
        let suffix: String = id
            .trim_start_matches("org_")
            .chars()
            .rev()
            .take(8)
            .collect::<String>()
            .to_ascii_lowercase();
        let slug = if base.is_empty() {
            suffix
        } else {
            format!("{base}-{suffix}")
        };
        if !tx.organization_slug_taken(&slug).await? {
            return Ok(slug);
        }
    }
    Err(slug_taken())
}

/// A page: `order_by` (`field`, `+field` or `-field`) read by `parse`, else `default`;
/// `limit` 1 to 500 (10 when absent); `offset` 0 or more.
pub(crate) fn page<F>(
    order_by: Option<&str>,
    default: &str,
    parse: fn(&str) -> Option<F>,
    limit: Option<i64>,
    offset: Option<i64>,
) -> DomainResult<Page<F>> {
    let order_by = order_by.unwrap_or(default);
    let (descending, name) = match order_by.strip_prefix('-') {
        Some(name) => (true, name),
        None => (false, order_by.strip_prefix('+').unwrap_or(order_by)),
    };
    let field = parse(name).ok_or_else(|| {
        DomainError::field(
            "order_by",
            FieldErrorKind::ValueInvalid {
                reason: "names a field the listing cannot be ordered by".to_owned(),
            },
        )
    })?;
    let limit = PageLimit::new(limit.unwrap_or(DEFAULT_LIMIT))?.get();
    let offset = offset.unwrap_or(0);
    if offset < 0 {
        return Err(DomainError::field(
            "offset",
            FieldErrorKind::ValueInvalid {
                reason: "must be 0 or more".to_owned(),
            },
        ));
    }
    Ok(Page {
        field,
        descending,
        limit,
        offset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_follow_the_name() {
        assert_eq!(slug_from_name("Acme Inc."), "acme-inc");
        assert_eq!(slug_from_name("  Grid -- Walkers 2 "), "grid-walkers-2");
        assert_eq!(slug_from_name("Ünïcode"), "n-code");
        assert_eq!(slug_from_name("!!!"), "");
    }

    #[test]
    fn slugs_are_lowercase_letters_digits_and_dashes() {
        assert!(check_slug("acme-2").is_ok());
        for bad in ["", "Acme", "acme_inc", "acme inc", "org_abc"] {
            assert!(check_slug(bad).is_err(), "{bad}");
        }
    }
}
