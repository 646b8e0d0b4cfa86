//! Clerk-style object identifiers: a type prefix, an underscore and a 27-character base62 KSUID.
//!
//! KSUIDs start with a timestamp, so identifiers sort roughly by creation time, as Clerk's do.

use std::fmt;

use serde::{Deserialize, Serialize};
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
    Organization,
    OrganizationMembership,
    OrganizationInvitation,
    OrganizationRole,
    OrganizationPermission,
    /// `img_`: an uploaded profile image.
    Image,
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
            IdPrefix::Organization => "org",
            IdPrefix::OrganizationMembership => "orgmem",
            IdPrefix::OrganizationInvitation => "orginv",
            IdPrefix::OrganizationRole => "role",
            IdPrefix::OrganizationPermission => "perm",
            IdPrefix::Image => "img",
        }
    }
}

/// A fresh identifier such as `user_2g7np7Hrk0SN6kj5EDMLDaKNL0S`.
pub fn new_id(prefix: IdPrefix) -> String {
    format!("{}_{}", prefix.as_str(), Ksuid::new(None, None))
}

/// One newtype per object kind, so that a user id cannot be passed where a session id is
/// wanted. Each holds the id exactly as it was issued, imported or requested (Clerk's ids keep
/// their spelling); `parse` accepts the kind's prefix followed by a non-empty ASCII
/// alphanumeric tail, the alphabet of both KSUIDs and the ids Clerk exports.
macro_rules! typed_ids {
    ($($(#[$doc:meta])* $name:ident => $prefix:ident;)+) => {
        $(
            $(#[$doc])*
            #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
            #[serde(try_from = "String", into = "String")]
            pub struct $name(String);

            impl $name {
                pub const PREFIX: IdPrefix = IdPrefix::$prefix;

                /// A fresh id of this kind. (Not `new`, nor `Default`: an id is minted, and a
                /// default value that differs at every call would surprise.)
                pub fn generate() -> Self {
                    $name(new_id(IdPrefix::$prefix))
                }

                /// The id `raw` spells, if it has this kind's prefix and a well-formed tail.
                pub fn parse(raw: &str) -> Option<Self> {
                    is_id_of(IdPrefix::$prefix, raw).then(|| $name(raw.to_owned()))
                }

                /// The id a request's path names, well formed or not. A malformed one is kept
                /// as given: every stored id was generated or parsed, so no lookup finds it, and
                /// the request gets an unknown id's answer after the same checks, in the same
                /// order, with no branch of its own. (The edge refuses a NUL in a path, so the
                /// text is safe to bind.)
                pub fn requested(raw: String) -> Self {
                    $name(raw)
                }

                pub fn as_str(&self) -> &str {
                    &self.0
                }

                pub fn into_string(self) -> String {
                    self.0
                }
            }

            /// Parses without copying; a malformed id is handed back unchanged.
            impl TryFrom<String> for $name {
                type Error = String;

                fn try_from(raw: String) -> Result<Self, String> {
                    if is_id_of(IdPrefix::$prefix, &raw) {
                        Ok($name(raw))
                    } else {
                        Err(raw)
                    }
                }
            }

            impl From<$name> for String {
                fn from(id: $name) -> String {
                    id.0
                }
            }

            impl AsRef<str> for $name {
                fn as_ref(&self) -> &str {
                    &self.0
                }
            }

            impl PartialEq<str> for $name {
                fn eq(&self, other: &str) -> bool {
                    self.0 == other
                }
            }

            impl PartialEq<&str> for $name {
                fn eq(&self, other: &&str) -> bool {
                    self.0 == *other
                }
            }

            impl PartialEq<String> for $name {
                fn eq(&self, other: &String) -> bool {
                    &self.0 == other
                }
            }

            impl fmt::Display for $name {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str(&self.0)
                }
            }
        )+
    };
}

typed_ids! {
    UserId => User;
    /// An email address, phone number or web3 wallet of a user.
    IdentificationId => Identification;
    ApiKeyId => ApiKey;
    BackupCodeId => BackupCode;
    VerificationId => Verification;
    /// A mail or SMS message, or a webhook event.
    MessageId => Message;
    SessionId => Session;
    ClientId => Client;
    InstanceId => Instance;
    WebhookEndpointId => WebhookEndpoint;
    DeliveryId => Delivery;
    OrganizationId => Organization;
    OrganizationMembershipId => OrganizationMembership;
    OrganizationInvitationId => OrganizationInvitation;
    OrganizationRoleId => OrganizationRole;
    OrganizationPermissionId => OrganizationPermission;
    ImageId => Image;
}

/// Whether `raw` is `prefix`, `_`, and one or more ASCII letters or digits.
fn is_id_of(prefix: IdPrefix, raw: &str) -> bool {
    raw.strip_prefix(prefix.as_str())
        .and_then(|rest| rest.strip_prefix('_'))
        .is_some_and(|tail| !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_alphanumeric()))
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

    #[test]
    fn typed_ids_accept_only_their_own_prefix() {
        let user = UserId::generate();
        assert!(user.as_str().starts_with("user_"));
        assert_eq!(UserId::parse(user.as_str()), Some(user.clone()));
        assert_eq!(SessionId::parse(user.as_str()), None);
        assert_eq!(
            UserId::parse("user_2g7np7Hrk0SN6kj5EDMLDaKNL0S").map(|id| id.to_string()),
            Some("user_2g7np7Hrk0SN6kj5EDMLDaKNL0S".to_owned())
        );
        // Ids of other lengths, as stored data may hold, keep their spelling.
        assert_eq!(UserId::parse("user_1").unwrap().as_str(), "user_1");
        for malformed in [
            "",
            "user",
            "user_",
            "user_a_b",
            "user_é",
            "usr_abc",
            " user_abc",
            "user_abc ",
        ] {
            assert_eq!(UserId::parse(malformed), None, "{malformed:?}");
        }
        assert_eq!(
            WebhookEndpointId::try_from("sess_abc".to_owned()),
            Err("sess_abc".to_owned())
        );
    }

    #[test]
    fn typed_ids_are_json_strings() {
        let id = SessionId::parse("sess_abc123").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), r#""sess_abc123""#);
        let back: SessionId = serde_json::from_str(r#""sess_abc123""#).unwrap();
        assert_eq!(back, id);
        assert!(serde_json::from_str::<SessionId>(r#""user_abc123""#).is_err());
    }
}
