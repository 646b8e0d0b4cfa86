//! Clerk's JSON wire shapes, field for field.
//!
//! **Invariant:** these are the only types of Roster that are serialized onto the API. Model
//! types stay free of wire concerns; conversions from the model live next to each wire type.
//! Every key a strict SDK requires is always emitted (`null`, never absent; `[]` for empty
//! lists), and every `object` discriminator is set.

pub mod common;
pub mod email_addresses;
pub mod errors;
pub mod images;
pub mod imports;
pub mod list_query;
pub mod mfa;
pub mod organization_invitations;
pub mod organization_roles;
pub mod organizations;
pub mod passwords;
pub mod phone_numbers;
mod schema;
pub mod sessions;
pub mod users;
pub mod verifications;
pub mod webhooks;
