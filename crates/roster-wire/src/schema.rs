//! What the OpenAPI derives cannot read off a field's Rust type: an `object` discriminator is
//! a `&'static str` in Rust but one fixed value on the wire, and a status is one of a model
//! enum's names. Each function here is a `#[schema(schema_with = …)]` for such a field.

use roster_model::sessions::SessionStatus;
use serde_json::Value;
use utoipa::openapi::schema::SchemaType;
use utoipa::openapi::{Object, ObjectBuilder, Type};

/// A string that is always one of `values`.
fn one_of(values: impl IntoIterator<Item = &'static str>) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .build()
}

/// One function per discriminator, named after the objects it describes.
macro_rules! constants {
    ($($name:ident => [$($value:literal),+ $(,)?];)*) => {
        $(pub(crate) fn $name() -> Object { one_of([$($value),+]) })*
    };
}

constants! {
    user => ["user"];
    email_address => ["email_address"];
    phone_number => ["phone_number"];
    web3_wallet => ["web3_wallet"];
    session => ["session"];
    token => ["token"];
    total_count => ["total_count"];
    webhook_endpoint => ["webhook_endpoint"];
    webhook_delivery => ["webhook_delivery"];
    organization => ["organization"];
    organization_membership => ["organization_membership"];
    organization_invitation => ["organization_invitation"];
    role => ["role"];
    permission => ["permission"];
    verification => ["verification_admin", "verification_otp"];
    verification_otp => ["verification_otp"];
    // Every resource a delete answers for.
    deleted => ["user", "email_address", "phone_number", "web3_wallet", "webhook_endpoint", "organization", "role", "permission"];
    code_type => ["totp", "backup_code"];
    rs256 => ["RS256"];
    signature_use => ["sig"];
    rsa => ["RSA"];
}

pub(crate) fn session_status() -> Object {
    one_of(SessionStatus::ALL.map(SessionStatus::as_str))
}

/// A verification's `channel`: `"sms"` for phone codes, otherwise `null`.
pub(crate) fn sms_or_null() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some([Value::from("sms"), Value::Null]))
        .build()
}
