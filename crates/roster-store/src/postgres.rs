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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    /// The version numbers of the migrations in one folder.
    fn versions(folder: &str) -> BTreeSet<u32> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
        std::fs::read_dir(&path)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
            .map(|entry| {
                let name = entry.expect("entry").file_name();
                let name = name.to_string_lossy();
                let (number, _) = name.split_once('_').expect("NNNN_name.sql");
                number.parse().expect("a numeric version")
            })
            .collect()
    }

    /// PostgreSQL starts from SQLite's schema as of version 10; from there on every change
    /// lands in both folders under the same number, so the two backends cannot drift apart.
    #[test]
    fn both_backends_have_the_same_migrations_from_version_10_on() {
        let sqlite: BTreeSet<u32> = versions("migrations/sqlite")
            .into_iter()
            .filter(|version| *version >= 10)
            .collect();
        assert_eq!(sqlite, versions("migrations/postgres"));
    }
}
