//! The `Roles` service: custom roles and permissions beside the defaults. Keys follow Clerk's
//! format: a role `org:<name>`, a permission `org:<feature>:<action>`, each part lowercase
//! letters, digits and `_`; `org:sys_…` permissions are the system's and cannot be created,
//! changed or deleted. A role in use (by a membership or an invitation), or named by the
//! instance as the creator's or the default role, is not deleted and keeps its key.

use std::sync::Arc;

use roster_model::ids::{OrganizationPermissionId, OrganizationRoleId};
use roster_model::organizations::{Permission, RoleDefinition, RoleOrderField};
use roster_model::time::now_millis;
use roster_store::Tx;

use crate::context::Context;
use crate::error::{DomainError, DomainResult, FieldError, FieldErrorKind};
use crate::user_record::invalid;
use crate::validate;

use super::rules;

/// `POST /organization_roles`, `PATCH /organization_roles/{id}` (absent leaves a field),
/// and the same for permissions (which have no `permissions`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RoleInput {
    pub name: Option<String>,
    pub key: Option<String>,
    pub description: Option<String>,
    /// Permission ids.
    pub permissions: Option<Vec<String>>,
}

/// A listing of roles or permissions, as parsed from the query string.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ListRoles {
    pub query: Option<String>,
    pub order_by: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Clone)]
pub struct Roles {
    cx: Arc<Context>,
}

impl Roles {
    pub fn new(cx: Arc<Context>) -> Self {
        Roles { cx }
    }

    /// Every permission, for rendering roles with theirs.
    pub async fn permissions(&self) -> DomainResult<Vec<Permission>> {
        Ok(self.cx.store.all_permissions().await?)
    }

    pub async fn list(&self, request: ListRoles) -> DomainResult<(Vec<RoleDefinition>, i64)> {
        let page = page(&request)?;
        let query = request.query.as_deref();
        let roles = self.cx.store.list_roles(query, &page).await?;
        let total = self
            .cx
            .store
            .count_roles_or_permissions(true, query)
            .await?;
        Ok((roles, total))
    }

    pub async fn get(&self, id: &str) -> DomainResult<RoleDefinition> {
        self.cx
            .store
            .get_role_by_id(id)
            .await?
            .ok_or_else(|| not_found("role", id))
    }

    pub async fn create(&self, input: RoleInput) -> DomainResult<RoleDefinition> {
        let mut errors = Vec::new();
        let name = required(&mut errors, "name", input.name.as_deref());
        let key = required(&mut errors, "key", input.key.as_deref());
        if input.key.is_some() {
            errors.extend(check_role_key(&key).err());
        }
        if let Some(description) = &input.description {
            errors.extend(validate::text("description", description).err());
        }
        invalid(errors)?;
        let now = now_millis();
        let mut tx = self.cx.store.begin().await?;
        if tx.role_key_taken(&key).await? {
            return Err(DomainError::field("key", FieldErrorKind::IdentifierExists));
        }
        let permissions = match &input.permissions {
            Some(ids) => permission_keys(&mut tx, ids).await?,
            None => Vec::new(),
        };
        let role = RoleDefinition {
            id: OrganizationRoleId::generate().into_string(),
            key,
            name,
            description: input.description,
            permissions,
            created_at: now,
            updated_at: now,
        };
        tx.insert_role(&role).await?;
        tx.commit().await?;
        Ok(role)
    }

    pub async fn update(&self, id: &str, input: RoleInput) -> DomainResult<RoleDefinition> {
        let mut tx = self.cx.store.begin().await?;
        let mut role = tx
            .role_by_id(id)
            .await?
            .ok_or_else(|| not_found("role", id))?;
        let mut errors = Vec::new();
        if let Some(name) = input.name.as_deref().map(str::trim) {
            match validate::text("name", name).and_then(|()| non_empty("name", name)) {
                Ok(()) => role.name = name.to_owned(),
                Err(error) => errors.push(error),
            }
        }
        if let Some(description) = input.description {
            errors.extend(validate::text("description", &description).err());
            role.description = Some(description);
        }
        let new_key = input.key.filter(|key| *key != role.key);
        if let Some(key) = &new_key {
            errors.extend(check_role_key(key).err());
        }
        invalid(errors)?;
        if let Some(key) = new_key {
            self.ensure_free(&mut tx, &role.key).await?;
            if tx.role_key_taken(&key).await? {
                return Err(DomainError::field("key", FieldErrorKind::IdentifierExists));
            }
            role.key = key;
        }
        if let Some(ids) = &input.permissions {
            role.permissions = permission_keys(&mut tx, ids).await?;
        }
        self.save_role(tx, role).await
    }

    /// Grants (`grant`) or withdraws one permission.
    pub async fn set_permission(
        &self,
        id: &str,
        permission_id: &str,
        grant: bool,
    ) -> DomainResult<RoleDefinition> {
        let mut tx = self.cx.store.begin().await?;
        let mut role = tx
            .role_by_id(id)
            .await?
            .ok_or_else(|| not_found("role", id))?;
        let permission = tx
            .permission_by("id", permission_id)
            .await?
            .ok_or_else(|| not_found("permission", permission_id))?;
        let held = role.permissions.contains(&permission.key);
        match (grant, held) {
            (true, true) => return Err(DomainError::Conflict),
            (true, false) => role.permissions.push(permission.key),
            (false, false) => return Err(not_found("permission", permission_id)),
            (false, true) => role.permissions.retain(|key| *key != permission.key),
        }
        self.save_role(tx, role).await
    }

    pub async fn delete(&self, id: &str) -> DomainResult<RoleDefinition> {
        let mut tx = self.cx.store.begin().await?;
        let role = tx
            .role_by_id(id)
            .await?
            .ok_or_else(|| not_found("role", id))?;
        self.ensure_free(&mut tx, &role.key).await?;
        tx.delete_role(&role.id).await?;
        tx.commit().await?;
        Ok(role)
    }

    /// Refuses to delete or re-key a default role or one in use.
    async fn ensure_free(&self, tx: &mut Tx, key: &str) -> DomainResult<()> {
        let settings = &self.cx.settings.organizations;
        let default = ["org:admin", "org:member"].contains(&key)
            || key == settings.creator_role
            || key == settings.default_role;
        if default || tx.role_in_use(key).await? {
            return Err(DomainError::field(
                "role",
                FieldErrorKind::ValueInvalid {
                    reason: "is a default role or held by members or invitations".to_owned(),
                },
            ));
        }
        Ok(())
    }

    async fn save_role(
        &self,
        mut tx: Tx,
        mut role: RoleDefinition,
    ) -> DomainResult<RoleDefinition> {
        role.updated_at = now_millis().max(role.updated_at);
        tx.update_role(&role).await?;
        tx.commit().await?;
        Ok(role)
    }

    pub async fn list_permissions(
        &self,
        request: ListRoles,
    ) -> DomainResult<(Vec<Permission>, i64)> {
        let page = page(&request)?;
        let query = request.query.as_deref();
        let found = self.cx.store.list_permissions(query, &page).await?;
        let total = self
            .cx
            .store
            .count_roles_or_permissions(false, query)
            .await?;
        Ok((found, total))
    }

    pub async fn get_permission(&self, id: &str) -> DomainResult<Permission> {
        self.cx
            .store
            .get_permission(id)
            .await?
            .ok_or_else(|| not_found("permission", id))
    }

    pub async fn create_permission(&self, input: RoleInput) -> DomainResult<Permission> {
        let mut errors = Vec::new();
        let name = required(&mut errors, "name", input.name.as_deref());
        let key = required(&mut errors, "key", input.key.as_deref());
        if input.key.is_some() {
            errors.extend(check_permission_key(&key).err());
        }
        if let Some(description) = &input.description {
            errors.extend(validate::text("description", description).err());
        }
        invalid(errors)?;
        let now = now_millis();
        let mut tx = self.cx.store.begin().await?;
        if tx.permission_by("key", &key).await?.is_some() {
            return Err(DomainError::field("key", FieldErrorKind::IdentifierExists));
        }
        let permission = Permission {
            id: OrganizationPermissionId::generate().into_string(),
            key,
            name,
            description: input.description.unwrap_or_default(),
            system: false,
            created_at: now,
            updated_at: now,
        };
        tx.insert_permission(&permission).await?;
        tx.commit().await?;
        Ok(permission)
    }

    /// Changes a custom permission; a new key is carried into every role granting it.
    pub async fn update_permission(&self, id: &str, input: RoleInput) -> DomainResult<Permission> {
        let mut tx = self.cx.store.begin().await?;
        let mut permission = custom_permission(&mut tx, id).await?;
        let mut errors = Vec::new();
        if let Some(name) = input.name.as_deref().map(str::trim) {
            match validate::text("name", name).and_then(|()| non_empty("name", name)) {
                Ok(()) => permission.name = name.to_owned(),
                Err(error) => errors.push(error),
            }
        }
        if let Some(description) = input.description {
            errors.extend(validate::text("description", &description).err());
            permission.description = description;
        }
        let new_key = input.key.filter(|key| *key != permission.key);
        if let Some(key) = &new_key {
            errors.extend(check_permission_key(key).err());
        }
        invalid(errors)?;
        let now = now_millis();
        if let Some(key) = new_key {
            if tx.permission_by("key", &key).await?.is_some() {
                return Err(DomainError::field("key", FieldErrorKind::IdentifierExists));
            }
            for mut role in tx.all_roles().await? {
                if let Some(slot) = role.permissions.iter_mut().find(|k| **k == permission.key) {
                    slot.clone_from(&key);
                    role.updated_at = now.max(role.updated_at);
                    tx.update_role(&role).await?;
                }
            }
            permission.key = key;
        }
        permission.updated_at = now.max(permission.updated_at);
        tx.update_permission(&permission).await?;
        tx.commit().await?;
        Ok(permission)
    }

    /// Deletes a custom permission and withdraws it from every role.
    pub async fn delete_permission(&self, id: &str) -> DomainResult<Permission> {
        let mut tx = self.cx.store.begin().await?;
        let permission = custom_permission(&mut tx, id).await?;
        let now = now_millis();
        for mut role in tx.all_roles().await? {
            if role.permissions.contains(&permission.key) {
                role.permissions.retain(|key| *key != permission.key);
                role.updated_at = now.max(role.updated_at);
                tx.update_role(&role).await?;
            }
        }
        tx.delete_permission(&permission.id).await?;
        tx.commit().await?;
        Ok(permission)
    }
}

fn page(request: &ListRoles) -> DomainResult<roster_model::organizations::Page<RoleOrderField>> {
    rules::page(
        request.order_by.as_deref(),
        "-created_at",
        RoleOrderField::parse,
        request.limit,
        request.offset,
    )
}

fn required(errors: &mut Vec<FieldError>, param: &str, value: Option<&str>) -> String {
    match value.map(str::trim) {
        None => {
            errors.push(FieldError::new(param, FieldErrorKind::Missing));
            String::new()
        }
        Some(value) => {
            errors.extend(validate::text(param, value).err());
            errors.extend(non_empty(param, value).err());
            value.to_owned()
        }
    }
}

fn non_empty(param: &str, value: &str) -> Result<(), FieldError> {
    if value.is_empty() {
        return Err(FieldError::new(
            param,
            FieldErrorKind::ValueInvalid {
                reason: "must not be empty".to_owned(),
            },
        ));
    }
    Ok(())
}

fn is_segment(part: &str) -> bool {
    !part.is_empty()
        && part
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// `org:` and one segment of lowercase letters, digits and `_`.
pub(crate) fn check_role_key(key: &str) -> Result<(), FieldError> {
    match key.strip_prefix("org:") {
        Some(rest) if is_segment(rest) && key.len() <= 64 => Ok(()),
        _ => Err(FieldError::new(
            "key",
            FieldErrorKind::FormatInvalid {
                expected: "org: then lowercase letters, digits or _".to_owned(),
            },
        )),
    }
}

/// `org:<feature>:<action>`, each part lowercase letters, digits and `_`, and not `org:sys_…`.
pub(crate) fn check_permission_key(key: &str) -> Result<(), FieldError> {
    let parts: Vec<&str> = key.split(':').collect();
    let well_formed = parts.len() == 3
        && parts[0] == "org"
        && is_segment(parts[1])
        && is_segment(parts[2])
        && key.len() <= 128;
    if !well_formed || parts[1].starts_with("sys_") {
        return Err(FieldError::new(
            "key",
            FieldErrorKind::FormatInvalid {
                expected: "org:<feature>:<action> in lowercase letters, digits or _, not org:sys_"
                    .to_owned(),
            },
        ));
    }
    Ok(())
}

/// The keys of the permissions with these ids, or "not found" for the first unknown one.
async fn permission_keys(tx: &mut Tx, ids: &[String]) -> DomainResult<Vec<String>> {
    let mut keys = Vec::with_capacity(ids.len());
    for id in ids {
        let permission = tx
            .permission_by("id", id)
            .await?
            .ok_or_else(|| DomainError::field("permissions", FieldErrorKind::ResourceNotFound))?;
        if !keys.contains(&permission.key) {
            keys.push(permission.key);
        }
    }
    Ok(keys)
}

async fn custom_permission(tx: &mut Tx, id: &str) -> DomainResult<Permission> {
    let permission = tx
        .permission_by("id", id)
        .await?
        .ok_or_else(|| not_found("permission", id))?;
    if permission.system {
        return Err(DomainError::field(
            "permission",
            FieldErrorKind::ValueInvalid {
                reason: "system permissions cannot be changed or deleted".to_owned(),
            },
        ));
    }
    Ok(permission)
}

fn not_found(resource: &'static str, id: &str) -> DomainError {
    DomainError::NotFound {
        resource,
        id: id.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_clerks_format() {
        assert!(check_role_key("org:billing_admin").is_ok());
        for bad in ["org:", "admin", "org:Admin", "org:a:b", "org:a-b"] {
            assert!(check_role_key(bad).is_err(), "{bad}");
        }
        assert!(check_permission_key("org:billing:manage").is_ok());
        for bad in [
            "org:billing",
            "org:sys_profile:manage",
            "org:Bill:read",
            "x:a:b",
            "org:a:b:c",
        ] {
            assert!(check_permission_key(bad).is_err(), "{bad}");
        }
    }
}
