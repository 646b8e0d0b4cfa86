//! The page size every listing allows. Clerk caps a page at 500 items; users, sessions and
//! webhook deliveries all page within the same bound, so it is checked here once.

use crate::error::{DomainError, DomainResult, FieldErrorKind};

/// The most items one page may hold.
pub const MAX_PAGE_LIMIT: i64 = 500;

/// How many items a page holds: 1 to [`MAX_PAGE_LIMIT`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageLimit(i64);

impl PageLimit {
    /// Refuses a limit outside the bound as `limit` (Clerk's `form_param_value_invalid`).
    pub fn new(limit: i64) -> DomainResult<Self> {
        if (1..=MAX_PAGE_LIMIT).contains(&limit) {
            Ok(PageLimit(limit))
        } else {
            Err(DomainError::field(
                "limit",
                FieldErrorKind::ValueInvalid {
                    reason: format!("must be between 1 and {MAX_PAGE_LIMIT}"),
                },
            ))
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_is_inclusive_at_both_ends() {
        for limit in [1, 10, MAX_PAGE_LIMIT] {
            assert_eq!(PageLimit::new(limit).expect("in range").get(), limit);
        }
        for limit in [i64::MIN, -1, 0, MAX_PAGE_LIMIT + 1, i64::MAX] {
            assert!(PageLimit::new(limit).is_err(), "{limit}");
        }
    }
}
