//! The Role and Permission objects of organizations, their pages, bodies and queries.

use roster_model::organizations::{Permission as ModelPermission, RoleDefinition};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::list_query::{FromPairs, ListQuery, QueryError, first};

#[derive(Clone, Debug, Serialize, PartialEq, ToSchema)]
pub struct Permission {
    #[schema(schema_with = crate::schema::permission)]
    pub object: &'static str,
    pub id: String,
    pub name: String,
    pub key: String,
    pub description: String,
    /// `system` or `user`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Permission {
    pub fn from_model(permission: &ModelPermission) -> Self {
        Permission {
            object: "permission",
            id: permission.id.clone(),
            name: permission.name.clone(),
            key: permission.key.clone(),
            description: permission.description.clone(),
            kind: if permission.system { "system" } else { "user" },
            created_at: permission.created_at,
            updated_at: permission.updated_at,
        }
    }
}

#[derive(Clone, Debug, Serialize, PartialEq, ToSchema)]
pub struct Role {
    #[schema(schema_with = crate::schema::role)]
    pub object: &'static str,
    pub id: String,
    pub name: String,
    pub key: String,
    #[schema(required = true)]
    pub description: Option<String>,
    /// Whether the role may be an organization creator's (it manages memberships).
    pub is_creator_eligible: bool,
    pub permissions: Vec<Permission>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Role {
    /// `all` is every permission; the role's keys pick theirs, in the role's order.
    pub fn from_model(role: &RoleDefinition, all: &[ModelPermission]) -> Self {
        let permissions = role
            .permissions
            .iter()
            .filter_map(|key| all.iter().find(|p| p.key == *key))
            .map(Permission::from_model)
            .collect();
        Role {
            object: "role",
            id: role.id.clone(),
            name: role.name.clone(),
            key: role.key.clone(),
            description: role.description.clone(),
            is_creator_eligible: role
                .permissions
                .iter()
                .any(|key| key == roster_model::organizations::MANAGE_MEMBERSHIPS),
            permissions,
            created_at: role.created_at,
            updated_at: role.updated_at,
        }
    }
}

#[derive(Clone, Debug, Serialize, PartialEq, ToSchema)]
pub struct Roles {
    pub data: Vec<Role>,
    pub total_count: i64,
}

#[derive(Clone, Debug, Serialize, PartialEq, ToSchema)]
pub struct Permissions {
    pub data: Vec<Permission>,
    pub total_count: i64,
}

/// `POST /organization_roles` and `PATCH /organization_roles/{id}`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, ToSchema)]
pub struct RoleRequest {
    pub name: Option<String>,
    pub key: Option<String>,
    pub description: Option<String>,
    /// Permission ids.
    pub permissions: Option<Vec<String>>,
    /// Accepted; every role is in Roster's one role set.
    pub include_in_initial_role_set: Option<bool>,
}

/// `POST /organization_permissions` and `PATCH /organization_permissions/{id}`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, ToSchema)]
pub struct PermissionRequest {
    pub name: Option<String>,
    pub key: Option<String>,
    pub description: Option<String>,
}

/// The query of a role or permission listing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RoleListParams {
    pub query: Option<String>,
    pub page: ListQuery,
}

impl FromPairs for RoleListParams {
    fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, QueryError> {
        let mut query = None;
        let page = ListQuery::read(pairs, |key, value| {
            if key == "query" {
                first(&mut query, value);
            }
            Ok(())
        })?;
        Ok(RoleListParams { query, page })
    }
}

/// The query of `GET /organization_roles` and `GET /organization_permissions`.
#[allow(dead_code)]
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RoleListQuery {
    /// Part of the key or the name.
    #[param(required = false)]
    query: String,
    /// How many to return (1 to 500; 10 by default).
    #[param(required = false)]
    limit: i64,
    /// How many matching to skip.
    #[param(required = false)]
    offset: i64,
    /// `created_at`, `name` or `key`, optionally prefixed `+` or `-`.
    #[param(required = false, pattern = "^[+-]?(created_at|name|key)$")]
    order_by: String,
}
