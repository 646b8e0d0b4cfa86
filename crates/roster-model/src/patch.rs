//! A field of a partial update, which must tell "not sent" apart from "sent as `null`".

use serde::{Deserialize, Deserializer};

/// One field of a change request: left as stored, cleared, or set to a value.
///
/// Deserialized from an optional JSON value: `null` is `Null` and a value is `Set`. A missing
/// key never reaches the deserializer, so the containing struct takes `Absent` from
/// `#[serde(default)]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Patch<T> {
    /// Not in the request: the stored value stays.
    #[default]
    Absent,
    /// Sent as `null`: the stored value is removed.
    Null,
    Set(T),
}

impl<T> Patch<T> {
    pub fn is_absent(&self) -> bool {
        matches!(self, Patch::Absent)
    }

    /// Whether the request names the field at all, `null` included.
    pub fn is_given(&self) -> bool {
        !self.is_absent()
    }

    /// The value, when one was set.
    pub fn as_set(&self) -> Option<&T> {
        match self {
            Patch::Set(value) => Some(value),
            Patch::Absent | Patch::Null => None,
        }
    }

    pub fn as_ref(&self) -> Patch<&T> {
        match self {
            Patch::Absent => Patch::Absent,
            Patch::Null => Patch::Null,
            Patch::Set(value) => Patch::Set(value),
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Patch<U> {
        match self {
            Patch::Absent => Patch::Absent,
            Patch::Null => Patch::Null,
            Patch::Set(value) => Patch::Set(f(value)),
        }
    }

    /// The new value when the field was given (`None` for `null`), or nothing when absent.
    pub fn given(self) -> Option<Option<T>> {
        match self {
            Patch::Absent => None,
            Patch::Null => Some(None),
            Patch::Set(value) => Some(Some(value)),
        }
    }

    /// Writes the change into `slot`; an absent field leaves it as it is.
    pub fn apply_to(self, slot: &mut Option<T>) {
        if let Some(value) = self.given() {
            *slot = value;
        }
    }
}

impl Patch<String> {
    /// An empty string set is no value: `Null`.
    pub fn empty_as_null(self) -> Self {
        match self {
            Patch::Set(value) if value.is_empty() => Patch::Null,
            other => other,
        }
    }
}

impl<T> From<Option<T>> for Patch<T> {
    /// A given field: `None` is `null`.
    fn from(value: Option<T>) -> Self {
        match value {
            Some(value) => Patch::Set(value),
            None => Patch::Null,
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(deserializer).map(Patch::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(default)]
    struct Body {
        name: Patch<String>,
        limit: Patch<i64>,
    }

    #[test]
    fn a_missing_key_is_absent_null_is_null_and_a_value_is_set() {
        let body: Body = serde_json::from_str(r#"{"name": null, "limit": 3}"#).unwrap();
        assert_eq!(body.name, Patch::Null);
        assert_eq!(body.limit, Patch::Set(3));
        let body: Body = serde_json::from_str("{}").unwrap();
        assert_eq!(body, Body::default());
        assert!(body.name.is_absent());
    }

    #[test]
    fn applying_keeps_absent_and_clears_null() {
        let mut slot = Some(1);
        Patch::Absent.apply_to(&mut slot);
        assert_eq!(slot, Some(1));
        Patch::Set(2).apply_to(&mut slot);
        assert_eq!(slot, Some(2));
        Patch::Null.apply_to(&mut slot);
        assert_eq!(slot, None);
    }
}
