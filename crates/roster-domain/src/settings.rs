//! Instance settings: which user attributes the instance enables or requires, its lockout and
//! password policies. The defaults accept everything the official SDKs send in everyday use and require
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
    pub password_policy: PasswordPolicy,
    pub password_hashing: PasswordHashing,
    /// One-time codes for email addresses and phone numbers.
    pub verification: VerificationPolicy,
    /// `[instance.organizations]`: the defaults of organizations and of who may create them.
    pub organizations: OrganizationSettings,
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
            password_policy: PasswordPolicy::default(),
            password_hashing: PasswordHashing::default(),
            verification: VerificationPolicy::default(),
            organizations: OrganizationSettings::default(),
        }
    }
}

/// What organizations start with, and what users may create through the Frontend API (a
/// Backend API create is not gated, as on Clerk).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct OrganizationSettings {
    /// Whether users may create organizations themselves.
    pub enabled: bool,
    /// How many organizations a user may create when their own `create_organizations_limit`
    /// is unset; 0 means unlimited. Clerk's default is 100.
    pub create_limit: i64,
    /// The `max_allowed_memberships` of a new organization; 0 means unlimited.
    pub max_allowed_memberships: i64,
    /// The role of an organization's creator.
    pub creator_role: String,
    /// The role a membership gets when none is named.
    pub default_role: String,
    /// How long an invitation stays valid when its request names no `expires_in_days`
    /// (Clerk's default is 30).
    pub invitation_valid_days: i64,
}

impl Default for OrganizationSettings {
    fn default() -> Self {
        OrganizationSettings {
            enabled: true,
            create_limit: 100,
            max_allowed_memberships: 0,
            creator_role: "org:admin".to_owned(),
            default_role: "org:member".to_owned(),
            invitation_valid_days: 30,
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
    /// Failed verifications allowed before the account locks, all kinds of secret together; a
    /// right secret forgives only the failures of its own kind.
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

/// What a new password must be. By default only a length of at least 8 and not being a known
/// breached password, as on Clerk; the other rules are the ones Clerk lets an instance add.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordPolicy {
    /// In characters (Unicode scalar values).
    pub min_length: usize,
    /// In characters; `None` means only the byte cap applies.
    pub max_length: Option<usize>,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub require_number: bool,
    pub require_special_char: bool,
    /// The characters that count as special.
    pub special_chars: String,
    /// Minimum zxcvbn score, 0 (no check) to 4.
    pub min_strength: u8,
    /// Refuse a password equal to one of the user's identifiers.
    pub disallow_identifier: bool,
    /// Refuse passwords found in the breached-password lists.
    pub check_breached: bool,
    /// A Have I Been Pwned "SHA-1 ordered by hash" file (`HASH:COUNT` lines, sorted), searched
    /// in place. `None`: the binary looks for `pwned-passwords-sha1.txt` in the data folder.
    pub breached_file: Option<std::path::PathBuf>,
    /// Base URL of a k-anonymity range API (`GET {url}/range/{first five hex}`, as
    /// `https://api.pwnedpasswords.com`); off by default, so no password check leaves the host.
    pub breached_range_api: Option<String>,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            min_length: 8,
            max_length: None,
            require_uppercase: false,
            require_lowercase: false,
            require_number: false,
            require_special_char: false,
            special_chars: "#%$&_!".to_owned(),
            min_strength: 0,
            disallow_identifier: false,
            check_breached: true,
            breached_file: None,
            breached_range_api: None,
        }
    }
}

/// Cost and concurrency of hashing new passwords.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordHashing {
    /// argon2id memory in KiB, iterations and lanes; OWASP's minimum by default.
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    /// Hashes computed at once; 0 means one per CPU core.
    pub threads: usize,
    /// Hashes that may wait for a thread; beyond that requests are refused at once.
    pub queue: usize,
    /// How long a hash may wait for a thread before the request is refused with 429.
    pub max_wait_ms: u64,
}

impl Default for PasswordHashing {
    fn default() -> Self {
        PasswordHashing {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
            threads: 0,
            queue: 256,
            max_wait_ms: 2_000,
        }
    }
}
