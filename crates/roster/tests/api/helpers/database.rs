//! A test server's database, reached past Roster: the PostgreSQL schema that stands for a
//! data folder, and the stored bytes and rows, for checking what is kept at rest.

/// The database of a data folder. By default it is the SQLite file inside the folder (`None`
/// lets Roster choose it). With `ROSTER_TEST_DATABASE_URL` set to a PostgreSQL database made
/// for this test run, each data folder gets its own schema there instead, so tests stay apart
/// exactly as they do with one SQLite file each, and a folder reopened later finds its data.
pub fn database_url_for(data_dir: &std::path::Path) -> Option<String> {
    let base = test_database_url()?;
    let schema = schema_for(data_dir);
    // Asked for again and again (each outbox read): the schema is made once per test process.
    static MADE: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut made = MADE.lock().expect("not poisoned");
    let separator = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{separator}options[search_path]={schema},public");
    if made.contains(&schema) {
        return Some(url);
    }
    let created = std::process::Command::new("psql")
        .arg(&base)
        .args(["-v", "ON_ERROR_STOP=1", "-qc"])
        .arg(format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
        .output()
        .expect("psql runs (ROSTER_TEST_DATABASE_URL is set)");
    assert!(
        created.status.success(),
        "creating schema {schema}: {}",
        String::from_utf8_lossy(&created.stderr)
    );
    made.push(schema);
    Some(url)
}

/// The PostgreSQL schema that stands for a data folder: a stable name derived from its path.
pub fn schema_for(data_dir: &std::path::Path) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    data_dir.hash(&mut hasher);
    format!("t_{:016x}", hasher.finish())
}

/// `ROSTER_DATABASE_URL` for a `roster` process working on this data folder, when the tests
/// run against PostgreSQL.
pub fn database_env(data_dir: &std::path::Path) -> Vec<(&'static str, String)> {
    database_url_for(data_dir)
        .map(|url| ("ROSTER_DATABASE_URL", url))
        .into_iter()
        .collect()
}

/// Whether this run stores data in PostgreSQL rather than SQLite files.
pub fn on_postgres() -> bool {
    test_database_url().is_some()
}

/// The PostgreSQL database this run stores data in, if it runs on PostgreSQL.
fn test_database_url() -> Option<String> {
    std::env::var("ROSTER_TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

/// Every byte the database holds for this data folder: the SQLite files, or a dump of the
/// folder's PostgreSQL schema. For checking that no secret is stored in clear.
pub fn raw_database(data_dir: &std::path::Path) -> Vec<u8> {
    if let Some(base) = test_database_url() {
        let dump = std::process::Command::new("pg_dump")
            .arg(&base)
            .args(["--data-only", "--schema", &schema_for(data_dir)])
            .output()
            .expect("pg_dump runs");
        assert!(
            dump.status.success(),
            "{}",
            String::from_utf8_lossy(&dump.stderr)
        );
        return dump.stdout;
    }
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(data_dir).expect("data folder") {
        let path = entry.expect("entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("roster.db") {
            bytes.extend(std::fs::read(&path).expect("readable"));
        }
    }
    assert!(
        !bytes.is_empty(),
        "no database file in {}",
        data_dir.display()
    );
    bytes
}

/// How many outbox rows (subject or body) and stored events (payload) of this data folder's
/// database contain `needle`, read with the database's own client rather than through Roster.
pub fn rows_containing(data_dir: &std::path::Path, needle: &str) -> (i64, i64) {
    let outbox =
        "SELECT count(*) FROM outbox WHERE strpos(subject, :'n') > 0 OR strpos(body, :'n') > 0";
    let events = "SELECT count(*) FROM events WHERE strpos(payload, :'n') > 0";
    let output = if let Some(base) = test_database_url() {
        let sql = format!(
            "SET search_path TO {}; {outbox}; {events};",
            schema_for(data_dir)
        );
        std::process::Command::new("psql")
            .arg(&base)
            .args(["-X", "-At", "-v", "ON_ERROR_STOP=1", "-v"])
            .arg(format!("n={needle}"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                child
                    .stdin
                    .take()
                    .expect("stdin")
                    .write_all(sql.as_bytes())?;
                child.wait_with_output()
            })
            .expect("psql runs")
    } else {
        // Python's sqlite3 module, as the test suite needs Python anyway.
        let script = "import sqlite3, sys\n\
            db = sqlite3.connect(sys.argv[1])\n\
            n = sys.argv[2]\n\
            print(db.execute('SELECT count(*) FROM outbox WHERE instr(subject, ?) > 0 \
            OR instr(body, ?) > 0', (n, n)).fetchone()[0])\n\
            print(db.execute('SELECT count(*) FROM events WHERE instr(payload, ?) > 0', \
            (n,)).fetchone()[0])\n";
        std::process::Command::new("python3")
            .args(["-c", script])
            .arg(data_dir.join("roster.db"))
            .arg(needle)
            .output()
            .expect("python3 runs")
    };
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let counts: Vec<i64> = text
        .lines()
        .filter_map(|line| line.trim().parse().ok())
        .collect();
    assert_eq!(counts.len(), 2, "two counts in {text}");
    (counts[0], counts[1])
}
