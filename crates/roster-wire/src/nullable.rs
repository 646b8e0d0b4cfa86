//! Keeping "absent" apart from `null` in request bodies.

use serde::{Deserialize, Deserializer};

/// For `#[serde(default, deserialize_with = "double_option")]` fields: an absent key stays
/// `None`, `null` becomes `Some(None)`, and a value `Some(Some(value))`.
pub fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}
