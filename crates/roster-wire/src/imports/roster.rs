//! Roster's own export: one JSON object a line (NDJSON), holding everything needed to create
//! the user again elsewhere. Reading it back gives the same external id, identifiers with
//! their verified flags, metadata, flags, timestamps, password digest and TOTP secret.

use std::io::BufRead;

use roster_model::Patch;
use roster_model::time::Millis;
use roster_model::users::{Identification, IdentificationKind, User};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{ReadRecord, SourceRecord, UnreadableRecord};
use crate::users::{CreateUserRequest, IdentificationStatus};

/// One exported user. Each identifier list starts with the primary one.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct ExportedUser {
    pub object: String,
    pub id: String,
    pub external_id: Option<String>,
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub locale: Option<String>,
    pub email_addresses: Vec<ExportedIdentifier>,
    pub phone_numbers: Vec<ExportedIdentifier>,
    pub web3_wallets: Vec<ExportedIdentifier>,
    pub password_digest: Option<String>,
    pub password_hasher: Option<String>,
    /// In the clear: an export with secrets is itself a secret.
    pub totp_secret: Option<String>,
    pub public_metadata: Value,
    pub private_metadata: Value,
    pub unsafe_metadata: Value,
    pub banned: bool,
    pub delete_self_enabled: bool,
    pub create_organization_enabled: bool,
    pub create_organizations_limit: Option<i64>,
    pub bypass_client_trust: bool,
    /// Unix milliseconds.
    pub legal_accepted_at: Option<Millis>,
    /// Unix milliseconds.
    pub created_at: Millis,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ExportedIdentifier {
    pub value: String,
    pub verified: bool,
}

/// The `object` of an exported user.
pub const OBJECT: &str = "roster_user_export";

impl ExportedUser {
    /// The export record of `user`, with its digest `(hasher, digest)` and TOTP secret.
    pub fn from_model(
        user: &User,
        password: Option<(&str, &str)>,
        totp_secret: Option<&str>,
    ) -> ExportedUser {
        let list = |kind: IdentificationKind, primary: Option<&str>| {
            let mut list: Vec<&Identification> = user.identifications_of(kind).collect();
            // The primary one first: that is how the import knows it.
            list.sort_by_key(|identification| Some(identification.id.as_str()) != primary);
            list.into_iter()
                .map(|identification| ExportedIdentifier {
                    value: identification.value.clone(),
                    verified: identification.is_verified(),
                })
                .collect()
        };
        let metadata = |tier: &roster_model::users::Metadata| Value::Object(tier.clone());
        ExportedUser {
            object: OBJECT.to_owned(),
            id: user.id.clone(),
            external_id: user.external_id.clone(),
            username: user.username.clone(),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            locale: user.locale.clone(),
            email_addresses: list(
                IdentificationKind::EmailAddress,
                user.primary_email_address_id.as_deref(),
            ),
            phone_numbers: list(
                IdentificationKind::PhoneNumber,
                user.primary_phone_number_id.as_deref(),
            ),
            web3_wallets: list(
                IdentificationKind::Web3Wallet,
                user.primary_web3_wallet_id.as_deref(),
            ),
            password_hasher: password.map(|(hasher, _)| hasher.to_owned()),
            password_digest: password.map(|(_, digest)| digest.to_owned()),
            totp_secret: totp_secret.map(str::to_owned),
            public_metadata: metadata(&user.public_metadata),
            private_metadata: metadata(&user.private_metadata),
            unsafe_metadata: metadata(&user.unsafe_metadata),
            banned: user.banned,
            delete_self_enabled: user.delete_self_enabled,
            create_organization_enabled: user.create_organization_enabled,
            create_organizations_limit: user.create_organizations_limit,
            bypass_client_trust: user.bypass_client_trust,
            legal_accepted_at: user.legal_accepted_at,
            created_at: user.created_at,
        }
    }

    /// The body that creates this user again.
    pub fn into_request(self) -> CreateUserRequest {
        let (email_address, email_statuses) = identifiers(self.email_addresses);
        let (phone_number, phone_statuses) = identifiers(self.phone_numbers);
        let (web3_wallet, _) = identifiers(self.web3_wallets);
        CreateUserRequest {
            external_id: self.external_id,
            first_name: self.first_name,
            last_name: self.last_name,
            locale: self.locale,
            email_address,
            email_address_identification_status: email_statuses,
            phone_number,
            phone_number_identification_status: phone_statuses,
            web3_wallet,
            username: self.username,
            password_digest: self.password_digest,
            password_hasher: self.password_hasher,
            skip_password_checks: Some(true),
            skip_password_requirement: Some(true),
            totp_secret: self.totp_secret,
            public_metadata: tier(self.public_metadata),
            private_metadata: tier(self.private_metadata),
            unsafe_metadata: tier(self.unsafe_metadata),
            delete_self_enabled: Some(self.delete_self_enabled),
            legal_accepted_at: self.legal_accepted_at.and_then(rfc3339),
            skip_legal_checks: Some(true),
            skip_user_requirement: Some(true),
            create_organization_enabled: Some(self.create_organization_enabled),
            create_organizations_limit: self.create_organizations_limit,
            created_at: rfc3339(self.created_at),
            bypass_client_trust: Some(self.bypass_client_trust),
            banned: Some(self.banned),
            ..CreateUserRequest::default()
        }
    }
}

/// The values, and their statuses (an unverified identifier is held as reserved).
fn identifiers(
    list: Vec<ExportedIdentifier>,
) -> (Option<Vec<String>>, Option<Vec<IdentificationStatus>>) {
    if list.is_empty() {
        return (None, None);
    }
    let statuses = list
        .iter()
        .map(|identifier| match identifier.verified {
            true => IdentificationStatus::Verified,
            false => IdentificationStatus::Reserved,
        })
        .collect();
    let values = list
        .into_iter()
        .map(|identifier| identifier.value)
        .collect();
    (Some(values), Some(statuses))
}

fn tier(value: Value) -> Patch<Value> {
    match value {
        Value::Null => Patch::Absent,
        value => Patch::Set(value),
    }
}

/// Unix milliseconds as RFC 3339, the form `POST /users` takes; `None` if out of range.
pub fn rfc3339(millis: Millis) -> Option<String> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .ok()
        .and_then(|time| time.format(&Rfc3339).ok())
}

/// The records of an NDJSON export, one a line; blank lines are skipped.
pub fn records<R: BufRead>(input: R) -> impl Iterator<Item = ReadRecord> {
    input.lines().enumerate().filter_map(|(index, line)| {
        let line_number = index as u64 + 1;
        match line {
            Err(error) => Some(Err(UnreadableRecord {
                line: line_number,
                source_id: None,
                reason: format!("the line could not be read: {error}"),
            })),
            Ok(text) if text.trim().is_empty() => None,
            Ok(text) => Some(record(line_number, &text)),
        }
    })
}

fn record(line: u64, text: &str) -> ReadRecord {
    match serde_json::from_str::<ExportedUser>(text) {
        Ok(user) => Ok(SourceRecord {
            line,
            source_id: Some(user.id.clone()).filter(|id| !id.is_empty()),
            request: user.into_request(),
        }),
        Err(error) => Err(UnreadableRecord {
            line,
            source_id: None,
            reason: format!("not a Roster export record: {error}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_survive_the_trip_through_rfc3339() {
        assert_eq!(
            rfc3339(1_700_000_000_123).as_deref(),
            Some("2023-11-14T22:13:20.123Z")
        );
        assert_eq!(rfc3339(0).as_deref(), Some("1970-01-01T00:00:00Z"));
    }

    #[test]
    fn unreadable_lines_are_reported_with_their_number_and_blank_ones_skipped() {
        let input = "{\"id\": \"user_1\", \"created_at\": 5}\n\n not json\n";
        let read: Vec<_> = records(input.as_bytes()).collect();
        assert_eq!(read.len(), 2);
        let first = read[0].as_ref().expect("a record");
        assert_eq!(
            (first.line, first.source_id.as_deref()),
            (1, Some("user_1"))
        );
        assert_eq!(read[1].as_ref().expect_err("unreadable").line, 3);
    }
}
