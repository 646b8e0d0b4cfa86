//! Organizations and their memberships. An organization's `members_count` is its number of
//! membership rows, changed by the statement that takes or frees a seat (`take_seat`,
//! `free_seat`): taking one is a conditional `UPDATE`, so `max_allowed_memberships` holds across
//! nodes without reading the count first. Memberships are read with their organization, role
//! and the public data of their user in one statement.

use roster_model::organizations::{
    MembershipFilter, MembershipOrderField, Organization, OrganizationFilter,
    OrganizationOrderField, Page, PublicUserData, Role,
};
use roster_model::users::Metadata;
use sqlx::{FromRow, QueryBuilder, Row};

mod filters;
mod invitations;
mod roles;

pub use invitations::InvitationRecord;

use filters::{push_membership_filter, push_organization_filter, push_page};

use crate::error::classify;
use crate::{Conn, Dialect, Store, StoreError, StoreResult, Tx, execute, on_connection};

const ORGANIZATION_COLUMNS: &str = "organizations.id, organizations.name, organizations.slug, \
    organizations.created_by, organizations.max_allowed_memberships, \
    organizations.admin_delete_enabled, organizations.public_metadata, \
    organizations.private_metadata, organizations.members_count, organizations.created_at, \
    organizations.updated_at";

/// A membership with its organization (under the organization's own column names), its role
/// and its user's public data. The identifier is the primary email address, else the primary
/// phone number, else the username.
const MEMBERSHIP_SELECT: &str = "SELECT m.id AS m_id, m.role AS m_role, \
    m.public_metadata AS m_public_metadata, m.private_metadata AS m_private_metadata, \
    m.created_at AS m_created_at, m.updated_at AS m_updated_at, \
    r.name AS r_name, r.permissions AS r_permissions, \
    u.id AS u_id, u.first_name AS u_first_name, u.last_name AS u_last_name, \
    u.username AS u_username, u.banned AS u_banned, \
    COALESCE((SELECT value FROM identifications WHERE id = u.primary_email_address_id), \
      (SELECT value FROM identifications WHERE id = u.primary_phone_number_id), \
      u.username) AS u_identifier, \
    organizations.id, organizations.name, organizations.slug, organizations.created_by, \
    organizations.max_allowed_memberships, organizations.admin_delete_enabled, \
    organizations.public_metadata, organizations.private_metadata, \
    organizations.members_count, organizations.created_at, organizations.updated_at \
    FROM organization_memberships m \
    JOIN organizations ON organizations.id = m.organization_id \
    JOIN users u ON u.id = m.user_id \
    JOIN organization_roles r ON r.key = m.role";

/// What a membership row stores besides its two ids.
#[derive(Clone, Debug, PartialEq)]
pub struct MembershipRecord {
    pub id: String,
    pub organization_id: String,
    pub user_id: String,
    pub role: String,
    pub public_metadata: Metadata,
    pub private_metadata: Metadata,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Store {
    /// The organization with this id or slug (they never look alike: slugs have no `_`).
    pub async fn get_organization(&self, id_or_slug: &str) -> StoreResult<Option<Organization>> {
        let mut reader = self.reader().await?;
        find_organization(reader.conn(), id_or_slug, false).await
    }

    pub async fn list_organizations(
        &self,
        filter: &OrganizationFilter,
        page: &Page<OrganizationOrderField>,
    ) -> StoreResult<Vec<Organization>> {
        let mut reader = self.reader().await?;
        let dialect = reader.conn().dialect();
        on_connection!(reader.conn(), |c| {
            let mut query =
                QueryBuilder::new(format!("SELECT {ORGANIZATION_COLUMNS} FROM organizations"));
            push_organization_filter(&mut query, filter, dialect);
            let field = match page.field {
                OrganizationOrderField::Name => "organizations.name",
                OrganizationOrderField::CreatedAt => "organizations.created_at",
                OrganizationOrderField::MembersCount => "organizations.members_count",
            };
            let direction = if page.descending { "DESC" } else { "ASC" };
            query.push(format!(
                " ORDER BY {field} {direction}, organizations.id {direction}"
            ));
            push_page(&mut query, page.limit, page.offset);
            let rows = query.build().fetch_all(&mut *c).await?;
            rows.iter().map(organization_from_row).collect()
        })
    }

    pub async fn count_organizations(&self, filter: &OrganizationFilter) -> StoreResult<i64> {
        let mut reader = self.reader().await?;
        let dialect = reader.conn().dialect();
        on_connection!(reader.conn(), |c| {
            let mut query = QueryBuilder::new("SELECT COUNT(*) FROM organizations");
            push_organization_filter(&mut query, filter, dialect);
            Ok(query.build().fetch_one(&mut *c).await?.try_get(0)?)
        })
    }

    pub async fn list_memberships(
        &self,
        filter: &MembershipFilter,
        page: &Page<MembershipOrderField>,
    ) -> StoreResult<Vec<roster_model::organizations::Membership>> {
        let mut reader = self.reader().await?;
        list_memberships(reader.conn(), filter, Some(page)).await
    }

    pub async fn count_memberships(&self, filter: &MembershipFilter) -> StoreResult<i64> {
        let mut reader = self.reader().await?;
        let dialect = reader.conn().dialect();
        on_connection!(reader.conn(), |c| {
            let mut query = QueryBuilder::new(
                "SELECT COUNT(*) FROM organization_memberships m \
                 JOIN users u ON u.id = m.user_id",
            );
            push_membership_filter(&mut query, filter, dialect);
            Ok(query.build().fetch_one(&mut *c).await?.try_get(0)?)
        })
    }
}

impl Tx {
    /// Reads an organization for modification (on PostgreSQL its row stays locked until the
    /// transaction ends; SQLite's single writer serialises writes already).
    pub async fn lock_organization(
        &mut self,
        id_or_slug: &str,
    ) -> StoreResult<Option<Organization>> {
        find_organization(self.conn(), id_or_slug, true).await
    }

    pub async fn organization_slug_taken(&mut self, slug: &str) -> StoreResult<bool> {
        Ok(on_connection!(self.conn(), |c| {
            sqlx::query("SELECT 1 FROM organizations WHERE slug = $1")
                .bind(slug)
                .fetch_optional(&mut *c)
                .await?
                .is_some()
        }))
    }

    /// How many organizations `user_id` created (and that still exist).
    pub async fn count_organizations_created_by(&mut self, user_id: &str) -> StoreResult<i64> {
        Ok(on_connection!(self.conn(), |c| {
            sqlx::query("SELECT COUNT(*) FROM organizations WHERE created_by = $1")
                .bind(user_id)
                .fetch_one(&mut *c)
                .await?
                .try_get(0)?
        }))
    }

    pub async fn insert_organization(&mut self, org: &Organization) -> StoreResult<()> {
        on_connection!(self.conn(), |c| {
            sqlx::query(
                "INSERT INTO organizations (id, name, slug, created_by, max_allowed_memberships, \
                 admin_delete_enabled, public_metadata, private_metadata, members_count, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10)",
            )
            .bind(&org.id)
            .bind(&org.name)
            .bind(&org.slug)
            .bind(&org.created_by)
            .bind(org.max_allowed_memberships)
            .bind(org.admin_delete_enabled)
            .bind(metadata_text(&org.public_metadata))
            .bind(metadata_text(&org.private_metadata))
            .bind(org.created_at)
            .bind(org.updated_at)
            .execute(&mut *c)
            .await
            .map_err(|error| classify(error, None))?;
        });
        Ok(())
    }

    /// Writes every column but the id and the members count.
    pub async fn update_organization(&mut self, org: &Organization) -> StoreResult<()> {
        let rows = on_connection!(self.conn(), |c| {
            sqlx::query(
                "UPDATE organizations SET name = $2, slug = $3, max_allowed_memberships = $4, \
                 admin_delete_enabled = $5, public_metadata = $6, private_metadata = $7, \
                 created_at = $8, updated_at = $9 WHERE id = $1",
            )
            .bind(&org.id)
            .bind(&org.name)
            .bind(&org.slug)
            .bind(org.max_allowed_memberships)
            .bind(org.admin_delete_enabled)
            .bind(metadata_text(&org.public_metadata))
            .bind(metadata_text(&org.private_metadata))
            .bind(org.created_at)
            .bind(org.updated_at)
            .execute(&mut *c)
            .await
            .map_err(|error| classify(error, None))?
            .rows_affected()
        });
        if rows != 1 {
            return Err(StoreError::Conflict);
        }
        Ok(())
    }

    /// Deletes the organization; its memberships go with it.
    pub async fn delete_organization(&mut self, id: &str) -> StoreResult<bool> {
        let rows = execute!(self.conn(), "DELETE FROM organizations WHERE id = $1", id);
        Ok(rows == 1)
    }

    /// Takes one seat of the organization: false, changing nothing, when every seat is taken
    /// (or there is no such organization). One conditional `UPDATE`: on PostgreSQL a
    /// concurrent one waits for the row and re-checks the condition against the committed
    /// count, so two nodes can never both take the last seat.
    pub async fn take_seat(&mut self, organization_id: &str) -> StoreResult<bool> {
        let rows = execute!(
            self.conn(),
            "UPDATE organizations SET members_count = members_count + 1 \
             WHERE id = $1 AND (max_allowed_memberships = 0 \
               OR members_count < max_allowed_memberships)",
            organization_id
        );
        Ok(rows == 1)
    }

    pub async fn free_seat(&mut self, organization_id: &str) -> StoreResult<()> {
        execute!(
            self.conn(),
            "UPDATE organizations SET members_count = members_count - 1 \
             WHERE id = $1 AND members_count > 0",
            organization_id
        );
        Ok(())
    }

    pub async fn role(&mut self, key: &str) -> StoreResult<Option<Role>> {
        on_connection!(self.conn(), |c| {
            let row =
                sqlx::query("SELECT key, name, permissions FROM organization_roles WHERE key = $1")
                    .bind(key)
                    .fetch_optional(&mut *c)
                    .await?;
            row.map(|row| {
                Ok(Role {
                    key: row.try_get(0)?,
                    name: row.try_get(1)?,
                    permissions: parse_permissions(&row.try_get::<String, _>(2)?)?,
                })
            })
            .transpose()
        })
    }

    /// How many members of the organization hold a role with `permission`.
    pub async fn count_members_with_permission(
        &mut self,
        organization_id: &str,
        permission: &str,
    ) -> StoreResult<i64> {
        let pattern = format!("%\"{permission}\"%");
        Ok(on_connection!(self.conn(), |c| {
            sqlx::query(
                "SELECT COUNT(*) FROM organization_memberships m \
                 JOIN organization_roles r ON r.key = m.role \
                 WHERE m.organization_id = $1 AND r.permissions LIKE $2",
            )
            .bind(organization_id)
            .bind(pattern)
            .fetch_one(&mut *c)
            .await?
            .try_get(0)?
        }))
    }

    pub async fn insert_membership(&mut self, record: &MembershipRecord) -> StoreResult<()> {
        on_connection!(self.conn(), |c| {
            sqlx::query(
                "INSERT INTO organization_memberships (id, organization_id, user_id, role, \
                 public_metadata, private_metadata, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&record.id)
            .bind(&record.organization_id)
            .bind(&record.user_id)
            .bind(&record.role)
            .bind(metadata_text(&record.public_metadata))
            .bind(metadata_text(&record.private_metadata))
            .bind(record.created_at)
            .bind(record.updated_at)
            .execute(&mut *c)
            .await
            .map_err(|error| classify(error, None))?;
        });
        Ok(())
    }

    /// Writes a membership's role, metadata and `updated_at`.
    pub async fn update_membership(&mut self, record: &MembershipRecord) -> StoreResult<()> {
        let rows = execute!(
            self.conn(),
            "UPDATE organization_memberships SET role = $2, public_metadata = $3, \
             private_metadata = $4, updated_at = $5 WHERE id = $1",
            &record.id,
            &record.role,
            metadata_text(&record.public_metadata),
            metadata_text(&record.private_metadata),
            record.updated_at
        );
        if rows != 1 {
            return Err(StoreError::Conflict);
        }
        Ok(())
    }

    pub async fn delete_membership(&mut self, id: &str) -> StoreResult<bool> {
        let rows = execute!(
            self.conn(),
            "DELETE FROM organization_memberships WHERE id = $1",
            id
        );
        Ok(rows == 1)
    }

    /// Every membership the filter covers, oldest first, read inside this transaction.
    pub async fn memberships(
        &mut self,
        filter: &MembershipFilter,
    ) -> StoreResult<Vec<roster_model::organizations::Membership>> {
        list_memberships(self.conn(), filter, None).await
    }
}

async fn find_organization(
    conn: Conn<'_>,
    id_or_slug: &str,
    for_update: bool,
) -> StoreResult<Option<Organization>> {
    let lock = if for_update && conn.dialect() == Dialect::Postgres {
        " FOR UPDATE"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {ORGANIZATION_COLUMNS} FROM organizations WHERE id = $1 OR slug = $1{lock}"
    );
    on_connection!(conn, |c| {
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id_or_slug)
            .fetch_optional(&mut *c)
            .await?;
        row.as_ref().map(organization_from_row).transpose()
    })
}

async fn list_memberships(
    conn: Conn<'_>,
    filter: &MembershipFilter,
    page: Option<&Page<MembershipOrderField>>,
) -> StoreResult<Vec<roster_model::organizations::Membership>> {
    let dialect = conn.dialect();
    on_connection!(conn, |c| {
        let mut query = QueryBuilder::new(MEMBERSHIP_SELECT);
        push_membership_filter(&mut query, filter, dialect);
        match page {
            Some(page) => {
                let field = match page.field {
                    MembershipOrderField::CreatedAt => "m.created_at",
                    MembershipOrderField::FirstName => "u.first_name",
                    MembershipOrderField::LastName => "u.last_name",
                    MembershipOrderField::Username => "u.username",
                    MembershipOrderField::EmailAddress | MembershipOrderField::PhoneNumber => {
                        "u_identifier"
                    }
                };
                let direction = if page.descending { "DESC" } else { "ASC" };
                query.push(format!(" ORDER BY {field} {direction}, m.id {direction}"));
                push_page(&mut query, page.limit, page.offset);
            }
            None => {
                query.push(" ORDER BY m.created_at, m.id");
            }
        }
        let rows = query.build().fetch_all(&mut *c).await?;
        rows.iter().map(membership_from_row).collect()
    })
}

#[derive(FromRow)]
struct OrganizationRow {
    id: String,
    name: String,
    slug: String,
    created_by: Option<String>,
    max_allowed_memberships: i64,
    admin_delete_enabled: bool,
    public_metadata: String,
    private_metadata: String,
    members_count: i64,
    created_at: i64,
    updated_at: i64,
}

impl OrganizationRow {
    fn into_model(self) -> StoreResult<Organization> {
        Ok(Organization {
            id: self.id,
            name: self.name,
            slug: self.slug,
            created_by: self.created_by,
            max_allowed_memberships: self.max_allowed_memberships,
            admin_delete_enabled: self.admin_delete_enabled,
            public_metadata: parse_metadata(&self.public_metadata)?,
            private_metadata: parse_metadata(&self.private_metadata)?,
            members_count: self.members_count,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

fn organization_from_row<'r, R: Row>(row: &'r R) -> StoreResult<Organization>
where
    OrganizationRow: FromRow<'r, R>,
{
    OrganizationRow::from_row(row)?.into_model()
}

#[derive(FromRow)]
struct MembershipRow {
    m_id: String,
    m_role: String,
    m_public_metadata: String,
    m_private_metadata: String,
    m_created_at: i64,
    m_updated_at: i64,
    r_name: String,
    r_permissions: String,
    u_id: String,
    u_first_name: Option<String>,
    u_last_name: Option<String>,
    u_username: Option<String>,
    u_banned: bool,
    u_identifier: Option<String>,
    #[sqlx(flatten)]
    organization: OrganizationRow,
}

fn membership_from_row<'r, R: Row>(
    row: &'r R,
) -> StoreResult<roster_model::organizations::Membership>
where
    MembershipRow: FromRow<'r, R>,
{
    let row = MembershipRow::from_row(row)?;
    Ok(roster_model::organizations::Membership {
        id: row.m_id,
        organization: row.organization.into_model()?,
        user: PublicUserData {
            user_id: row.u_id,
            first_name: row.u_first_name,
            last_name: row.u_last_name,
            identifier: row.u_identifier,
            username: row.u_username,
            banned: row.u_banned,
        },
        role: Role {
            key: row.m_role,
            name: row.r_name,
            permissions: parse_permissions(&row.r_permissions)?,
        },
        public_metadata: parse_metadata(&row.m_public_metadata)?,
        private_metadata: parse_metadata(&row.m_private_metadata)?,
        created_at: row.m_created_at,
        updated_at: row.m_updated_at,
    })
}

fn parse_permissions(text: &str) -> StoreResult<Vec<String>> {
    serde_json::from_str(text)
        .map_err(|error| StoreError::Corrupt(format!("role permissions: {error}")))
}

fn metadata_text(metadata: &Metadata) -> String {
    serde_json::to_string(metadata).expect("a map with string keys always serializes")
}

fn parse_metadata(text: &str) -> StoreResult<Metadata> {
    match serde_json::from_str(text) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        _ => Err(StoreError::Corrupt(
            "metadata is not a JSON object".to_owned(),
        )),
    }
}
