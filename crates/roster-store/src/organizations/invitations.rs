//! Invitations to organizations, read with their organization, role and inviter in one
//! statement. Expiry is judged at read time against the filter's `now`: a pending invitation
//! past `expires_at` is listed as expired without any sweep rewriting it.

use roster_model::organizations::{
    Invitation, InvitationFilter, InvitationOrderField, InvitationStatus, Page, PublicUserData,
    Role,
};
use roster_model::users::Metadata;
use sqlx::{Database, Encode, FromRow, QueryBuilder, Row, Type};

use super::filters::{like_pattern, push_list, push_page};
use super::{OrganizationRow, metadata_text, parse_metadata, parse_permissions};
use crate::error::classify;
use crate::{Conn, Dialect, Store, StoreError, StoreResult, Tx, execute, on_connection};

const INVITATION_SELECT: &str = "SELECT i.id AS i_id, i.email_address AS i_email_address, \
    i.role AS i_role, i.inviter_id AS i_inviter_id, i.status AS i_status, \
    i.public_metadata AS i_public_metadata, i.private_metadata AS i_private_metadata, \
    i.redirect_url AS i_redirect_url, i.expires_at AS i_expires_at, \
    i.created_at AS i_created_at, i.updated_at AS i_updated_at, \
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
    FROM organization_invitations i \
    JOIN organizations ON organizations.id = i.organization_id \
    JOIN organization_roles r ON r.key = i.role \
    LEFT JOIN users u ON u.id = i.inviter_id";

/// What an invitation row stores.
#[derive(Clone, Debug, PartialEq)]
pub struct InvitationRecord {
    pub id: String,
    pub organization_id: String,
    pub email_address: String,
    pub email_key: String,
    pub role: String,
    pub inviter_id: Option<String>,
    pub public_metadata: Metadata,
    pub private_metadata: Metadata,
    pub redirect_url: Option<String>,
    pub expires_at: i64,
    pub created_at: i64,
}

impl Store {
    pub async fn list_invitations(
        &self,
        filter: &InvitationFilter,
        page: &Page<InvitationOrderField>,
    ) -> StoreResult<Vec<Invitation>> {
        let mut reader = self.reader().await?;
        list(reader.conn(), filter, Some(page)).await
    }

    pub async fn count_invitations(&self, filter: &InvitationFilter) -> StoreResult<i64> {
        let mut reader = self.reader().await?;
        let dialect = reader.conn().dialect();
        on_connection!(reader.conn(), |c| {
            let mut query = QueryBuilder::new(
                "SELECT COUNT(*) FROM organization_invitations i \
                 JOIN organizations ON organizations.id = i.organization_id",
            );
            push_filter(&mut query, filter, dialect);
            Ok(query.build().fetch_one(&mut *c).await?.try_get(0)?)
        })
    }
}

impl Tx {
    pub async fn insert_invitation(&mut self, record: &InvitationRecord) -> StoreResult<()> {
        on_connection!(self.conn(), |c| {
            sqlx::query(
                "INSERT INTO organization_invitations (id, organization_id, email_address, \
                 email_key, role, inviter_id, status, public_metadata, private_metadata, \
                 redirect_url, expires_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9, $10, $11, $11)",
            )
            .bind(&record.id)
            .bind(&record.organization_id)
            .bind(&record.email_address)
            .bind(&record.email_key)
            .bind(&record.role)
            .bind(&record.inviter_id)
            .bind(metadata_text(&record.public_metadata))
            .bind(metadata_text(&record.private_metadata))
            .bind(&record.redirect_url)
            .bind(record.expires_at)
            .bind(record.created_at)
            .execute(&mut *c)
            .await
            .map_err(|error| classify(error, None))?;
        });
        Ok(())
    }

    /// Moves a pending invitation to `status`; false when it is not pending (any more).
    pub async fn settle_invitation(
        &mut self,
        id: &str,
        status: InvitationStatus,
        now: i64,
    ) -> StoreResult<bool> {
        let rows = execute!(
            self.conn(),
            "UPDATE organization_invitations SET status = $2, updated_at = $3 \
             WHERE id = $1 AND status = 'pending'",
            id,
            status.as_str(),
            now
        );
        Ok(rows == 1)
    }

    /// Every invitation the filter covers, oldest first, read inside this transaction.
    pub async fn invitations(&mut self, filter: &InvitationFilter) -> StoreResult<Vec<Invitation>> {
        list(self.conn(), filter, None).await
    }
}

async fn list(
    conn: Conn<'_>,
    filter: &InvitationFilter,
    page: Option<&Page<InvitationOrderField>>,
) -> StoreResult<Vec<Invitation>> {
    let dialect = conn.dialect();
    on_connection!(conn, |c| {
        let mut query = QueryBuilder::new(INVITATION_SELECT);
        push_filter(&mut query, filter, dialect);
        match page {
            Some(page) => {
                let field = match page.field {
                    InvitationOrderField::CreatedAt => "i.created_at",
                    InvitationOrderField::EmailAddress => "i.email_key",
                };
                let direction = if page.descending { "DESC" } else { "ASC" };
                query.push(format!(" ORDER BY {field} {direction}, i.id {direction}"));
                push_page(&mut query, page.limit, page.offset);
            }
            None => {
                query.push(" ORDER BY i.created_at, i.id");
            }
        }
        let rows = query.build().fetch_all(&mut *c).await?;
        rows.iter().map(invitation_from_row).collect()
    })
}

fn push_filter<DB>(query: &mut QueryBuilder<DB>, filter: &InvitationFilter, dialect: Dialect)
where
    DB: Database,
    for<'t> String: Encode<'t, DB> + Type<DB>,
    for<'t> i64: Encode<'t, DB> + Type<DB>,
{
    query.push(" WHERE 1 = 1");
    if let Some(organization_id) = &filter.organization_id {
        query.push(" AND i.organization_id = ");
        query.push_bind(organization_id.clone());
    }
    if let Some(id) = &filter.id {
        query.push(" AND i.id = ");
        query.push_bind(id.clone());
    }
    if let Some(keys) = &filter.email_keys {
        if keys.is_empty() {
            query.push(" AND 1 = 0");
        } else {
            query.push(" AND i.email_key IN (");
            push_list(query, keys);
            query.push(")");
        }
    }
    match filter.status {
        None => {}
        Some(InvitationStatus::Pending) => {
            query.push(" AND i.status = 'pending' AND i.expires_at > ");
            query.push_bind(filter.now);
        }
        Some(InvitationStatus::Expired) => {
            query.push(" AND i.status = 'pending' AND i.expires_at <= ");
            query.push_bind(filter.now);
        }
        Some(status) => {
            query.push(" AND i.status = ");
            query.push_bind(status.as_str().to_owned());
        }
    }
    if let Some(term) = filter.query.as_deref().filter(|t| !t.is_empty()) {
        let like = match dialect {
            Dialect::Sqlite => "LIKE",
            Dialect::Postgres => "ILIKE",
        };
        query.push(" AND (");
        for (i, column) in [
            "i.email_address",
            "organizations.name",
            "organizations.slug",
        ]
        .iter()
        .enumerate()
        {
            if i > 0 {
                query.push(" OR ");
            }
            query.push(format!("{column} {like} "));
            query.push_bind(like_pattern(term));
            query.push(" ESCAPE '\\'");
        }
        query.push(")");
    }
}

#[derive(FromRow)]
struct InvitationRow {
    i_id: String,
    i_email_address: String,
    i_role: String,
    i_inviter_id: Option<String>,
    i_status: String,
    i_public_metadata: String,
    i_private_metadata: String,
    i_redirect_url: Option<String>,
    i_expires_at: i64,
    i_created_at: i64,
    i_updated_at: i64,
    r_name: String,
    r_permissions: String,
    u_id: Option<String>,
    u_first_name: Option<String>,
    u_last_name: Option<String>,
    u_username: Option<String>,
    u_banned: Option<bool>,
    u_identifier: Option<String>,
    #[sqlx(flatten)]
    organization: OrganizationRow,
}

fn invitation_from_row<'r, R: Row>(row: &'r R) -> StoreResult<Invitation>
where
    InvitationRow: FromRow<'r, R>,
{
    let row = InvitationRow::from_row(row)?;
    let status = match row.i_status.as_str() {
        "pending" => InvitationStatus::Pending,
        "accepted" => InvitationStatus::Accepted,
        "revoked" => InvitationStatus::Revoked,
        other => {
            return Err(StoreError::Corrupt(format!("invitation status {other:?}")));
        }
    };
    let inviter = row.u_id.map(|user_id| PublicUserData {
        user_id,
        first_name: row.u_first_name,
        last_name: row.u_last_name,
        identifier: row.u_identifier,
        username: row.u_username,
        banned: row.u_banned.unwrap_or(false),
    });
    Ok(Invitation {
        id: row.i_id,
        organization: row.organization.into_model()?,
        email_address: row.i_email_address,
        role: Role {
            key: row.i_role,
            name: row.r_name,
            permissions: parse_permissions(&row.r_permissions)?,
        },
        inviter_id: row.i_inviter_id,
        inviter,
        status,
        public_metadata: parse_metadata(&row.i_public_metadata)?,
        private_metadata: parse_metadata(&row.i_private_metadata)?,
        redirect_url: row.i_redirect_url,
        expires_at: row.i_expires_at,
        created_at: row.i_created_at,
        updated_at: row.i_updated_at,
    })
}
