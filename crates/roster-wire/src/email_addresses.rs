//! Bodies of the `/email_addresses` routes and of `PUT /users/{id}/email_address`. The
//! EmailAddress object itself is `crate::users::EmailAddress`, as it appears inside a User.

use serde::Deserialize;
use utoipa::ToSchema;

/// `POST /email_addresses`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq, ToSchema)]
pub struct CreateEmailAddressRequest {
    pub user_id: Option<String>,
    pub email_address: Option<String>,
    pub verified: Option<bool>,
    pub primary: Option<bool>,
    pub notify_primary_email_address_changed: Option<bool>,
}

/// `PATCH /email_addresses/{id}`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq, ToSchema)]
pub struct UpdateEmailAddressRequest {
    pub verified: Option<bool>,
    pub primary: Option<bool>,
    pub notify_primary_email_address_changed: Option<bool>,
}

/// `PUT /users/{id}/email_address`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq, ToSchema)]
pub struct ReplaceEmailAddressRequest {
    pub email_address: Option<String>,
    pub identification_status: Option<ReplacementStatus>,
    pub notify_primary_email_address_changed: Option<bool>,
}

/// How the identifier given to a `PUT` replacement starts out.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReplacementStatus {
    Verified,
    Reserved,
    Unverified,
}
