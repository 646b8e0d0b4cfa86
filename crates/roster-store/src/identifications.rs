//! The `identifications` rows (email addresses, phone numbers, web3 wallets): written with
//! their user, or changed on their own outside a whole-user write (find the owner of one,
//! update or delete it), and read back in `IDENTIFICATION_COLUMNS` order.

use roster_model::users::{
    Identification, IdentificationKind, Verification, VerificationStatus, VerificationStrategy,
};
use sqlx::Row;

use crate::error::classify;
use crate::{Conn, Store, StoreError, StoreResult, Tx, execute, on_connection};

pub(crate) const IDENTIFICATION_COLUMNS: &str = "id, user_id, kind, value, reserved, \
    verification_strategy, verification_status, verification_attempts, verification_expire_at, \
    reserved_for_second_factor, default_second_factor, created_at, updated_at";

/// An identification's columns in `IDENTIFICATION_COLUMNS` order. `Flag` is how its three
/// booleans arrive: `bool` from a row, 0 or 1 from the JSON array of `load_user` (PostgreSQL's
/// JSON booleans are cast to integers there, so both backends give one array).
pub(crate) type IdentificationColumns<Flag> = (
    String,
    String,
    String,
    String,
    Flag,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Flag,
    Flag,
    i64,
    i64,
);

/// A boolean column as `IdentificationColumns` carries it.
pub(crate) trait Flag {
    fn is_set(&self) -> bool;
}

impl Flag for bool {
    fn is_set(&self) -> bool {
        *self
    }
}

impl Flag for i64 {
    fn is_set(&self) -> bool {
        *self != 0
    }
}

/// Binds the columns an identification's owner may change, from `reserved` to
/// `default_second_factor` in `IDENTIFICATION_COLUMNS` order; a macro so that it binds to
/// either driver's query.
macro_rules! bind_identification_state {
    ($query:expr, $identification:expr) => {{
        let identification: &Identification = $identification;
        let verification = identification.verification.as_ref();
        $query
            .bind(identification.reserved)
            .bind(verification.map(|v| v.strategy.as_str()))
            .bind(verification.map(|v| v.status.as_str()))
            .bind(verification.and_then(|v| v.attempts))
            .bind(verification.and_then(|v| v.expire_at))
            .bind(identification.reserved_for_second_factor)
            .bind(identification.default_second_factor)
    }};
}

impl Store {
    /// The user an identification belongs to.
    pub async fn identification_user(&self, id: &str) -> StoreResult<Option<String>> {
        let mut reader = self.reader().await?;
        identification_user(reader.conn(), id).await
    }
}

impl Tx {
    /// The user an identification belongs to, read inside the write transaction.
    pub async fn identification_user(&mut self, id: &str) -> StoreResult<Option<String>> {
        identification_user(self.conn(), id).await
    }

    pub async fn insert_identification(
        &mut self,
        identification: &Identification,
    ) -> StoreResult<()> {
        on_connection!(self.conn(), |c| {
            let query = sqlx::query(
                "INSERT INTO identifications (id, user_id, kind, value, value_normalized, \
                 reserved, verification_strategy, verification_status, verification_attempts, \
                 verification_expire_at, reserved_for_second_factor, default_second_factor, \
                 created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            )
            .bind(&identification.id)
            .bind(&identification.user_id)
            .bind(identification.kind.as_str())
            .bind(&identification.value)
            .bind(identification.kind.normalize(&identification.value));
            bind_identification_state!(query, identification)
                .bind(identification.created_at)
                .bind(identification.updated_at)
                .execute(&mut *c)
                .await
                .map_err(|error| classify(error, Some(identification.kind)))?;
        });
        Ok(())
    }

    /// Writes the mutable columns of an identification (never its value or owner).
    pub async fn update_identification(
        &mut self,
        identification: &Identification,
    ) -> StoreResult<bool> {
        let rows = on_connection!(self.conn(), |c| {
            let query = sqlx::query(
                "UPDATE identifications SET reserved = $2, verification_strategy = $3, \
                 verification_status = $4, verification_attempts = $5, \
                 verification_expire_at = $6, reserved_for_second_factor = $7, \
                 default_second_factor = $8, updated_at = $9 WHERE id = $1",
            )
            .bind(&identification.id);
            bind_identification_state!(query, identification)
                .bind(identification.updated_at)
                .execute(&mut *c)
                .await
                .map_err(|error| classify(error, Some(identification.kind)))?
                .rows_affected()
        });
        Ok(rows == 1)
    }

    pub async fn delete_identification(&mut self, id: &str) -> StoreResult<bool> {
        let rows = execute!(self.conn(), "DELETE FROM identifications WHERE id = $1", id);
        Ok(rows == 1)
    }
}

async fn identification_user(conn: Conn<'_>, id: &str) -> StoreResult<Option<String>> {
    Ok(on_connection!(conn, |c| {
        sqlx::query("SELECT user_id FROM identifications WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *c)
            .await?
            .map(|row| row.get(0))
    }))
}

/// The identifications of one user as `load_user` aggregates them: a JSON array of
/// `IdentificationColumns`.
pub(crate) fn identifications_from_json(text: &str) -> StoreResult<Vec<Identification>> {
    let rows: Vec<IdentificationColumns<i64>> = serde_json::from_str(text)
        .map_err(|error| StoreError::Corrupt(format!("identifications: {error}")))?;
    rows.into_iter().map(identification_from_columns).collect()
}

pub(crate) fn identification_from_columns(
    columns: IdentificationColumns<impl Flag>,
) -> StoreResult<Identification> {
    let (
        id,
        user_id,
        kind,
        value,
        reserved,
        verification_strategy,
        verification_status,
        verification_attempts,
        verification_expire_at,
        reserved_for_second_factor,
        default_second_factor,
        created_at,
        updated_at,
    ) = columns;
    let corrupt = |what: &str| StoreError::Corrupt(format!("unknown {what} in identification"));
    let kind = IdentificationKind::parse(&kind).ok_or_else(|| corrupt("kind"))?;
    let verification = match (verification_strategy, verification_status) {
        (Some(strategy), Some(status)) => Some(Verification {
            strategy: VerificationStrategy::parse(&strategy).ok_or_else(|| corrupt("strategy"))?,
            status: VerificationStatus::parse(&status).ok_or_else(|| corrupt("status"))?,
            attempts: verification_attempts,
            expire_at: verification_expire_at,
        }),
        _ => None,
    };
    Ok(Identification {
        id,
        user_id,
        kind,
        value,
        reserved: reserved.is_set(),
        verification,
        reserved_for_second_factor: reserved_for_second_factor.is_set(),
        default_second_factor: default_second_factor.is_set(),
        created_at,
        updated_at,
    })
}
