//! Starting a server and talking to it.

use reqwest::{Method, StatusCode};
use roster::Config;
use roster_domain::InstanceSettings;
use serde_json::{Value, json};

mod database;

pub use database::{database_env, database_url_for, on_postgres, raw_database, rows_containing};

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
    /// Asserts that each of `malformed`, put where `{id}` stands in `path`, gets exactly the
    /// answer the well-formed but unknown id `unknown` gets (the trace id aside, and with the
    /// id quoted as given): a malformed id must reveal nothing an unknown one does not.
    pub async fn assert_answered_as_unknown(
        &self,
        method: Method,
        path: &str,
        body: &str,
        unknown: &str,
        malformed: &[&str],
    ) {
        let headers = [("content-type", "application/json")];
        let answer = |reply: Reply, id: &str| {
            let mut body = reply.body;
            body.as_object_mut()
                .map(|body| body.remove("clerk_trace_id"));
            (reply.status, body.to_string().replace(id, "{id}"))
        };
        let expected = self
            .raw(
                method.clone(),
                &path.replace("{id}", unknown),
                &headers,
                body,
            )
            .await;
        let expected = answer(expected, unknown);
        for id in malformed {
            let path = path.replace("{id}", id);
            let reply = self.raw(method.clone(), &path, &headers, body).await;
            assert_eq!(answer(reply, id), expected, "{method} {path}");
        }
    }

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

    /// Adds `address` to the user, unverified: the new email address's id.
    pub async fn add_email(&self, user_id: &str, address: &str) -> String {
        let email = self
            .post(
                "/email_addresses",
                json!({"user_id": user_id, "email_address": address}),
            )
            .await
            .ok();
        email["id"].as_str().expect("id").to_owned()
    }

    /// Starts the one-time-code verification of an identification; `kind` is its resource,
    /// `email_addresses` or `phone_numbers`.
    pub async fn prepare_verification(&self, kind: &str, id: &str) -> Value {
        self.post(&format!("/{kind}/{id}/prepare_verification"), json!({}))
            .await
            .ok()
    }

    /// Prepares the verification of the email address `email_id` (which is `address`): the
    /// verification, and the code queued for the address.
    pub async fn email_code(&self, email_id: &str, address: &str) -> (Value, String) {
        let prepared = self.prepare_verification("email_addresses", email_id).await;
        (prepared, self.code_sent_to(address).await)
    }

    pub async fn attempt_verification(
        &self,
        kind: &str,
        id: &str,
        verification_id: &str,
        code: &str,
    ) -> Reply {
        self.post(
            &format!("/{kind}/{id}/attempt_verification"),
            json!({"verification_id": verification_id, "code": code}),
        )
        .await
    }

    pub async fn attempt_email_code(
        &self,
        email_id: &str,
        verification_id: &str,
        code: &str,
    ) -> Reply {
        self.attempt_verification("email_addresses", email_id, verification_id, code)
            .await
    }

    pub async fn create_webhook_endpoint(&self, body: Value) -> Value {
        self.post("/webhook_endpoints", body).await.ok()
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

/// A one-time code that differs from `code` in its first digit.
pub fn wrong_code(code: &str) -> String {
    let first = if code.starts_with('0') { '1' } else { '0' };
    format!("{first}{}", &code[1..])
}

/// RFC 6238's SHA-1 seed, "12345678901234567890", in base32.
pub const TOTP_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

/// The TOTP code of `TOTP_SECRET` for the time `offset_seconds` from now.
pub fn totp_code(offset_seconds: i64) -> String {
    use roster_domain::mfa::totp;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    totp::code_at(
        &totp::parse_secret(TOTP_SECRET).expect("secret"),
        (now + offset_seconds) as u64,
    )
}

/// A six-digit code that none of the steps a check accepts now (one step of drift either way,
/// and one more for a step that turns meanwhile) would take.
pub fn wrong_totp() -> String {
    let accepted: Vec<String> = [-60, -30, 0, 30, 60].map(totp_code).to_vec();
    ["000000", "111111", "222222", "333333", "444444", "555555"]
        .into_iter()
        .find(|candidate| !accepted.iter().any(|code| code == candidate))
        .expect("a wrong code")
        .to_owned()
}

/// POSTs to a server of its own process (`start_roster`): the JSON of a successful reply.
pub async fn post_to(base: &str, key: &str, path: &str, body: Value) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{base}/v1{path}"))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .expect("request");
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.expect("json")
}

/// Sends a request and reads its reply as JSON, whatever its status.
pub async fn json_of(request: reqwest::RequestBuilder) -> Value {
    let response = request.send().await.expect("request");
    response.json().await.expect("json")
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
