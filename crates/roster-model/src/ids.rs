//! Clerk-style object identifiers: a type prefix, an underscore and a 27-character base62 KSUID.
//!
//! KSUIDs start with a timestamp, so identifiers sort roughly by creation time, as Clerk's do.

use svix_ksuid::{Ksuid, KsuidLike};

/// The prefixes Roster issues, one per object type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdPrefix {
    User,
    Identification,
    ApiKey,
    BackupCode,
    Verification,
    /// `msg_`: a mail or SMS message, and a webhook event (Svix calls events messages).
    Message,
    Session,
    Client,
    Instance,
    WebhookEndpoint,
    Delivery,
}

impl IdPrefix {
    pub fn as_str(self) -> &'static str {
        match self {
            IdPrefix::User => "user",
            IdPrefix::Identification => "idn",
            IdPrefix::ApiKey => "ak",
            IdPrefix::BackupCode => "bcode",
            IdPrefix::Verification => "ver",
            IdPrefix::Message => "msg",
            IdPrefix::Session => "sess",
            IdPrefix::Client => "client",
            IdPrefix::Instance => "ins",
            IdPrefix::WebhookEndpoint => "ep",
            IdPrefix::Delivery => "dlv",
        }
    }
}

/// A fresh identifier such as `user_2g7np7Hrk0SN6kj5EDMLDaKNL0S`.
pub fn new_id(prefix: IdPrefix) -> String {
    format!("{}_{}", prefix.as_str(), Ksuid::new(None, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_carry_prefix_and_27_base62_characters() {
        let id = new_id(IdPrefix::User);
        let suffix = id.strip_prefix("user_").expect("prefix");
        assert_eq!(suffix.len(), 27);
        assert!(suffix.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(id, new_id(IdPrefix::User));
    }
}
