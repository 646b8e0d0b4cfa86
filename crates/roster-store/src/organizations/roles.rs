//! The roles and permissions members can hold. A role lists its permissions by key (a JSON
//! array); permissions are rows of their own, the system ones seeded by migration 0018.

use roster_model::organizations::{Page, Permission, RoleDefinition, RoleOrderField};
use sqlx::{Database, Encode, QueryBuilder, Row, Type};

use super::filters::{like_pattern, push_page};
use super::parse_permissions;
use crate::error::classify;
use crate::{Conn, Dialect, Store, StoreError, StoreResult, Tx, execute, on_connection};

const ROLE_COLUMNS: &str = "id, key, name, description, permissions, created_at, updated_at";
const PERMISSION_COLUMNS: &str = "id, key, name, description, system, created_at, updated_at";

/// Which of the two tables a listing reads.
#[derive(Clone, Copy)]
enum Table {
    Roles,
    Permissions,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::Roles => "organization_roles",
            Table::Permissions => "organization_permissions",
        }
    }

    fn columns(self) -> &'static str {
        match self {
            Table::Roles => ROLE_COLUMNS,
            Table::Permissions => PERMISSION_COLUMNS,
        }
    }
}

impl Store {
    pub async fn list_roles(
        &self,
        query: Option<&str>,
        page: &Page<RoleOrderField>,
    ) -> StoreResult<Vec<RoleDefinition>> {
        let mut reader = self.reader().await?;
        let rows = select(reader.conn(), Table::Roles, query, Some(page), None).await?;
        Ok(rows.into_iter().filter_map(Listed::role).collect())
    }

    pub async fn list_permissions(
        &self,
        query: Option<&str>,
        page: &Page<RoleOrderField>,
    ) -> StoreResult<Vec<Permission>> {
        let mut reader = self.reader().await?;
        let rows = select(reader.conn(), Table::Permissions, query, Some(page), None).await?;
        Ok(rows.into_iter().filter_map(Listed::permission).collect())
    }

    /// How many roles (`roles`) or permissions match `query`.
    pub async fn count_roles_or_permissions(
        &self,
        roles: bool,
        query: Option<&str>,
    ) -> StoreResult<i64> {
        let table = if roles {
            Table::Roles
        } else {
            Table::Permissions
        };
        let mut reader = self.reader().await?;
        let dialect = reader.conn().dialect();
        on_connection!(reader.conn(), |c| {
            let mut sql = QueryBuilder::new(format!("SELECT COUNT(*) FROM {}", table.name()));
            push_query(&mut sql, query, dialect);
            Ok(sql.build().fetch_one(&mut *c).await?.try_get(0)?)
        })
    }

    pub async fn get_role_by_id(&self, id: &str) -> StoreResult<Option<RoleDefinition>> {
        let mut reader = self.reader().await?;
        let rows = select(reader.conn(), Table::Roles, None, None, Some(("id", id))).await?;
        Ok(rows.into_iter().find_map(Listed::role))
    }

    pub async fn get_permission(&self, id: &str) -> StoreResult<Option<Permission>> {
        let mut reader = self.reader().await?;
        let rows = select(
            reader.conn(),
            Table::Permissions,
            None,
            None,
            Some(("id", id)),
        )
        .await?;
        Ok(rows.into_iter().find_map(Listed::permission))
    }

    /// Every permission, for rendering roles.
    pub async fn all_permissions(&self) -> StoreResult<Vec<Permission>> {
        let mut reader = self.reader().await?;
        let rows = select(reader.conn(), Table::Permissions, None, None, None).await?;
        Ok(rows.into_iter().filter_map(Listed::permission).collect())
    }
}

impl Tx {
    pub async fn role_by_id(&mut self, id: &str) -> StoreResult<Option<RoleDefinition>> {
        let rows = select(self.conn(), Table::Roles, None, None, Some(("id", id))).await?;
        Ok(rows.into_iter().find_map(Listed::role))
    }

    pub async fn role_key_taken(&mut self, key: &str) -> StoreResult<bool> {
        let rows = select(self.conn(), Table::Roles, None, None, Some(("key", key))).await?;
        Ok(!rows.is_empty())
    }

    pub async fn permission_by(
        &mut self,
        column: &'static str,
        value: &str,
    ) -> StoreResult<Option<Permission>> {
        let rows = select(
            self.conn(),
            Table::Permissions,
            None,
            None,
            Some((column, value)),
        )
        .await?;
        Ok(rows.into_iter().find_map(Listed::permission))
    }

    /// Every role, read inside this transaction.
    pub async fn all_roles(&mut self) -> StoreResult<Vec<RoleDefinition>> {
        let rows = select(self.conn(), Table::Roles, None, None, None).await?;
        Ok(rows.into_iter().filter_map(Listed::role).collect())
    }

    /// Whether any membership or invitation holds the role.
    pub async fn role_in_use(&mut self, key: &str) -> StoreResult<bool> {
        Ok(on_connection!(self.conn(), |c| {
            sqlx::query(
                "SELECT 1 FROM organization_memberships WHERE role = $1 \
                 UNION ALL SELECT 1 FROM organization_invitations WHERE role = $1",
            )
            .bind(key)
            .fetch_optional(&mut *c)
            .await?
            .is_some()
        }))
    }

    pub async fn insert_role(&mut self, role: &RoleDefinition) -> StoreResult<()> {
        on_connection!(self.conn(), |c| {
            sqlx::query(
                "INSERT INTO organization_roles (id, key, name, description, permissions, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&role.id)
            .bind(&role.key)
            .bind(&role.name)
            .bind(&role.description)
            .bind(permissions_text(&role.permissions))
            .bind(role.created_at)
            .bind(role.updated_at)
            .execute(&mut *c)
            .await
            .map_err(|error| classify(error, None))?;
        });
        Ok(())
    }

    /// Writes every column of the role with this id.
    pub async fn update_role(&mut self, role: &RoleDefinition) -> StoreResult<()> {
        let rows = execute!(
            self.conn(),
            "UPDATE organization_roles SET key = $2, name = $3, description = $4, \
             permissions = $5, updated_at = $6 WHERE id = $1",
            &role.id,
            &role.key,
            &role.name,
            &role.description,
            permissions_text(&role.permissions),
            role.updated_at
        );
        if rows != 1 {
            return Err(StoreError::Conflict);
        }
        Ok(())
    }

    pub async fn delete_role(&mut self, id: &str) -> StoreResult<bool> {
        let rows = execute!(
            self.conn(),
            "DELETE FROM organization_roles WHERE id = $1",
            id
        );
        Ok(rows == 1)
    }

    pub async fn insert_permission(&mut self, permission: &Permission) -> StoreResult<()> {
        on_connection!(self.conn(), |c| {
            sqlx::query(
                "INSERT INTO organization_permissions (id, key, name, description, system, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&permission.id)
            .bind(&permission.key)
            .bind(&permission.name)
            .bind(&permission.description)
            .bind(permission.system)
            .bind(permission.created_at)
            .bind(permission.updated_at)
            .execute(&mut *c)
            .await
            .map_err(|error| classify(error, None))?;
        });
        Ok(())
    }

    pub async fn update_permission(&mut self, permission: &Permission) -> StoreResult<()> {
        let rows = execute!(
            self.conn(),
            "UPDATE organization_permissions SET key = $2, name = $3, description = $4, \
             updated_at = $5 WHERE id = $1",
            &permission.id,
            &permission.key,
            &permission.name,
            &permission.description,
            permission.updated_at
        );
        if rows != 1 {
            return Err(StoreError::Conflict);
        }
        Ok(())
    }

    pub async fn delete_permission(&mut self, id: &str) -> StoreResult<bool> {
        let rows = execute!(
            self.conn(),
            "DELETE FROM organization_permissions WHERE id = $1",
            id
        );
        Ok(rows == 1)
    }
}

/// A row of either table.
enum Listed {
    Role(RoleDefinition),
    Permission(Permission),
}

impl Listed {
    fn role(self) -> Option<RoleDefinition> {
        match self {
            Listed::Role(role) => Some(role),
            Listed::Permission(_) => None,
        }
    }

    fn permission(self) -> Option<Permission> {
        match self {
            Listed::Permission(permission) => Some(permission),
            Listed::Role(_) => None,
        }
    }
}

async fn select(
    conn: Conn<'_>,
    table: Table,
    query: Option<&str>,
    page: Option<&Page<RoleOrderField>>,
    exact: Option<(&'static str, &str)>,
) -> StoreResult<Vec<Listed>> {
    let dialect = conn.dialect();
    on_connection!(conn, |c| {
        let mut sql =
            QueryBuilder::new(format!("SELECT {} FROM {}", table.columns(), table.name()));
        push_query(&mut sql, query, dialect);
        if let Some((column, value)) = exact {
            sql.push(format!(" AND {column} = "));
            sql.push_bind(value.to_owned());
        }
        match page {
            Some(page) => {
                let field = match page.field {
                    RoleOrderField::CreatedAt => "created_at",
                    RoleOrderField::Name => "name",
                    RoleOrderField::Key => "key",
                };
                let direction = if page.descending { "DESC" } else { "ASC" };
                sql.push(format!(" ORDER BY {field} {direction}, key {direction}"));
                push_page(&mut sql, page.limit, page.offset);
            }
            None => {
                sql.push(" ORDER BY created_at, key");
            }
        }
        let rows = sql.build().fetch_all(&mut *c).await?;
        rows.iter()
            .map(|row| -> StoreResult<Listed> {
                Ok(match table {
                    Table::Roles => Listed::Role(RoleDefinition {
                        id: row.try_get(0)?,
                        key: row.try_get(1)?,
                        name: row.try_get(2)?,
                        description: row.try_get(3)?,
                        permissions: parse_permissions(&row.try_get::<String, _>(4)?)?,
                        created_at: row.try_get(5)?,
                        updated_at: row.try_get(6)?,
                    }),
                    Table::Permissions => Listed::Permission(Permission {
                        id: row.try_get(0)?,
                        key: row.try_get(1)?,
                        name: row.try_get(2)?,
                        description: row.try_get(3)?,
                        system: row.try_get(4)?,
                        created_at: row.try_get(5)?,
                        updated_at: row.try_get(6)?,
                    }),
                })
            })
            .collect()
    })
}

/// `query` matches part of the key or the name, ignoring case.
fn push_query<DB>(sql: &mut QueryBuilder<DB>, query: Option<&str>, dialect: Dialect)
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
{
    sql.push(" WHERE 1 = 1");
    if let Some(term) = query.filter(|t| !t.is_empty()) {
        let like = match dialect {
            Dialect::Sqlite => "LIKE",
            Dialect::Postgres => "ILIKE",
        };
        sql.push(format!(" AND (key {like} "));
        sql.push_bind(like_pattern(term));
        sql.push(format!(" ESCAPE '\\' OR name {like} "));
        sql.push_bind(like_pattern(term));
        sql.push(" ESCAPE '\\')");
    }
}

fn permissions_text(permissions: &[String]) -> String {
    serde_json::to_string(permissions).expect("strings always serialize")
}
