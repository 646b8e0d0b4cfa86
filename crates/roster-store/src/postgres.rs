//! Opening a PostgreSQL database: the pool and migrations.
//!
//! Several Roster nodes may start at once against one database. sqlx's migrator holds a
//! PostgreSQL advisory lock (keyed on the database name) while it applies migrations, so one
//! node migrates and the others wait, then find nothing left to do.

use std::str::FromStr;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::{StoreOptions, StoreResult};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

pub(crate) async fn open(options: &StoreOptions) -> StoreResult<PgPool> {
    let connect = PgConnectOptions::from_str(&options.url)?.application_name("roster");
    let pool = PgPoolOptions::new()
        .max_connections(options.max_connections.max(2))
        // A node that cannot get a connection soon should answer with an error, not hang.
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(connect)
        .await?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}
