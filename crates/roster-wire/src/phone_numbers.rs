//! Bodies of the `/phone_numbers` routes and of `PUT /users/{id}/phone_number`. The
//! PhoneNumber object itself is `crate::users::PhoneNumber`, as it appears inside a User.

use serde::Deserialize;
use utoipa::ToSchema;

use crate::email_addresses::ReplacementStatus;

/// `POST /phone_numbers`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq, ToSchema)]
pub struct CreatePhoneNumberRequest {
    pub user_id: Option<String>,
    pub phone_number: Option<String>,
    pub verified: Option<bool>,
    pub primary: Option<bool>,
    pub reserved_for_second_factor: Option<bool>,
}

/// `PATCH /phone_numbers/{id}`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq, ToSchema)]
pub struct UpdatePhoneNumberRequest {
    pub verified: Option<bool>,
    pub primary: Option<bool>,
    pub reserved_for_second_factor: Option<bool>,
}

/// `PUT /users/{id}/phone_number`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq, ToSchema)]
pub struct ReplacePhoneNumberRequest {
    pub phone_number: Option<String>,
    pub identification_status: Option<ReplacementStatus>,
}
