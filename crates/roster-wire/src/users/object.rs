//! The User object exactly as the official SDKs parse it.

use roster_model::users::{
    Identification, IdentificationKind, User as ModelUser, Verification, VerificationStrategy,
};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// Keys follow the order of Clerk's own payloads, which makes side-by-side comparison easy.
#[derive(Clone, Debug, Serialize, PartialEq, ToSchema)]
pub struct User {
    pub id: String,
    #[schema(schema_with = crate::schema::user)]
    pub object: &'static str,
    #[schema(required = true)]
    pub username: Option<String>,
    #[schema(required = true)]
    pub first_name: Option<String>,
    #[schema(required = true)]
    pub last_name: Option<String>,
    #[schema(required = true)]
    pub locale: Option<String>,
    pub image_url: String,
    pub has_image: bool,
    #[schema(required = true)]
    pub primary_email_address_id: Option<String>,
    #[schema(required = true)]
    pub primary_phone_number_id: Option<String>,
    #[schema(required = true)]
    pub primary_web3_wallet_id: Option<String>,
    pub password_enabled: bool,
    pub two_factor_enabled: bool,
    pub totp_enabled: bool,
    pub backup_code_enabled: bool,
    pub email_addresses: Vec<EmailAddress>,
    pub phone_numbers: Vec<PhoneNumber>,
    pub web3_wallets: Vec<Web3Wallet>,
    #[schema(value_type = Vec<Object>)]
    pub passkeys: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub external_accounts: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub saml_accounts: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub enterprise_accounts: Vec<Value>,
    #[schema(required = true)]
    pub password_last_updated_at: Option<i64>,
    #[schema(value_type = Object)]
    pub public_metadata: Map<String, Value>,
    #[schema(value_type = Object)]
    pub private_metadata: Map<String, Value>,
    #[schema(value_type = Object)]
    pub unsafe_metadata: Map<String, Value>,
    #[schema(required = true)]
    pub external_id: Option<String>,
    #[schema(required = true)]
    pub last_sign_in_at: Option<i64>,
    pub banned: bool,
    pub locked: bool,
    #[schema(required = true)]
    pub lockout_expires_in_seconds: Option<i64>,
    #[schema(required = true)]
    pub verification_attempts_remaining: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub delete_self_enabled: bool,
    pub bypass_client_trust: bool,
    pub create_organization_enabled: bool,
    #[schema(required = true)]
    pub create_organizations_limit: Option<i64>,
    #[schema(required = true)]
    pub last_active_at: Option<i64>,
    #[schema(required = true)]
    pub mfa_enabled_at: Option<i64>,
    #[schema(required = true)]
    pub mfa_disabled_at: Option<i64>,
    #[schema(required = true)]
    pub legal_accepted_at: Option<i64>,
    pub requires_password_reset: bool,
    pub profile_image_url: String,
}

impl User {
    /// Renders a user; `image_url` is where the user's picture is served (the uploaded image,
    /// or the default avatar).
    pub fn from_model(user: &ModelUser, image_url: String) -> Self {
        let of_kind = |kind| user.identifications_of(kind);
        User {
            id: user.id.clone(),
            object: "user",
            username: user.username.clone(),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            locale: user.locale.clone(),
            profile_image_url: image_url.clone(),
            image_url,
            has_image: user.profile_image_id.is_some(),
            primary_email_address_id: user.primary_email_address_id.clone(),
            primary_phone_number_id: user.primary_phone_number_id.clone(),
            primary_web3_wallet_id: user.primary_web3_wallet_id.clone(),
            password_enabled: user.password_enabled,
            two_factor_enabled: user.two_factor_enabled(),
            totp_enabled: user.totp_enabled,
            backup_code_enabled: user.backup_code_enabled,
            email_addresses: of_kind(IdentificationKind::EmailAddress)
                .map(EmailAddress::from_model)
                .collect(),
            phone_numbers: of_kind(IdentificationKind::PhoneNumber)
                .map(PhoneNumber::from_model)
                .collect(),
            web3_wallets: of_kind(IdentificationKind::Web3Wallet)
                .map(Web3Wallet::from_model)
                .collect(),
            passkeys: Vec::new(),
            external_accounts: Vec::new(),
            saml_accounts: Vec::new(),
            enterprise_accounts: Vec::new(),
            password_last_updated_at: user.password_last_updated_at,
            public_metadata: user.public_metadata.clone(),
            private_metadata: user.private_metadata.clone(),
            unsafe_metadata: user.unsafe_metadata.clone(),
            external_id: user.external_id.clone(),
            last_sign_in_at: user.last_sign_in_at,
            banned: user.banned,
            locked: user.lockout.locked,
            lockout_expires_in_seconds: user.lockout.expires_in_seconds,
            verification_attempts_remaining: user.lockout.attempts_remaining,
            created_at: user.created_at,
            updated_at: user.updated_at,
            delete_self_enabled: user.delete_self_enabled,
            bypass_client_trust: user.bypass_client_trust,
            create_organization_enabled: user.create_organization_enabled,
            create_organizations_limit: user.create_organizations_limit,
            last_active_at: user.last_active_at,
            mfa_enabled_at: user.mfa_enabled_at,
            mfa_disabled_at: user.mfa_disabled_at,
            legal_accepted_at: user.legal_accepted_at,
            requires_password_reset: user.requires_password_reset,
        }
    }
}

/// A verification carries its own `object`, the discriminator strict SDKs dispatch on.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, ToSchema)]
pub struct WireVerification {
    #[schema(schema_with = crate::schema::verification)]
    pub object: &'static str,
    pub status: &'static str,
    pub strategy: &'static str,
    #[schema(required = true)]
    pub attempts: Option<i64>,
    #[schema(required = true)]
    pub expire_at: Option<i64>,
    /// Present for phone codes only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = crate::schema::sms_or_null)]
    pub channel: Option<Option<&'static str>>,
}

impl WireVerification {
    pub fn from_model(verification: &Verification, kind: IdentificationKind) -> Self {
        let object = match verification.strategy {
            VerificationStrategy::Admin => "verification_admin",
            VerificationStrategy::EmailCode | VerificationStrategy::PhoneCode => "verification_otp",
        };
        let channel = (verification.strategy == VerificationStrategy::PhoneCode
            && kind == IdentificationKind::PhoneNumber)
            .then_some(Some("sms"));
        WireVerification {
            object,
            status: verification.status.as_str(),
            strategy: verification.strategy.as_str(),
            attempts: verification.attempts,
            expire_at: verification.expire_at,
            channel,
        }
    }
}

fn verification_of(identification: &Identification) -> Option<WireVerification> {
    identification
        .verification
        .as_ref()
        .map(|v| WireVerification::from_model(v, identification.kind))
}

#[derive(Clone, Debug, Serialize, PartialEq, ToSchema)]
pub struct EmailAddress {
    pub id: String,
    #[schema(schema_with = crate::schema::email_address)]
    pub object: &'static str,
    pub email_address: String,
    pub reserved: bool,
    #[schema(required = true)]
    pub verification: Option<WireVerification>,
    #[schema(value_type = Vec<Object>)]
    pub linked_to: Vec<Value>,
    pub matches_sso_connection: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl EmailAddress {
    pub fn from_model(identification: &Identification) -> Self {
        EmailAddress {
            id: identification.id.clone(),
            object: "email_address",
            email_address: identification.value.clone(),
            reserved: identification.reserved,
            verification: verification_of(identification),
            linked_to: Vec::new(),
            matches_sso_connection: false,
            created_at: identification.created_at,
            updated_at: identification.updated_at,
        }
    }
}

#[derive(Clone, Debug, Serialize, PartialEq, ToSchema)]
pub struct PhoneNumber {
    pub id: String,
    #[schema(schema_with = crate::schema::phone_number)]
    pub object: &'static str,
    pub phone_number: String,
    pub reserved_for_second_factor: bool,
    pub default_second_factor: bool,
    pub reserved: bool,
    #[schema(required = true)]
    pub verification: Option<WireVerification>,
    #[schema(value_type = Vec<Object>)]
    pub linked_to: Vec<Value>,
    #[schema(required = true)]
    pub backup_codes: Option<Vec<String>>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl PhoneNumber {
    pub fn from_model(identification: &Identification) -> Self {
        PhoneNumber {
            id: identification.id.clone(),
            object: "phone_number",
            phone_number: identification.value.clone(),
            reserved_for_second_factor: identification.reserved_for_second_factor,
            default_second_factor: identification.default_second_factor,
            reserved: identification.reserved,
            verification: verification_of(identification),
            linked_to: Vec::new(),
            backup_codes: None,
            created_at: identification.created_at,
            updated_at: identification.updated_at,
        }
    }
}

#[derive(Clone, Debug, Serialize, PartialEq, ToSchema)]
pub struct Web3Wallet {
    pub id: String,
    #[schema(schema_with = crate::schema::web3_wallet)]
    pub object: &'static str,
    pub web3_wallet: String,
    #[schema(required = true)]
    pub verification: Option<WireVerification>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Web3Wallet {
    pub fn from_model(identification: &Identification) -> Self {
        Web3Wallet {
            id: identification.id.clone(),
            object: "web3_wallet",
            web3_wallet: identification.value.clone(),
            verification: verification_of(identification),
            created_at: identification.created_at,
            updated_at: identification.updated_at,
        }
    }
}
