//! Instance settings: which user attributes the instance enables or requires, and its lockout
//! policy. The defaults accept everything the official SDKs send in everyday use and require
//! nothing, so a fresh server works without configuration.

use serde::Deserialize;

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct InstanceSettings {
    pub email_address: Attribute,
    pub phone_number: Attribute,
    pub web3_wallet: Attribute,
    pub username: UsernameSettings,
    pub first_name: Attribute,
    pub last_name: Attribute,
    pub password: Attribute,
    /// Users must have accepted the legal terms (`legal_accepted_at`) unless the request sets
    /// `skip_legal_checks`.
    pub legal_consent_required: bool,
    pub lockout: LockoutPolicy,
    /// One-time codes for email addresses and phone numbers.
    pub verification: VerificationPolicy,
}

impl Default for InstanceSettings {
    fn default() -> Self {
        InstanceSettings {
            email_address: Attribute::OPTIONAL,
            phone_number: Attribute::OPTIONAL,
            web3_wallet: Attribute::OPTIONAL,
            username: UsernameSettings::default(),
            first_name: Attribute::OPTIONAL,
            last_name: Attribute::OPTIONAL,
            password: Attribute::OPTIONAL,
            legal_consent_required: false,
            lockout: LockoutPolicy::default(),
            verification: VerificationPolicy::default(),
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct VerificationPolicy {
    /// How long a code is valid.
    pub code_valid_seconds: i64,
    /// Wrong codes allowed per verification before it fails.
    pub max_attempts: i64,
    /// The shortest wait between two codes for one identifier, so that a client cannot flood
    /// an inbox or run up an SMS bill.
    pub resend_interval_seconds: i64,
}

impl Default for VerificationPolicy {
    fn default() -> Self {
        VerificationPolicy {
            code_valid_seconds: 600,
            max_attempts: 5,
            resend_interval_seconds: 30,
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct Attribute {
    pub enabled: bool,
    pub required: bool,
}

impl Attribute {
    pub const OPTIONAL: Attribute = Attribute {
        enabled: true,
        required: false,
    };
}

impl Default for Attribute {
    fn default() -> Self {
        Attribute::OPTIONAL
    }
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct UsernameSettings {
    pub enabled: bool,
    pub required: bool,
    pub min_length: usize,
    pub max_length: usize,
}

impl Default for UsernameSettings {
    fn default() -> Self {
        // Clerk's defaults.
        UsernameSettings {
            enabled: true,
            required: false,
            min_length: 4,
            max_length: 64,
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct LockoutPolicy {
    pub enabled: bool,
    /// Failed verifications allowed before the account locks.
    pub max_attempts: i64,
    /// How long a lock lasts; 0 means until an operator unlocks the user.
    pub duration_seconds: i64,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        // Clerk's defaults: ten attempts, then one hour.
        LockoutPolicy {
            enabled: true,
            max_attempts: 10,
            duration_seconds: 3600,
        }
    }
}
