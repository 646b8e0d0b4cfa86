//! Clerk's dashboard export (CSV), and Clerk's JSON as its migration tool reads it.
//!
//! The Clerk user id becomes `external_id`. The primary email address and phone number come
//! first; an identifier listed as verified, or a primary one not listed as unverified, is
//! verified, and one listed as unverified is held for the user as reserved. A cell may list
//! several values, separated by `|` (or `,` inside a quoted cell). Metadata columns hold JSON
//! objects as text.

use std::collections::HashSet;
use std::io::{BufRead, Read};

use roster_model::Patch;
use serde::Deserialize;
use serde_json::Value;

use super::{ReadRecord, SourceRecord, UnreadableRecord, non_empty};
use crate::users::{CreateUserRequest, IdentificationStatus};

/// One user of a Clerk export, as either file spells it.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
struct ClerkUser {
    id: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    username: Option<String>,
    primary_email_address: Option<String>,
    #[serde(alias = "email_addresses")]
    verified_email_addresses: Values,
    unverified_email_addresses: Values,
    primary_phone_number: Option<String>,
    #[serde(alias = "phone_numbers")]
    verified_phone_numbers: Values,
    unverified_phone_numbers: Values,
    totp_secret: Option<String>,
    password_digest: Option<String>,
    password_hasher: Option<String>,
    backup_codes: Values,
    public_metadata: Option<Value>,
    private_metadata: Option<Value>,
    unsafe_metadata: Option<Value>,
}

/// A list of identifiers: a JSON array, or a CSV cell of `|`-separated values.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(from = "Option<ValuesField>")]
struct Values(Vec<String>);

#[derive(Deserialize)]
#[serde(untagged)]
enum ValuesField {
    List(Vec<String>),
    Cell(String),
}

impl From<Option<ValuesField>> for Values {
    fn from(field: Option<ValuesField>) -> Self {
        let values = match field {
            None => Vec::new(),
            Some(ValuesField::List(list)) => list,
            Some(ValuesField::Cell(cell)) => cell.split(['|', ',']).map(str::to_owned).collect(),
        };
        Values(
            values
                .iter()
                .filter_map(|value| non_empty(Some(value)))
                .collect(),
        )
    }
}

/// The records of a Clerk export: a JSON array when the file starts with `[`, CSV otherwise
/// (lines starting with `#` are comments, as in Clerk's samples). Nothing is read until the
/// first record is asked for, so the iterator can be made where reading must not block.
pub fn records<R: BufRead + Send + 'static>(
    input: R,
) -> Box<dyn Iterator<Item = ReadRecord> + Send> {
    let mut pending = Some(input);
    let mut opened: Option<Box<dyn Iterator<Item = ReadRecord> + Send>> = None;
    Box::new(std::iter::from_fn(move || {
        if opened.is_none() {
            opened = Some(open(pending.take()?));
        }
        opened.as_mut()?.next()
    }))
}

fn open<R: BufRead + Send + 'static>(mut input: R) -> Box<dyn Iterator<Item = ReadRecord> + Send> {
    let starts_with_bracket = loop {
        match input.fill_buf() {
            Ok([]) => break false,
            Ok(buffer) => match buffer.iter().position(|b| !b.is_ascii_whitespace()) {
                Some(at) => break buffer[at] == b'[',
                None => {
                    let length = buffer.len();
                    input.consume(length);
                }
            },
            Err(_) => break false,
        }
    };
    if starts_with_bracket {
        Box::new(json_records(input).into_iter())
    } else {
        Box::new(csv_records(input))
    }
}

fn csv_records<R: Read + Send + 'static>(input: R) -> impl Iterator<Item = ReadRecord> + Send {
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers = reader.headers().cloned();
    let mut rows = reader.into_records();
    let mut failed_headers = headers.as_ref().err().map(|error| error.to_string());
    std::iter::from_fn(move || {
        if let Some(reason) = failed_headers.take() {
            return Some(Err(UnreadableRecord {
                line: 1,
                source_id: None,
                reason: format!("the CSV header could not be read: {reason}"),
            }));
        }
        let headers = headers.as_ref().ok()?;
        let row = rows.next()?;
        Some(csv_record(headers, row))
    })
}

fn csv_record(
    headers: &csv::StringRecord,
    row: Result<csv::StringRecord, csv::Error>,
) -> ReadRecord {
    let row = row.map_err(|error| UnreadableRecord {
        line: error.position().map_or(0, |position| position.line()),
        source_id: None,
        reason: format!("not a CSV row: {error}"),
    })?;
    let line = row.position().map_or(0, |position| position.line());
    Ok(ClerkUser::from_csv(headers, &row).into_record(line))
}

fn json_records<R: Read>(input: R) -> Vec<ReadRecord> {
    let users: Vec<Value> = match serde_json::from_reader(input) {
        Ok(users) => users,
        Err(error) => {
            return vec![Err(UnreadableRecord {
                line: error.line() as u64,
                source_id: None,
                reason: format!("not a JSON array of users: {error}"),
            })];
        }
    };
    users
        .into_iter()
        .enumerate()
        .map(|(index, value)| {
            // A JSON array has no line per user; the report counts users from 1 instead.
            let position = index as u64 + 1;
            let source_id = value.get("id").and_then(Value::as_str).map(str::to_owned);
            serde_json::from_value::<ClerkUser>(value)
                .map(|user| user.into_record(position))
                .map_err(|error| UnreadableRecord {
                    line: position,
                    source_id,
                    reason: format!("not a Clerk user: {error}"),
                })
        })
        .collect()
}

impl ClerkUser {
    /// A CSV row, by its header's column names. Every cell is text: a phone number such as
    /// `+12125550100` must not be read as a number.
    fn from_csv(headers: &csv::StringRecord, row: &csv::StringRecord) -> ClerkUser {
        let cell = |name: &str| {
            headers
                .iter()
                .position(|header| header == name)
                .and_then(|index| non_empty(row.get(index)))
        };
        let values = |name: &str| Values::from(cell(name).map(ValuesField::Cell));
        let json = |name: &str| cell(name).map(Value::String);
        ClerkUser {
            id: cell("id"),
            first_name: cell("first_name"),
            last_name: cell("last_name"),
            username: cell("username"),
            primary_email_address: cell("primary_email_address"),
            verified_email_addresses: values("verified_email_addresses"),
            unverified_email_addresses: values("unverified_email_addresses"),
            primary_phone_number: cell("primary_phone_number"),
            verified_phone_numbers: values("verified_phone_numbers"),
            unverified_phone_numbers: values("unverified_phone_numbers"),
            totp_secret: cell("totp_secret"),
            password_digest: cell("password_digest"),
            password_hasher: cell("password_hasher"),
            backup_codes: values("backup_codes"),
            public_metadata: json("public_metadata"),
            private_metadata: json("private_metadata"),
            unsafe_metadata: json("unsafe_metadata"),
        }
    }

    fn into_record(self, line: u64) -> SourceRecord {
        let source_id = non_empty(self.id.as_deref());
        let (email_address, email_statuses) = identifiers(
            self.primary_email_address.as_deref(),
            &self.verified_email_addresses,
            &self.unverified_email_addresses,
        );
        let (phone_number, phone_statuses) = identifiers(
            self.primary_phone_number.as_deref(),
            &self.verified_phone_numbers,
            &self.unverified_phone_numbers,
        );
        let backup_codes = Some(self.backup_codes.0).filter(|codes| !codes.is_empty());
        let request = CreateUserRequest {
            external_id: source_id.clone(),
            first_name: non_empty(self.first_name.as_deref()),
            last_name: non_empty(self.last_name.as_deref()),
            username: non_empty(self.username.as_deref()),
            email_address,
            email_address_identification_status: email_statuses,
            phone_number,
            phone_number_identification_status: phone_statuses,
            password_digest: non_empty(self.password_digest.as_deref()),
            password_hasher: non_empty(self.password_hasher.as_deref()),
            skip_password_checks: Some(true),
            skip_password_requirement: Some(true),
            totp_secret: non_empty(self.totp_secret.as_deref()),
            backup_codes,
            public_metadata: tier(self.public_metadata),
            private_metadata: tier(self.private_metadata),
            unsafe_metadata: tier(self.unsafe_metadata),
            skip_legal_checks: Some(true),
            ..CreateUserRequest::default()
        };
        SourceRecord {
            line,
            source_id,
            request,
        }
    }
}

/// The identifiers of one kind, primary first, each once (compared without case), with their
/// statuses.
fn identifiers(
    primary: Option<&str>,
    verified: &Values,
    unverified: &Values,
) -> (Option<Vec<String>>, Option<Vec<IdentificationStatus>>) {
    let primary = non_empty(primary);
    let listed_unverified = |value: &str| {
        unverified
            .0
            .iter()
            .any(|other| other.eq_ignore_ascii_case(value))
    };
    let mut seen = HashSet::new();
    let mut values = Vec::new();
    let mut statuses = Vec::new();
    let candidates = primary
        .iter()
        .map(|value| (value.as_str(), !listed_unverified(value)))
        .chain(verified.0.iter().map(|value| (value.as_str(), true)))
        .chain(unverified.0.iter().map(|value| (value.as_str(), false)));
    for (value, is_verified) in candidates {
        if seen.insert(value.to_ascii_lowercase()) {
            values.push(value.to_owned());
            statuses.push(if is_verified {
                IdentificationStatus::Verified
            } else {
                IdentificationStatus::Reserved
            });
        }
    }
    if values.is_empty() {
        (None, None)
    } else {
        (Some(values), Some(statuses))
    }
}

/// A metadata cell: empty is absent; text is kept as text, which the metadata rules read as
/// the JSON object it holds (or refuse).
fn tier(value: Option<Value>) -> Patch<Value> {
    match value {
        None | Some(Value::Null) => Patch::Absent,
        Some(Value::String(text)) if text.trim().is_empty() => Patch::Absent,
        Some(value) => Patch::Set(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
# a comment, as in Clerk's samples
id,first_name,last_name,username,primary_email_address,primary_phone_number,verified_email_addresses,unverified_email_addresses,verified_phone_numbers,unverified_phone_numbers,totp_secret,password_digest,password_hasher
user_a,Jane,Doe,,jane@x.test,,jane@x.test|jane2@x.test,old@x.test,,,,$2b$10$abc,bcrypt
user_b,,,bob,,+12125550200,,,,+12125550200|+12125550201,,,
";

    fn read(text: &str) -> Vec<ReadRecord> {
        records(std::io::Cursor::new(text.to_owned().into_bytes())).collect()
    }

    #[test]
    fn a_csv_row_becomes_the_body_that_creates_the_user() {
        let rows = read(SAMPLE);
        assert_eq!(rows.len(), 2);
        let jane = rows[0].as_ref().expect("a record");
        assert_eq!(jane.source_id.as_deref(), Some("user_a"));
        assert_eq!(jane.line, 3);
        let request = &jane.request;
        assert_eq!(request.external_id.as_deref(), Some("user_a"));
        assert_eq!(
            request.email_address.as_deref(),
            Some(
                &[
                    "jane@x.test".to_owned(),
                    "jane2@x.test".to_owned(),
                    "old@x.test".to_owned()
                ][..]
            )
        );
        use IdentificationStatus::{Reserved, Verified};
        assert_eq!(
            request.email_address_identification_status.as_deref(),
            Some(&[Verified, Verified, Reserved][..])
        );
        assert_eq!(request.password_hasher.as_deref(), Some("bcrypt"));
        assert_eq!(request.username, None);

        let bob = &rows[1].as_ref().expect("a record").request;
        assert_eq!(bob.username.as_deref(), Some("bob"));
        // The primary number is listed as unverified, so it is held, not verified.
        assert_eq!(
            bob.phone_number_identification_status.as_deref(),
            Some(&[Reserved, Reserved][..])
        );
        assert_eq!(bob.password_digest, None);
    }

    #[test]
    fn the_json_shape_reads_the_same_fields() {
        let rows = read(
            r#"  [{"id": "user_a", "primary_email_address": "a@x.test",
                  "email_addresses": ["a@x.test", "b@x.test"], "phone_numbers": null,
                  "public_metadata": {"plan": "pro"}, "password_digest": null}]"#,
        );
        let record = rows[0].as_ref().expect("a record");
        assert_eq!(record.request.email_address.as_ref().map(Vec::len), Some(2));
        assert_eq!(
            record.request.public_metadata,
            Patch::Set(serde_json::json!({"plan": "pro"}))
        );
    }

    #[test]
    fn a_broken_row_is_reported_and_the_rest_still_read() {
        let bytes = b"id,first_name\nuser_a,\xff\nuser_b,Bo\n".to_vec();
        let rows: Vec<_> = records(std::io::Cursor::new(bytes)).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].as_ref().expect_err("not UTF-8").line, 2);
        let bo = rows[1].as_ref().expect("the next row still reads");
        assert_eq!((bo.line, bo.request.first_name.as_deref()), (3, Some("Bo")));
        let json = read("[{\"id\": \"user_a\", \"first_name\": 5}, {\"id\": \"user_b\"}]");
        let refused = json[0].as_ref().expect_err("a number is no name");
        assert_eq!(
            (refused.line, refused.source_id.as_deref()),
            (1, Some("user_a"))
        );
        assert!(json[1].is_ok());
    }
}
