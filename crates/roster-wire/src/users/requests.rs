//! Request bodies of the `/users` family. Unknown keys are found by the HTTP layer, which
//! deserializes through `serde_ignored`; these types only say what is known.

use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use roster_model::Patch;

/// `POST /users`. For creation `null` and absent mean the same, so plain `Option`s suffice.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, ToSchema)]
pub struct CreateUserRequest {
    pub external_id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub locale: Option<String>,
    pub email_address: Option<Vec<String>>,
    pub email_address_identification_status: Option<Vec<IdentificationStatus>>,
    pub phone_number: Option<Vec<String>>,
    pub phone_number_identification_status: Option<Vec<IdentificationStatus>>,
    pub web3_wallet: Option<Vec<String>>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub password_digest: Option<String>,
    pub password_hasher: Option<String>,
    pub skip_password_checks: Option<bool>,
    pub skip_password_requirement: Option<bool>,
    pub totp_secret: Option<String>,
    pub backup_codes: Option<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Option<Value>)]
    pub public_metadata: Patch<Value>,
    #[serde(default)]
    #[schema(value_type = Option<Value>)]
    pub private_metadata: Patch<Value>,
    #[serde(default)]
    #[schema(value_type = Option<Value>)]
    pub unsafe_metadata: Patch<Value>,
    pub delete_self_enabled: Option<bool>,
    pub legal_accepted_at: Option<String>,
    pub skip_legal_checks: Option<bool>,
    pub skip_user_requirement: Option<bool>,
    pub create_organization_enabled: Option<bool>,
    pub create_organizations_limit: Option<i64>,
    pub created_at: Option<String>,
    pub bypass_client_trust: Option<bool>,
    pub banned: Option<bool>,
    pub locked: Option<bool>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum IdentificationStatus {
    Verified,
    Reserved,
}

/// `PATCH /users/{id}`: nullable fields keep "absent" apart from `null` (`Patch`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, ToSchema)]
pub struct UpdateUserRequest {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub external_id: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub first_name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub last_name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub locale: Patch<String>,
    pub primary_email_address_id: Option<String>,
    pub notify_primary_email_address_changed: Option<bool>,
    pub primary_phone_number_id: Option<String>,
    pub primary_web3_wallet_id: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub username: Patch<String>,
    pub profile_image_id: Option<String>,
    pub password: Option<String>,
    pub password_digest: Option<String>,
    pub password_hasher: Option<String>,
    pub skip_password_checks: Option<bool>,
    pub sign_out_of_other_sessions: Option<bool>,
    pub totp_secret: Option<String>,
    pub backup_codes: Option<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Option<Value>)]
    pub public_metadata: Patch<Value>,
    #[serde(default)]
    #[schema(value_type = Option<Value>)]
    pub private_metadata: Patch<Value>,
    #[serde(default)]
    #[schema(value_type = Option<Value>)]
    pub unsafe_metadata: Patch<Value>,
    pub delete_self_enabled: Option<bool>,
    pub create_organization_enabled: Option<bool>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub legal_accepted_at: Patch<String>,
    pub skip_legal_checks: Option<bool>,
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub create_organizations_limit: Patch<i64>,
    pub created_at: Option<String>,
    pub bypass_client_trust: Option<bool>,
}

impl UpdateUserRequest {
    /// Whether the body carries any metadata tier, which API version 2026-05-12 no longer
    /// accepts on this endpoint.
    pub fn metadata_params(&self) -> Vec<&'static str> {
        [
            ("public_metadata", self.public_metadata.is_given()),
            ("private_metadata", self.private_metadata.is_given()),
            ("unsafe_metadata", self.unsafe_metadata.is_given()),
        ]
        .into_iter()
        .filter(|(_, present)| *present)
        .map(|(param, _)| param)
        .collect()
    }
}

/// `PATCH` and `PUT /users/{id}/metadata`. A tier sent as `null` is kept apart from an absent
/// one: it empties the tier.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, ToSchema)]
pub struct MetadataRequest {
    #[serde(default)]
    #[schema(value_type = Option<Value>)]
    pub public_metadata: Patch<Value>,
    #[serde(default)]
    #[schema(value_type = Option<Value>)]
    pub private_metadata: Patch<Value>,
    #[serde(default)]
    #[schema(value_type = Option<Value>)]
    pub unsafe_metadata: Patch<Value>,
}

/// `POST /users/ban` and `POST /users/unban`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, ToSchema)]
pub struct BulkUsersRequest {
    pub user_ids: Option<Vec<String>>,
}

/// Turns a patch of a JSON value into the option the metadata rules take: `null` is kept as
/// `Value::Null`, and a string that holds a JSON object stands for that object.
///
/// Clerk has long taken a tier as stringified JSON (its Go example does, and migration tools
/// send `"{}"`), so such a string is read as the object it spells. Any other string stays a
/// string, which the metadata rules refuse as not an object.
pub fn metadata_value(field: Patch<Value>) -> Option<Value> {
    field.given().map(|value| match value {
        None => Value::Null,
        Some(Value::String(text)) => match serde_json::from_str::<Value>(&text) {
            Ok(object @ Value::Object(_)) => object,
            _ => Value::String(text),
        },
        Some(value) => value,
    })
}
