//! The OrganizationInvitation object, its pages, request bodies and listing queries.

use roster_model::organizations::{Invitation, PublicUserData as ModelPublicUserData};
use roster_model::time::Millis;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

use crate::list_query::{FromPairs, ListQuery, QueryError, first};

/// What an invitation shows of its inviter.
#[derive(Clone, Debug, Serialize, PartialEq, ToSchema)]
pub struct InviterPublicData {
    pub user_id: String,
    #[schema(required = true)]
    pub first_name: Option<String>,
    #[schema(required = true)]
    pub last_name: Option<String>,
    pub image_url: String,
    pub has_image: bool,
    /// The inviter's primary email address, else phone number, else username.
    pub identifier: String,
}

impl InviterPublicData {
    pub fn from_model(user: &ModelPublicUserData, image_url: String) -> Self {
        InviterPublicData {
            user_id: user.user_id.clone(),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            image_url,
            has_image: false,
            identifier: user.identifier.clone().unwrap_or_default(),
        }
    }
}

/// What an instance-wide or per-user listing shows of the invitation's organization.
#[derive(Clone, Debug, Serialize, PartialEq, ToSchema)]
pub struct PublicOrganizationData {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub image_url: String,
    pub has_image: bool,
}

#[derive(Clone, Debug, Serialize, PartialEq, ToSchema)]
pub struct OrganizationInvitation {
    #[schema(schema_with = crate::schema::organization_invitation)]
    pub object: &'static str,
    pub id: String,
    pub email_address: String,
    pub role: String,
    pub role_name: String,
    pub organization_id: String,
    #[schema(required = true)]
    pub inviter_id: Option<String>,
    #[schema(required = true)]
    pub public_inviter_data: Option<InviterPublicData>,
    /// pending, accepted, revoked or expired.
    pub status: &'static str,
    #[schema(value_type = Object)]
    pub public_metadata: Map<String, Value>,
    #[schema(value_type = Object)]
    pub private_metadata: Map<String, Value>,
    /// The accept link; Roster has none until the Frontend API lands.
    #[schema(required = true)]
    pub url: Option<String>,
    #[schema(required = true)]
    pub expires_at: Option<i64>,
    /// Only in the instance-wide and per-user listings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_organization_data: Option<PublicOrganizationData>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl OrganizationInvitation {
    /// `inviter` is the inviter's public data with its image address; `organization_data`
    /// is set for the listings that carry it; `now` judges expiry.
    pub fn from_model(
        invitation: &Invitation,
        inviter: Option<InviterPublicData>,
        organization_data: Option<PublicOrganizationData>,
        now: Millis,
    ) -> Self {
        OrganizationInvitation {
            object: "organization_invitation",
            id: invitation.id.clone(),
            email_address: invitation.email_address.clone(),
            role: invitation.role.key.clone(),
            role_name: invitation.role.name.clone(),
            organization_id: invitation.organization.id.clone(),
            inviter_id: invitation.inviter_id.clone(),
            public_inviter_data: inviter,
            status: invitation.status_at(now).as_str(),
            public_metadata: invitation.public_metadata.clone(),
            private_metadata: invitation.private_metadata.clone(),
            url: None,
            expires_at: Some(invitation.expires_at),
            public_organization_data: organization_data,
            created_at: invitation.created_at,
            updated_at: invitation.updated_at,
        }
    }
}

/// A page of invitations.
#[derive(Clone, Debug, Serialize, PartialEq, ToSchema)]
pub struct OrganizationInvitations {
    pub data: Vec<OrganizationInvitation>,
    pub total_count: i64,
}

/// `POST /organizations/{organization_id}/invitations`, and one item of the bulk form.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, ToSchema)]
pub struct CreateInvitationRequest {
    pub email_address: Option<String>,
    pub inviter_user_id: Option<String>,
    pub role: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub public_metadata: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub private_metadata: Option<Value>,
    pub redirect_url: Option<String>,
    pub expires_in_days: Option<i64>,
    pub notify: Option<bool>,
}

/// `POST …/invitations/{invitation_id}/revoke`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, ToSchema)]
pub struct RevokeInvitationRequest {
    pub requesting_user_id: Option<String>,
}

/// The query of an invitation listing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InvitationListParams {
    pub status: Option<String>,
    pub email_address: Option<String>,
    pub query: Option<String>,
    pub page: ListQuery,
}

impl FromPairs for InvitationListParams {
    fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, QueryError> {
        let mut status = None;
        let mut email_address = None;
        let mut query = None;
        let page = ListQuery::read(pairs, |key, value| {
            match key {
                "status" => first(&mut status, value),
                "email_address" => first(&mut email_address, value),
                "query" => first(&mut query, value),
                _ => {}
            }
            Ok(())
        })?;
        Ok(InvitationListParams {
            status,
            email_address,
            query,
            page,
        })
    }
}

/// The query of `GET /organizations/{organization_id}/invitations`.
#[allow(dead_code)]
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvitationListQuery {
    /// pending, accepted, revoked or expired.
    #[param(required = false, pattern = "^(pending|accepted|revoked|expired)$")]
    status: String,
    /// Invitations to this address.
    #[param(required = false)]
    email_address: String,
    /// How many to return (1 to 500; 10 by default).
    #[param(required = false)]
    limit: i64,
    /// How many matching to skip.
    #[param(required = false)]
    offset: i64,
    /// `created_at` or `email_address`, optionally prefixed `+` or `-`.
    #[param(required = false, pattern = "^[+-]?(created_at|email_address)$")]
    order_by: String,
}

/// The query of `GET /organization_invitations`.
#[allow(dead_code)]
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InstanceInvitationListQuery {
    /// pending, accepted, revoked or expired.
    #[param(required = false, pattern = "^(pending|accepted|revoked|expired)$")]
    status: String,
    /// Part of the address, or of the organization's name or slug.
    #[param(required = false)]
    query: String,
    /// How many to return (1 to 500; 10 by default).
    #[param(required = false)]
    limit: i64,
    /// How many matching to skip.
    #[param(required = false)]
    offset: i64,
    /// `created_at` or `email_address`, optionally prefixed `+` or `-`.
    #[param(required = false, pattern = "^[+-]?(created_at|email_address)$")]
    order_by: String,
}

/// The query of `GET /users/{user_id}/organization_invitations`.
#[allow(dead_code)]
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserInvitationListQuery {
    /// pending, accepted, revoked or expired.
    #[param(required = false, pattern = "^(pending|accepted|revoked|expired)$")]
    status: String,
    /// How many to return (1 to 500; 10 by default).
    #[param(required = false)]
    limit: i64,
    /// How many to skip.
    #[param(required = false)]
    offset: i64,
}
