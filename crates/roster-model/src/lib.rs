//! Roster's entities and value types.
//!
//! Everything here is plain data that every layer shares: the user aggregate as stored, the
//! filters of a user listing, and identifier generation. Nothing here performs I/O or knows
//! about HTTP, SQL or JSON wire formats (metadata is JSON by nature, so it is held as
//! `serde_json` values).

pub mod ids;
pub mod images;
pub mod messages;
pub mod organizations;
pub mod patch;
pub mod sessions;
pub mod time;
pub mod users;
pub mod webhooks;

pub use patch::Patch;
