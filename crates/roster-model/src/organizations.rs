//! Organizations, their members and the roles members hold.

use crate::time::Millis;
use crate::users::{IncludeExclude, Metadata};

/// An organization as stored. `members_count` is kept by every membership change.
#[derive(Clone, Debug, PartialEq)]
pub struct Organization {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub created_by: Option<String>,
    /// 0 means unlimited.
    pub max_allowed_memberships: i64,
    pub admin_delete_enabled: bool,
    pub public_metadata: Metadata,
    pub private_metadata: Metadata,
    pub members_count: i64,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A role members can hold: a key such as `org:admin`, its name and its permissions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Role {
    pub key: String,
    pub name: String,
    pub permissions: Vec<String>,
}

/// The permission that makes a role an administrator's: an organization always keeps one
/// member holding it.
pub const MANAGE_MEMBERSHIPS: &str = "org:sys_memberships:manage";

impl Role {
    pub fn is_admin(&self) -> bool {
        self.permissions.iter().any(|p| p == MANAGE_MEMBERSHIPS)
    }
}

/// What a membership shows of its user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicUserData {
    pub user_id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// The primary email address, else the primary phone number, else the username.
    pub identifier: Option<String>,
    pub username: Option<String>,
    pub banned: bool,
}

/// A user's membership in an organization, with both sides as clients see them.
#[derive(Clone, Debug, PartialEq)]
pub struct Membership {
    pub id: String,
    pub organization: Organization,
    pub user: PublicUserData,
    pub role: Role,
    pub public_metadata: Metadata,
    pub private_metadata: Metadata,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// The filters of `GET /organizations`; they combine with AND.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OrganizationFilter {
    /// The exact id, or part of the name or slug, ignoring case.
    pub query: Option<String>,
    /// Organizations with (or, excluded, without) any of these members.
    pub user_ids: IncludeExclude,
    pub organization_ids: IncludeExclude,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrganizationOrderField {
    Name,
    CreatedAt,
    MembersCount,
}

impl OrganizationOrderField {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "name" => Some(Self::Name),
            "created_at" => Some(Self::CreatedAt),
            "members_count" => Some(Self::MembersCount),
            _ => None,
        }
    }
}

/// A page of a listing: its order, size and start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page<F> {
    pub field: F,
    pub descending: bool,
    pub limit: i64,
    pub offset: i64,
}

/// Which memberships a listing covers; the filters combine with AND.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MembershipFilter {
    pub organization_id: Option<String>,
    pub user_id: Option<String>,
    pub user_ids: IncludeExclude,
    pub roles: Vec<String>,
    /// Part of the member's name, username or identifier, or their exact id, ignoring case.
    pub query: Option<String>,
    /// Members with any of these identifiers (compared as their uniqueness keys).
    pub email_addresses: Vec<String>,
    pub phone_numbers: Vec<String>,
    pub web3_wallets: Vec<String>,
    pub usernames: Vec<String>,
    /// Parts of one kind of the member's data, ignoring case.
    pub email_address_query: Option<String>,
    pub phone_number_query: Option<String>,
    pub username_query: Option<String>,
    pub name_query: Option<String>,
    /// Bounds on the member's user, exclusive, in Unix milliseconds.
    pub created_at_before: Option<i64>,
    pub created_at_after: Option<i64>,
    pub last_active_at_before: Option<i64>,
    pub last_active_at_after: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MembershipOrderField {
    CreatedAt,
    FirstName,
    LastName,
    Username,
    EmailAddress,
    PhoneNumber,
}

impl MembershipOrderField {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "created_at" => Some(Self::CreatedAt),
            "first_name" => Some(Self::FirstName),
            "last_name" => Some(Self::LastName),
            "username" => Some(Self::Username),
            "email_address" => Some(Self::EmailAddress),
            "phone_number" => Some(Self::PhoneNumber),
            _ => None,
        }
    }
}

/// Where an invitation stands. Only the first three are stored: a pending invitation past
/// its `expires_at` reads as `Expired`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvitationStatus {
    Pending,
    Accepted,
    Revoked,
    Expired,
}

impl InvitationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Revoked => "revoked",
            Self::Expired => "expired",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "pending" => Some(Self::Pending),
            "accepted" => Some(Self::Accepted),
            "revoked" => Some(Self::Revoked),
            "expired" => Some(Self::Expired),
            _ => None,
        }
    }
}

/// An invitation to join an organization, with the organization, the role and the inviter's
/// public data (when the inviter still exists).
#[derive(Clone, Debug, PartialEq)]
pub struct Invitation {
    pub id: String,
    pub organization: Organization,
    pub email_address: String,
    pub role: Role,
    pub inviter_id: Option<String>,
    pub inviter: Option<PublicUserData>,
    /// As stored: pending, accepted or revoked.
    pub status: InvitationStatus,
    pub public_metadata: Metadata,
    pub private_metadata: Metadata,
    pub redirect_url: Option<String>,
    pub expires_at: Millis,
    pub created_at: Millis,
    pub updated_at: Millis,
}

impl Invitation {
    /// The status as clients see it at `now`.
    pub fn status_at(&self, now: Millis) -> InvitationStatus {
        if self.status == InvitationStatus::Pending && self.expires_at <= now {
            InvitationStatus::Expired
        } else {
            self.status
        }
    }
}

/// Which invitations a listing covers; the filters combine with AND.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InvitationFilter {
    pub organization_id: Option<String>,
    pub id: Option<String>,
    /// Invitations to any of these addresses, as identity keys.
    pub email_keys: Option<Vec<String>>,
    /// With `now`: `Pending` means pending and unexpired, `Expired` pending and expired.
    pub status: Option<InvitationStatus>,
    /// Part of the address, or the organization's name or slug, ignoring case.
    pub query: Option<String>,
    /// The moment against which expiry is judged.
    pub now: Millis,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvitationOrderField {
    CreatedAt,
    EmailAddress,
}

impl InvitationOrderField {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "created_at" => Some(Self::CreatedAt),
            "email_address" => Some(Self::EmailAddress),
            _ => None,
        }
    }
}

/// A role as the roles API manages it: `Role` plus its id, description and times.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleDefinition {
    pub id: String,
    pub key: String,
    pub name: String,
    pub description: Option<String>,
    /// Permission keys.
    pub permissions: Vec<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A permission a role can grant: `org:<feature>:<action>`. System permissions
/// (`org:sys_…`) come with Roster and cannot be changed or deleted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Permission {
    pub id: String,
    pub key: String,
    pub name: String,
    pub description: String,
    pub system: bool,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleOrderField {
    CreatedAt,
    Name,
    Key,
}

impl RoleOrderField {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "created_at" => Some(Self::CreatedAt),
            "name" => Some(Self::Name),
            "key" => Some(Self::Key),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pending_invitation_past_its_end_reads_as_expired() {
        let organization = Organization {
            id: "org_1".to_owned(),
            name: "Acme".to_owned(),
            slug: "acme".to_owned(),
            created_by: None,
            max_allowed_memberships: 0,
            admin_delete_enabled: true,
            public_metadata: Metadata::new(),
            private_metadata: Metadata::new(),
            members_count: 0,
            created_at: 0,
            updated_at: 0,
        };
        let mut invitation = Invitation {
            id: "orginv_1".to_owned(),
            organization,
            email_address: "ada@example.com".to_owned(),
            role: Role {
                key: "org:member".to_owned(),
                name: "Member".to_owned(),
                permissions: Vec::new(),
            },
            inviter_id: None,
            inviter: None,
            status: InvitationStatus::Pending,
            public_metadata: Metadata::new(),
            private_metadata: Metadata::new(),
            redirect_url: None,
            expires_at: 100,
            created_at: 0,
            updated_at: 0,
        };
        assert_eq!(invitation.status_at(99), InvitationStatus::Pending);
        assert_eq!(invitation.status_at(100), InvitationStatus::Expired);
        invitation.status = InvitationStatus::Accepted;
        assert_eq!(invitation.status_at(100), InvitationStatus::Accepted);
        for status in ["pending", "accepted", "revoked", "expired"] {
            assert_eq!(
                InvitationStatus::parse(status).map(|s| s.as_str()),
                Some(status)
            );
        }
    }
}
