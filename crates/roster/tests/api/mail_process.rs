//! A real `roster serve` process delivering mail: killed with SIGKILL after a change, or in
//! the middle of sending, and restarted, its message still arrives exactly once; and at debug
//! level its log never holds a verification code.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{six_digits, test_key};
use crate::smtp_server::{SmtpServer, free_port};

const LEASE_SECONDS: u64 = 2;

/// A `roster serve` process on its own port and data folder, killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(data_dir: &std::path::Path, port: u16, key: &str, smtp_port: u16) -> Server {
    start_server_logging(data_dir, port, key, smtp_port, Stdio::null())
}

fn start_server_logging(
    data_dir: &std::path::Path,
    port: u16,
    key: &str,
    smtp_port: u16,
    log: Stdio,
) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_roster"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("ROSTER_DATA_DIR", data_dir)
        .envs(crate::helpers::database_env(data_dir))
        .env("ROSTER_ADDR", format!("127.0.0.1:{port}"))
        .env("ROSTER_SECRET_KEY", key)
        .env("ROSTER_SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}"))
        .env("ROSTER_DELIVERY__POLL_INTERVAL_MS", "50")
        .env("ROSTER_DELIVERY__RETRY_BASE_MS", "100")
        .env("ROSTER_DELIVERY__RETRY_MAX_MS", "500")
        // A kill can fall between a claim and the stamp of its attempt; the message then
        // waits out the lease. Two seconds keep that wait inside the tests' patience.
        .env("ROSTER_DELIVERY__LEASE_SECONDS", LEASE_SECONDS.to_string())
        .env("ROSTER_LOG", "debug")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("roster starts");
    Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    }
}

async fn wait_until_serving(client: &reqwest::Client, base: &str) {
    for _ in 0..600 {
        if let Ok(response) = client.get(format!("{base}/healthz")).send().await
            && response.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("roster did not start serving");
}

/// Creates a user with the addresses `old` and `new`, then makes `new` primary with a notice
/// to `old`: one message queued in the outbox.
async fn switch_primary_email(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    old: &str,
    new: &str,
) {
    let user: Value = client
        .post(format!("{base}/v1/users"))
        .bearer_auth(key)
        .json(&json!({"email_address": [old, new]}))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let user_id = user["id"].as_str().expect("id");
    let patched = client
        .patch(format!("{base}/v1/users/{user_id}"))
        .bearer_auth(key)
        .json(&json!({
            "primary_email_address_id": user["email_addresses"][1]["id"],
            "notify_primary_email_address_changed": true,
        }))
        .send()
        .await
        .expect("patch");
    assert!(patched.status().is_success());
}

/// The notice of `switch_primary_email` arrives, naming `new`, and only once.
async fn expect_one_notice(smtp: &SmtpServer, old: &str, new: &str) {
    let notice = smtp.wait_for(old).await;
    assert!(notice.body().contains(new));
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(smtp.count_to(old), 1);
}

#[tokio::test]
async fn a_message_survives_a_killed_roster() {
    let data_dir = tempfile::tempdir().expect("data folder");
    let key = test_key();
    let smtp_port = free_port();
    let client = reqwest::Client::new();
    let mut server = start_server(data_dir.path(), free_port(), &key, smtp_port);
    wait_until_serving(&client, &server.base).await;

    switch_primary_email(
        &client,
        &server.base,
        &key,
        "crash.old@example.com",
        "crash.new@example.com",
    )
    .await;

    // SIGKILL: no shutdown code runs; only what was committed survives.
    server.child.kill().expect("kill");
    server.child.wait().expect("reaped");

    let smtp = SmtpServer::start_on(smtp_port).await;
    let restarted = start_server(data_dir.path(), free_port(), &key, smtp_port);
    wait_until_serving(&client, &restarted.base).await;
    expect_one_notice(&smtp, "crash.old@example.com", "crash.new@example.com").await;
    drop(restarted);
}

#[tokio::test]
async fn a_message_claimed_by_a_roster_killed_mid_send_goes_out_after_the_lease() {
    let data_dir = tempfile::tempdir().expect("data folder");
    let key = test_key();
    let client = reqwest::Client::new();
    // A mail server that accepts the connection and never says a word: the send hangs
    // with the message claimed.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let smtp_port = silent.local_addr().expect("address").port();
    let server = start_server(data_dir.path(), free_port(), &key, smtp_port);
    wait_until_serving(&client, &server.base).await;
    switch_primary_email(
        &client,
        &server.base,
        &key,
        "held.old@example.com",
        "held.new@example.com",
    )
    .await;
    let (held, _) = tokio::time::timeout(Duration::from_secs(30), silent.accept())
        .await
        .expect("the message is being sent")
        .expect("accept");
    drop(server); // SIGKILL
    drop((held, silent));

    let smtp = SmtpServer::start_on(smtp_port).await;
    let restarted = start_server(data_dir.path(), free_port(), &key, smtp_port);
    wait_until_serving(&client, &restarted.base).await;
    // Only once the dead process's claim has lapsed can the new one take the message.
    expect_one_notice(&smtp, "held.old@example.com", "held.new@example.com").await;
    drop(restarted);
}

#[tokio::test]
async fn codes_never_reach_the_log() {
    let data_dir = tempfile::tempdir().expect("data folder");
    let log_path = data_dir.path().join("roster.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let key = test_key();
    let smtp = SmtpServer::start().await;
    let client = reqwest::Client::new();
    let server = start_server_logging(
        &data_dir.path().join("data"),
        free_port(),
        &key,
        smtp.port,
        Stdio::from(log),
    );
    wait_until_serving(&client, &server.base).await;
    let send = |method: reqwest::Method, path: String, body: Value| {
        client
            .request(method, format!("{}/v1{path}", server.base))
            .bearer_auth(&key)
            .json(&body)
            .send()
    };
    let user: Value = send(
        reqwest::Method::POST,
        "/users".to_owned(),
        json!({"username": "log_watch"}),
    )
    .await
    .expect("create")
    .json()
    .await
    .expect("json");
    let email: Value = send(
        reqwest::Method::POST,
        "/email_addresses".to_owned(),
        json!({"user_id": user["id"], "email_address": "log.watch@example.com"}),
    )
    .await
    .expect("add")
    .json()
    .await
    .expect("json");
    let email_id = email["id"].as_str().expect("id");
    let prepared: Value = send(
        reqwest::Method::POST,
        format!("/email_addresses/{email_id}/prepare_verification"),
        json!({}),
    )
    .await
    .expect("prepare")
    .json()
    .await
    .expect("json");
    let message = smtp.wait_for("log.watch@example.com").await;
    let code = six_digits(&message.header("Subject").expect("Subject")).expect("code");
    let attempted = send(
        reqwest::Method::POST,
        format!("/email_addresses/{email_id}/attempt_verification"),
        json!({"verification_id": prepared["id"], "code": code}),
    )
    .await
    .expect("attempt");
    assert!(attempted.status().is_success());
    drop(server);
    let logged = std::fs::read_to_string(&log_path).expect("log");
    assert!(
        logged.contains("message delivered"),
        "the log was written: {logged}"
    );
    assert!(
        !logged.contains(&code),
        "the code {code} appears in the log"
    );
}
