//! The path parameters of Roster's routes, as the OpenAPI document names them. Handlers take
//! the same values positionally (`Path<String>`); a route's `{name}`s and these structs meet
//! in its `#[utoipa::path]`, and a test holds every `{name}` of the document to a parameter.
// The structs exist only to be described; nothing constructs them.
#![allow(dead_code)]

use utoipa::IntoParams;

macro_rules! path_params {
    ($($name:ident { $(#[doc = $doc:literal] $field:ident),+ $(,)? })*) => {
        $(
            #[derive(IntoParams)]
            #[into_params(parameter_in = Path)]
            pub(crate) struct $name {
                $(#[doc = $doc] #[param(min_length = 1)] pub(crate) $field: String,)+
            }
        )*
    };
}

path_params! {
    UserPath { /// The user's id, `user_…`.
        user_id }
    ImagePath { /// The image's id, `img_…`.
        image_id }
    SessionPath { /// The session's id, `sess_…`.
        session_id }
    EmailAddressPath { /// The email address's id, `idn_…`.
        email_address_id }
    PhoneNumberPath { /// The phone number's id, `idn_…`.
        phone_number_id }
    Web3WalletPath { /// The web3 wallet's id, `idn_…`.
        web3_wallet_identification_id }
    PasskeyPath { /// The passkey's id.
        passkey_identification_id }
    ExternalAccountPath { /// The external account's id.
        external_account_id }
    OrganizationPath { /// The organization's id, `org_…`, or its slug.
        organization_id }
    InvitationPath { /// The invitation's id, `orginv_…`.
        invitation_id }
    RolePath { /// The role's id, `role_…`.
        organization_role_id }
    PermissionPath { /// The permission's id, `perm_…`.
        permission_id }
    EndpointPath { /// The webhook endpoint's id, `ep_…`.
        endpoint_id }
    EventPath { /// The event's id, as sent in `svix-id`.
        event_id }
}
