//! The three metadata tiers and how they change: deep merge (PATCH …/metadata) and replace.

use roster_model::users::{Metadata, User};
use serde_json::Value;

use crate::error::{DomainError, FieldErrorKind};

/// Clerk caps metadata at 8 KB; Roster applies the cap to each tier's serialized JSON.
pub const MAX_METADATA_BYTES: usize = 8 * 1024;

/// The three tiers, each optional in a request.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetadataChanges {
    pub public_metadata: Option<Value>,
    pub private_metadata: Option<Value>,
    pub unsafe_metadata: Option<Value>,
}

impl MetadataChanges {
    pub fn is_empty(&self) -> bool {
        self.public_metadata.is_none()
            && self.private_metadata.is_none()
            && self.unsafe_metadata.is_none()
    }

    pub(crate) fn tiers(&self) -> [(&'static str, Option<&Value>); 3] {
        [
            ("public_metadata", self.public_metadata.as_ref()),
            ("private_metadata", self.private_metadata.as_ref()),
            ("unsafe_metadata", self.unsafe_metadata.as_ref()),
        ]
    }
}

/// A metadata value given as the whole new content of a tier: an object, or `null` for empty.
pub(crate) fn replacement(param: &str, value: &Value) -> Result<Metadata, DomainError> {
    let metadata = match value {
        Value::Null => Metadata::new(),
        Value::Object(map) => map.clone(),
        _ => return Err(not_an_object(param)),
    };
    check_size(param, &metadata)?;
    Ok(metadata)
}

/// Merges `patch` into `stored` at every depth: objects merge key by key, `null` removes a
/// key, and any other value (arrays included) replaces what was there. A top-level `null`
/// empties the tier.
pub(crate) fn merged(
    param: &str,
    stored: &Metadata,
    patch: &Value,
) -> Result<Metadata, DomainError> {
    let mut result = stored.clone();
    match patch {
        Value::Null => result.clear(),
        Value::Object(patch) => merge_into(&mut result, patch),
        _ => return Err(not_an_object(param)),
    }
    check_size(param, &result)?;
    Ok(result)
}

/// Replaces each given tier of `user` whole (`PUT …/metadata`, and update and create).
pub(crate) fn replace_tiers(user: &mut User, changes: &MetadataChanges) -> Result<(), DomainError> {
    let [public, private, unsafe_] = changes.tiers();
    if let Some(value) = public.1 {
        user.public_metadata = replacement(public.0, value)?;
    }
    if let Some(value) = private.1 {
        user.private_metadata = replacement(private.0, value)?;
    }
    if let Some(value) = unsafe_.1 {
        user.unsafe_metadata = replacement(unsafe_.0, value)?;
    }
    Ok(())
}

/// Deep-merges each given tier into `user`'s (`PATCH …/metadata`).
pub(crate) fn merge_tiers(user: &mut User, changes: &MetadataChanges) -> Result<(), DomainError> {
    let [public, private, unsafe_] = changes.tiers();
    if let Some(patch) = public.1 {
        user.public_metadata = merged(public.0, &user.public_metadata, patch)?;
    }
    if let Some(patch) = private.1 {
        user.private_metadata = merged(private.0, &user.private_metadata, patch)?;
    }
    if let Some(patch) = unsafe_.1 {
        user.unsafe_metadata = merged(unsafe_.0, &user.unsafe_metadata, patch)?;
    }
    Ok(())
}

fn merge_into(stored: &mut Metadata, patch: &Metadata) {
    for (key, value) in patch {
        match value {
            Value::Null => {
                stored.remove(key);
            }
            Value::Object(patch_object) => match stored.get_mut(key) {
                Some(Value::Object(stored_object)) => merge_into(stored_object, patch_object),
                _ => {
                    let mut fresh = Metadata::new();
                    merge_into(&mut fresh, patch_object);
                    stored.insert(key.clone(), Value::Object(fresh));
                }
            },
            other => {
                stored.insert(key.clone(), other.clone());
            }
        }
    }
}

fn not_an_object(param: &str) -> DomainError {
    DomainError::field(
        param,
        FieldErrorKind::ValueInvalid {
            reason: "must be a JSON object".to_owned(),
        },
    )
}

fn check_size(param: &str, metadata: &Metadata) -> Result<(), DomainError> {
    let size = Value::Object(metadata.clone()).to_string().len();
    if size > MAX_METADATA_BYTES {
        return Err(DomainError::field(
            param,
            FieldErrorKind::ExceedsAllowedSize {
                max_bytes: MAX_METADATA_BYTES,
            },
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Metadata {
        value.as_object().expect("object").clone()
    }

    #[test]
    fn merge_follows_the_worked_example() {
        let stored = object(json!({"a": 1, "b": {"c": 2, "d": 3}, "e": [1, 2]}));
        let patch = json!({"b": {"c": null, "x": 9}, "e": [3], "f": "new"});
        let result = merged("public_metadata", &stored, &patch).expect("merge");
        assert_eq!(
            Value::Object(result),
            json!({"a": 1, "b": {"d": 3, "x": 9}, "e": [3], "f": "new"})
        );
    }

    #[test]
    fn nulls_inside_new_objects_mean_absent_at_any_depth() {
        let stored = object(json!({"keep": true}));
        let patch = json!({"n": {"a": {"b": null, "c": 1}, "d": null}});
        let result = merged("p", &stored, &patch).expect("merge");
        assert_eq!(
            Value::Object(result),
            json!({"keep": true, "n": {"a": {"c": 1}}})
        );
    }

    #[test]
    fn object_replaces_scalar_and_scalar_replaces_object() {
        let stored = object(json!({"a": 1, "b": {"c": 1}}));
        let result = merged("p", &stored, &json!({"a": {"x": 1}, "b": 2})).expect("merge");
        assert_eq!(Value::Object(result), json!({"a": {"x": 1}, "b": 2}));
    }

    #[test]
    fn top_level_null_empties_and_non_objects_are_refused() {
        let stored = object(json!({"a": 1}));
        assert!(
            merged("p", &stored, &Value::Null)
                .expect("merge")
                .is_empty()
        );
        assert!(merged("p", &stored, &json!([1])).is_err());
        assert!(replacement("p", &json!("text")).is_err());
    }

    #[test]
    fn oversized_metadata_is_refused() {
        let big = "x".repeat(MAX_METADATA_BYTES);
        assert!(replacement("p", &json!({ "big": big })).is_err());
    }
}
