//! Starting a server and talking to it.

use reqwest::{Method, StatusCode};
use roster::Config;
use roster_domain::InstanceSettings;
use serde_json::{Value, json};

pub struct TestApp {
    pub base: String,
    pub key: String,
    pub client: reqwest::Client,
    _data_dir: tempfile::TempDir,
}

/// A response: its status, its exact content type, and its JSON body (`Value::Null` when the
/// body is not JSON).
pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub body: Value,
}

impl Reply {
    /// The first error's code, or a panic that shows the body.
    pub fn code(&self) -> &str {
        self.body["errors"][0]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code in {}", self.body))
    }

    pub fn param(&self) -> &str {
        self.body["errors"][0]["meta"]["param_name"]
            .as_str()
            .unwrap_or_else(|| panic!("no param_name in {}", self.body))
    }

    /// Asserts a Clerk error envelope with this status and code.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(self.code(), code, "body: {}", self.body);
        let error = &self.body["errors"][0];
        assert!(error["message"].is_string() && error["long_message"].is_string());
        assert!(self.body["clerk_trace_id"].is_string());
        assert_eq!(self.content_type, "application/json");
    }

    #[track_caller]
    pub fn ok(self) -> Value {
        assert_eq!(self.status, StatusCode::OK, "body: {}", self.body);
        assert_eq!(self.content_type, "application/json");
        self.body
    }
}

impl TestApp {
    /// A client of a server that runs elsewhere (a `roster serve` process) on `data_dir`.
    pub fn of_server(base: &str, key: &str, data_dir: tempfile::TempDir) -> TestApp {
        TestApp {
            base: base.to_owned(),
            key: key.to_owned(),
            client: reqwest::Client::new(),
            _data_dir: data_dir,
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(InstanceSettings::default()).await
}

pub async fn spawn_app_with(instance: InstanceSettings) -> TestApp {
    spawn_app_configured(|config| config.instance = instance).await
}

/// A server whose configuration `configure` adjusts (SMTP URL, delivery timing, …).
pub async fn spawn_app_configured(configure: impl FnOnce(&mut Config)) -> TestApp {
    let data_dir = tempfile::tempdir().expect("temporary data folder");
    let key = test_key();
    let mut config = Config {
        addr: "127.0.0.1:0".parse().expect("address"),
        data_dir: data_dir.path().to_path_buf(),
        secret_key: Some(key.clone()),
        ..Config::default()
    };
    // The tests' webhook receivers listen on 127.0.0.1.
    config.webhooks.allow_private_targets = true;
    configure(&mut config);
    if config.database_url.is_none() {
        config.database_url = database_url_for(&config.data_dir);
    }
    let application = roster::Application::build(config)
        .await
        .expect("server starts");
    let base = format!("http://{}", application.local_addr());
    tokio::spawn(application.run_until(std::future::pending()));
    TestApp {
        base,
        key,
        client: reqwest::Client::new(),
        _data_dir: data_dir,
    }
}

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

/// Runs the `roster` binary on a blocking thread: the servers these tests start share the
/// test's runtime, and blocking it would stop them from committing while the command waits.
pub async fn run_roster(
    data_dir: &std::path::Path,
    args: &[&str],
    envs: &[(&str, &str)],
) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_roster"));
    command.args(args).env("ROSTER_DATA_DIR", data_dir);
    for (name, value) in database_env(data_dir) {
        command.env(name, value);
    }
    for (name, value) in envs {
        command.env(name, value);
    }
    tokio::task::spawn_blocking(move || command.output().expect("roster runs"))
        .await
        .expect("joined")
}

/// `roster serve` as a process of a test's own (so that it can be killed), stopped on drop.
pub struct RosterProcess {
    pub child: std::process::Child,
    pub base: String,
}

impl Drop for RosterProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl RosterProcess {
    /// SIGKILL: no shutdown of any kind.
    pub fn sigkill(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }
}

/// Starts `roster serve` on `data_dir` (and its database) with `key`, one-second webhook
/// retries and `settings`, and waits until it answers.
pub async fn start_roster(
    data_dir: &std::path::Path,
    key: &str,
    settings: &[(&str, &str)],
) -> RosterProcess {
    start_roster_logging(data_dir, key, settings, std::process::Stdio::null()).await
}

/// As `start_roster`, with the server's log (its stderr) going to `log`.
pub async fn start_roster_logging(
    data_dir: &std::path::Path,
    key: &str,
    settings: &[(&str, &str)],
    log: std::process::Stdio,
) -> RosterProcess {
    use std::process::Stdio;
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_roster"));
    // Only this server's settings: a ROSTER_* variable of the caller must not leak in.
    for (name, _) in std::env::vars() {
        if name.starts_with("ROSTER_") {
            command.env_remove(name);
        }
    }
    let child = command
        .arg("serve")
        .env("ROSTER_DATA_DIR", data_dir)
        .envs(database_env(data_dir))
        .env("ROSTER_ADDR", format!("127.0.0.1:{port}"))
        .env("ROSTER_SECRET_KEY", key)
        .env(
            "ROSTER_WEBHOOKS__RETRY_SCHEDULE_SECONDS",
            "[1, 1, 1, 1, 1, 1, 1]",
        )
        .env("ROSTER_WEBHOOKS__TIMEOUT_SECONDS", "2")
        .env("ROSTER_WEBHOOKS__ALLOW_PRIVATE_TARGETS", "true")
        .envs(settings.iter().copied())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("roster starts");
    let mut server = RosterProcess {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    while client
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .is_err()
    {
        if let Some(status) = server.child.try_wait().expect("status") {
            panic!("roster exited at start: {status}");
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "roster did not start"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    server
}

/// A secret key of the shape Roster accepts in settings (`sk_test_` and 32 characters or more).
pub fn test_key() -> String {
    format!("sk_test_{:0>40}", uuid_like())
}

pub fn uuid_like() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    format!("{nanos:x}")
}

impl TestApp {
    pub fn data_dir(&self) -> &std::path::Path {
        self._data_dir.path()
    }

    pub async fn request(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut request = self
            .client
            .request(method, format!("{}/v1{path}", self.base))
            .bearer_auth(&self.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        reply(request.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.request(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.request(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Reply {
        self.request(Method::PATCH, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.request(Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.request(Method::DELETE, path, None).await
    }

    /// Sends a body as raw bytes with the given headers.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Reply {
        let mut request = self
            .client
            .request(method, format!("{}/v1{path}", self.base))
            .bearer_auth(&self.key)
            .body(body.to_owned());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        reply(request.send().await.expect("request sent")).await
    }

    pub async fn create_user(&self, body: Value) -> Value {
        self.post("/users", body).await.ok()
    }

    /// The stored user, for checking that a refused request changed nothing.
    pub async fn user(&self, id: &str) -> Value {
        self.get(&format!("/users/{id}")).await.ok()
    }

    /// The outbox, newest message first, read from the server's own database.
    pub async fn outbox(&self) -> Vec<roster_model::messages::OutboxMessage> {
        let config = Config {
            data_dir: self.data_dir().to_path_buf(),
            database_url: database_url_for(self.data_dir()),
            ..Config::default()
        };
        let store = roster::open_store(&config).await.expect("store opens");
        let messages = store.list_messages(100).await.expect("outbox");
        store.close().await;
        messages
    }

    /// The six-digit code in the newest queued message to `recipient`.
    pub async fn code_sent_to(&self, recipient: &str) -> String {
        let message = self
            .outbox()
            .await
            .into_iter()
            .find(|m| m.recipient == recipient && m.template == "verification_code")
            .unwrap_or_else(|| panic!("no code was queued for {recipient}"));
        six_digits(&message.body).expect("a code in the message")
    }

    pub async fn count(&self, query: &str) -> i64 {
        let body = self.get(&format!("/users/count?{query}")).await.ok();
        body["total_count"].as_i64().expect("total_count")
    }

    /// A user with one email, one phone, one wallet and a username.
    pub async fn sample_user(&self, tag: &str) -> Value {
        self.create_user(json!({
            "email_address": [format!("{tag}@example.com"), format!("{tag}.second@example.com")],
            "phone_number": [format!("+1555{:07}", tag.len() * 7919 % 10_000_000)],
            "username": format!("user_{tag}"),
            "first_name": "Ada",
            "last_name": "Lovelace",
            "external_id": format!("ext-{tag}"),
            "public_metadata": {"role": "admin", "nested": {"a": 1, "b": 2}},
            "private_metadata": {"secret": true},
        }))
        .await
    }
}

async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = response.bytes().await.expect("body");
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply {
        status,
        content_type,
        body,
    }
}

/// The first run of exactly six digits in `text`.
pub fn six_digits(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(5)).find_map(|start| {
        let window = &bytes[start..start + 6];
        let before = start.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(start + 6).copied();
        (window.iter().all(u8::is_ascii_digit)
            && !before.is_some_and(|b| b.is_ascii_digit())
            && !after.is_some_and(|b| b.is_ascii_digit()))
        .then(|| String::from_utf8_lossy(window).into_owned())
    })
}
