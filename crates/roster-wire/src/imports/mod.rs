//! The files users move in and out with. Each source's export shape is read into the body of
//! `POST /users` (`CreateUserRequest`), so an imported row meets exactly the rules a created
//! user does. The line-oriented formats (CSV, NDJSON) are read one record at a time, whatever
//! the file's size; a JSON array is read whole.

pub mod clerk;
pub mod report;
pub mod roster;

use std::io::BufRead;

use crate::users::CreateUserRequest;

/// Where a file comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Clerk's dashboard export (CSV), or Clerk's JSON as its migration tool reads it.
    Clerk,
    /// Roster's own export (NDJSON).
    Roster,
}

impl Source {
    pub const ALL: [Source; 2] = [Source::Clerk, Source::Roster];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Clerk => "clerk",
            Source::Roster => "roster",
        }
    }

    pub fn parse(text: &str) -> Option<Source> {
        Source::ALL
            .into_iter()
            .find(|source| source.as_str() == text)
    }
}

/// One user of a source file, as the body that would create them.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceRecord {
    /// Where the record starts in the file, from 1 (the CSV header is line 1).
    pub line: u64,
    /// The user's id in the source system.
    pub source_id: Option<String>,
    pub request: CreateUserRequest,
}

/// A record the reader could not make sense of (bad CSV, bad JSON).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnreadableRecord {
    pub line: u64,
    pub source_id: Option<String>,
    pub reason: String,
}

pub type ReadRecord = Result<SourceRecord, UnreadableRecord>;

/// The records of `input`, read as `source` writes them.
pub fn records<R: BufRead + Send + 'static>(
    source: Source,
    input: R,
) -> Box<dyn Iterator<Item = ReadRecord> + Send> {
    match source {
        Source::Clerk => clerk::records(input),
        Source::Roster => Box::new(roster::records(input)),
    }
}

/// A CSV or JSON cell that may be empty: empty means absent.
pub(crate) fn non_empty(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
}
