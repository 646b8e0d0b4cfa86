//! The user aggregate: a user row together with its identifications (email addresses, phone
//! numbers and web3 wallets), and the filters that select users in a listing.

use crate::time::Millis;

/// A metadata tier: always a JSON object.
pub type Metadata = serde_json::Map<String, serde_json::Value>;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct User {
    pub id: String,
    pub external_id: Option<String>,
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub locale: Option<String>,
    pub primary_email_address_id: Option<String>,
    pub primary_phone_number_id: Option<String>,
    pub primary_web3_wallet_id: Option<String>,
    /// The uploaded image (`img_…`) shown as the user's picture; `None` shows the default avatar.
    pub profile_image_id: Option<String>,
    pub public_metadata: Metadata,
    pub private_metadata: Metadata,
    pub unsafe_metadata: Metadata,
    pub password_enabled: bool,
    pub password_last_updated_at: Option<Millis>,
    pub requires_password_reset: bool,
    pub totp_enabled: bool,
    pub backup_code_enabled: bool,
    pub mfa_enabled_at: Option<Millis>,
    pub mfa_disabled_at: Option<Millis>,
    pub banned: bool,
    pub lock: LockState,
    pub delete_self_enabled: bool,
    pub create_organization_enabled: bool,
    pub create_organizations_limit: Option<i64>,
    pub bypass_client_trust: bool,
    pub legal_accepted_at: Option<Millis>,
    pub last_sign_in_at: Option<Millis>,
    pub last_active_at: Option<Millis>,
    pub created_at: Millis,
    pub updated_at: Millis,
    /// Bumped by every write; lets a store detect a concurrent modification.
    pub version: i64,
    pub identifications: Vec<Identification>,
    /// Derived from `lock` and the instance's lockout policy when the user is read.
    pub lockout: LockoutView,
}

impl User {
    pub fn identifications_of(
        &self,
        kind: IdentificationKind,
    ) -> impl Iterator<Item = &Identification> {
        self.identifications.iter().filter(move |i| i.kind == kind)
    }

    pub fn identification(&self, id: &str) -> Option<&Identification> {
        self.identifications.iter().find(|i| i.id == id)
    }

    /// Any second factor: TOTP, backup codes, or a phone number reserved for SMS codes.
    pub fn two_factor_enabled(&self) -> bool {
        self.totp_enabled
            || self.backup_code_enabled
            || self
                .identifications
                .iter()
                .any(|i| i.reserved_for_second_factor)
    }
}

/// The stored lock: when it started and when it ends (`None` while locked means "until
/// unlocked"), and the failed verification attempts counted since the last reset.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LockState {
    pub locked_at: Option<Millis>,
    pub expires_at: Option<Millis>,
    pub failed: FailedAttempts,
}

/// The kinds of secret the lockout counts apart. All failures add up to one limit, but a right
/// secret forgives only the failures of its own kind, so that knowing one secret buys no
/// guesses at another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialClass {
    Password,
    /// TOTP codes and backup codes, both checked by `verify_totp`.
    SecondFactor,
    /// Codes sent to verify an email address or a phone number.
    OneTimeCode,
}

/// Failed attempts per kind of secret since each kind last succeeded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FailedAttempts {
    pub password: i64,
    pub second_factor: i64,
    pub one_time_code: i64,
}

impl FailedAttempts {
    /// What the limit is measured against.
    pub fn total(&self) -> i64 {
        self.password + self.second_factor + self.one_time_code
    }
}

/// What a client sees of the lock at one instant.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LockoutView {
    pub locked: bool,
    pub expires_in_seconds: Option<i64>,
    /// `None` when the instance has lockout turned off.
    pub attempts_remaining: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdentificationKind {
    EmailAddress,
    PhoneNumber,
    Web3Wallet,
}

impl IdentificationKind {
    /// The request parameter and `object` name Clerk uses for this kind.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentificationKind::EmailAddress => "email_address",
            IdentificationKind::PhoneNumber => "phone_number",
            IdentificationKind::Web3Wallet => "web3_wallet",
        }
    }

    /// The form in which identifiers are compared for uniqueness and exact filters: emails by
    /// their [`identity_key`]; Ethereum addresses are hexadecimal, so their case carries no
    /// meaning.
    pub fn normalize(self, value: &str) -> String {
        match self {
            IdentificationKind::EmailAddress => identity_key(value),
            IdentificationKind::Web3Wallet if value.starts_with("0x") => value.to_lowercase(),
            IdentificationKind::PhoneNumber | IdentificationKind::Web3Wallet => value.to_owned(),
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "email_address" => Some(IdentificationKind::EmailAddress),
            "phone_number" => Some(IdentificationKind::PhoneNumber),
            "web3_wallet" => Some(IdentificationKind::Web3Wallet),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Identification {
    pub id: String,
    pub user_id: String,
    pub kind: IdentificationKind,
    /// The identifier as the client gave it.
    pub value: String,
    pub reserved: bool,
    pub verification: Option<Verification>,
    /// Phone numbers only: the number receives SMS codes as a second factor.
    pub reserved_for_second_factor: bool,
    /// Phone numbers only: the second factor offered first.
    pub default_second_factor: bool,
    pub created_at: Millis,
    pub updated_at: Millis,
}

impl Identification {
    pub fn is_verified(&self) -> bool {
        self.verification
            .as_ref()
            .is_some_and(|v| v.status == VerificationStatus::Verified)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    pub strategy: VerificationStrategy,
    pub status: VerificationStatus,
    pub attempts: Option<i64>,
    pub expire_at: Option<Millis>,
}

impl Verification {
    /// The verification an operator's say-so gives: verified, by the `admin` strategy.
    pub fn admin() -> Self {
        Verification {
            strategy: VerificationStrategy::Admin,
            status: VerificationStatus::Verified,
            attempts: None,
            expire_at: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerificationStrategy {
    Admin,
    EmailCode,
    PhoneCode,
}

impl VerificationStrategy {
    pub fn as_str(self) -> &'static str {
        match self {
            VerificationStrategy::Admin => "admin",
            VerificationStrategy::EmailCode => "email_code",
            VerificationStrategy::PhoneCode => "phone_code",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "admin" => Some(VerificationStrategy::Admin),
            "email_code" => Some(VerificationStrategy::EmailCode),
            "phone_code" => Some(VerificationStrategy::PhoneCode),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerificationStatus {
    Unverified,
    Verified,
    Failed,
    Expired,
}

impl VerificationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VerificationStatus::Unverified => "unverified",
            VerificationStatus::Verified => "verified",
            VerificationStatus::Failed => "failed",
            VerificationStatus::Expired => "expired",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "unverified" => Some(VerificationStatus::Unverified),
            "verified" => Some(VerificationStatus::Verified),
            "failed" => Some(VerificationStatus::Failed),
            "expired" => Some(VerificationStatus::Expired),
            _ => None,
        }
    }
}

/// An include/exclude list as `user_id` and `external_id` filters take it: values prefixed
/// `-` exclude, the others (optionally prefixed `+`) include.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IncludeExclude {
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

impl IncludeExclude {
    pub fn from_values(values: Vec<String>) -> Self {
        let mut list = IncludeExclude::default();
        for value in values {
            if let Some(excluded) = value.strip_prefix('-') {
                list.exclude.push(excluded.to_owned());
            } else {
                let included = value.strip_prefix('+').unwrap_or(&value);
                list.include.push(included.to_owned());
            }
        }
        list
    }

    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }
}

/// The filters shared by `GET /users` and `GET /users/count`. Different filters combine with
/// AND; the values of one list filter combine with OR.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UserFilter {
    pub email_addresses: Vec<String>,
    pub phone_numbers: Vec<String>,
    pub web3_wallets: Vec<String>,
    pub usernames: Vec<String>,
    pub external_ids: IncludeExclude,
    pub user_ids: IncludeExclude,
    /// Users with (or, excluded, without) a membership in any of these organizations.
    pub organization_ids: IncludeExclude,
    /// OAuth accounts are not modelled yet, so a provider filter matches nobody.
    pub provider: Option<(String, Vec<String>)>,
    pub query: Option<String>,
    pub email_address_query: Option<String>,
    pub phone_number_query: Option<String>,
    pub username_query: Option<String>,
    pub name_query: Option<String>,
    pub banned: Option<bool>,
    pub created_at_before: Option<Millis>,
    pub created_at_after: Option<Millis>,
    pub last_active_at_before: Option<Millis>,
    pub last_active_at_after: Option<Millis>,
    pub last_sign_in_at_before: Option<Millis>,
    pub last_sign_in_at_after: Option<Millis>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserOrderField {
    CreatedAt,
    UpdatedAt,
    EmailAddress,
    Web3Wallet,
    FirstName,
    LastName,
    PhoneNumber,
    Username,
    LastActiveAt,
    LastSignInAt,
}

impl UserOrderField {
    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "created_at" => UserOrderField::CreatedAt,
            "updated_at" => UserOrderField::UpdatedAt,
            "email_address" => UserOrderField::EmailAddress,
            "web3wallet" => UserOrderField::Web3Wallet,
            "first_name" => UserOrderField::FirstName,
            "last_name" => UserOrderField::LastName,
            "phone_number" => UserOrderField::PhoneNumber,
            "username" => UserOrderField::Username,
            "last_active_at" => UserOrderField::LastActiveAt,
            "last_sign_in_at" => UserOrderField::LastSignInAt,
            _ => return None,
        })
    }
}

/// A page of a user listing: ordering and position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserOrder {
    pub field: UserOrderField,
    pub descending: bool,
    pub limit: i64,
    pub offset: i64,
    /// Keyset cursor: the id of the last user of the previous page (creation-time order only).
    pub starting_after: Option<String>,
}

impl Default for UserOrder {
    fn default() -> Self {
        UserOrder {
            field: UserOrderField::CreatedAt,
            descending: true,
            limit: 10,
            offset: 0,
            starting_after: None,
        }
    }
}

/// The key under which emails and usernames are compared, for uniqueness and for lookups: the
/// value with case and compatibility differences folded away, so that `K` (KELVIN SIGN),
/// `ｋ` (FULLWIDTH) and `K` all meet `k`. This is Unicode's compatibility caseless match
/// (D146: NFKD(fold(NFKD(fold(NFD(x)))))), stored composed (NFC of that, i.e. NFKC) to stay
/// short. Computed here rather than by the database, whose lower-casing differs between
/// SQLite and PostgreSQL; the stored `*_normalized` columns hold it.
pub fn identity_key(value: &str) -> String {
    let fold = icu_casemap::CaseMapper::new();
    let nfd = icu_normalizer::DecomposingNormalizerBorrowed::new_nfd();
    let nfkd = icu_normalizer::DecomposingNormalizerBorrowed::new_nfkd();
    let nfkc = icu_normalizer::ComposingNormalizerBorrowed::new_nfkc();
    let once = nfkd
        .normalize(&fold.fold_string(&nfd.normalize(value)))
        .into_owned();
    nfkc.normalize(&fold.fold_string(&once)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_keys_fold_case_and_compatibility_forms() {
        let kate = identity_key("kate@example.com");
        assert_eq!(kate, "kate@example.com");
        assert_eq!(identity_key("\u{212a}ATE@Example.COM"), kate);
        assert_eq!(identity_key("ｋａｔｅ@ｅｘａｍｐｌｅ.com"), kate);
        assert_eq!(identity_key("Stra\u{df}e"), identity_key("STRASSE"));
        // Canonically equivalent spellings (precomposed or combining accent) meet too.
        assert_eq!(identity_key("Jos\u{e9}"), identity_key("JOSE\u{301}"));
        assert_ne!(identity_key("kate"), identity_key("kata"));
    }
}
