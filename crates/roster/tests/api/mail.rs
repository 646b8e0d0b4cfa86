//! Messages through a real SMTP server on loopback: the primary-address notice, verification
//! codes, an SMTP outage, and a Roster process killed before it could deliver. Also the
//! outbox without SMTP (`roster mail list`) and the user's language.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use roster_mail::DeliveryTuning;
use serde_json::{Value, json};

use crate::helpers::{TestApp, six_digits, spawn_app, spawn_app_configured, uuid_like};
use crate::smtp_server::{SmtpServer, free_port};

/// Quick polling and retries, so a test waits milliseconds rather than seconds.
fn quick() -> DeliveryTuning {
    DeliveryTuning {
        poll_interval_ms: 50,
        retry_base_ms: 100,
        retry_max_ms: 500,
        ..DeliveryTuning::default()
    }
}

async fn app_with_smtp(url: String) -> TestApp {
    spawn_app_configured(|config| {
        config.smtp_url = Some(url);
        config.mail_from = "Roster Test <roster@example.com>".to_owned();
        config.delivery = quick();
    })
    .await
}

/// A user with a verified primary and a second verified address, in `locale`.
async fn user_with_two_addresses(
    app: &TestApp,
    old: &str,
    new: &str,
    locale: &str,
) -> (String, String) {
    let user = app
        .create_user(json!({"email_address": [old, new], "locale": locale}))
        .await;
    let new_id = user["email_addresses"][1]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    (user["id"].as_str().expect("id").to_owned(), new_id)
}

async fn change_primary(app: &TestApp, user_id: &str, new_id: &str, notify: bool) {
    app.patch(
        &format!("/users/{user_id}"),
        json!({"primary_email_address_id": new_id, "notify_primary_email_address_changed": notify}),
    )
    .await
    .ok();
}

#[tokio::test]
async fn the_previous_primary_address_is_told_of_the_change() {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(smtp.url()).await;
    let (user_id, new_id) = user_with_two_addresses(
        &app,
        "old.primary@example.com",
        "new.primary@example.com",
        "en-GB",
    )
    .await;
    change_primary(&app, &user_id, &new_id, true).await;

    let notice = smtp.wait_for("old.primary@example.com").await;
    assert_eq!(notice.recipients, ["old.primary@example.com"]);
    assert_eq!(
        notice.header("Subject").as_deref(),
        Some("Your primary email address was changed")
    );
    assert!(
        notice
            .header("From")
            .expect("From")
            .contains("roster@example.com")
    );
    assert!(
        notice.body().contains("new.primary@example.com"),
        "{}",
        notice.data
    );
    assert_eq!(smtp.count_to("new.primary@example.com"), 0);
    assert_eq!(
        app.user(&user_id).await["primary_email_address_id"],
        new_id.as_str()
    );
}

#[tokio::test]
async fn no_notice_is_sent_unless_asked_for() {
    let app = spawn_app().await;
    let (user_id, new_id) =
        user_with_two_addresses(&app, "quiet.old@example.com", "quiet.new@example.com", "en").await;
    change_primary(&app, &user_id, &new_id, false).await;
    assert!(app.outbox().await.is_empty());
}

#[tokio::test]
async fn a_refused_change_queues_no_notice() {
    let app = spawn_app().await;
    let (user_id, _) =
        user_with_two_addresses(&app, "keep.old@example.com", "keep.new@example.com", "en").await;
    let reply = app
        .patch(
            &format!("/users/{user_id}"),
            json!({"primary_email_address_id": "idn_missing", "notify_primary_email_address_changed": true}),
        )
        .await;
    reply.assert_error(422, "form_resource_not_found");
    assert!(app.outbox().await.is_empty());
}

#[tokio::test]
async fn a_code_arrives_by_mail_and_verifies_the_address() {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(smtp.url()).await;
    let user = app.create_user(json!({"username": "mail_code"})).await;
    let user_id = user["id"].as_str().expect("id");
    let email = app
        .post(
            "/email_addresses",
            json!({"user_id": user_id, "email_address": "code.me@example.com"}),
        )
        .await
        .ok();
    let email_id = email["id"].as_str().expect("id");
    let prepared = app
        .post(
            &format!("/email_addresses/{email_id}/prepare_verification"),
            json!({}),
        )
        .await
        .ok();
    let message = smtp.wait_for("code.me@example.com").await;
    let code = six_digits(&message.header("Subject").expect("Subject")).expect("a code");
    assert!(message.body().contains(&code));
    let verified = app
        .post(
            &format!("/email_addresses/{email_id}/attempt_verification"),
            json!({"verification_id": prepared["id"], "code": code}),
        )
        .await
        .ok();
    assert_eq!(verified["status"], "verified");
    // Once delivered, the code no longer sits in the outbox.
    let stored = app.outbox().await;
    assert_eq!(stored[0].state.as_str(), "sent");
    assert!(!stored[0].body.contains(&code));
}

#[tokio::test]
async fn a_message_made_while_smtp_is_down_arrives_once_it_is_up() {
    let port = free_port();
    let app = app_with_smtp(format!("smtp://127.0.0.1:{port}")).await;
    let (user_id, new_id) = user_with_two_addresses(
        &app,
        "outage.old@example.com",
        "outage.new@example.com",
        "en",
    )
    .await;
    change_primary(&app, &user_id, &new_id, true).await;

    // Wait until delivery has failed at least twice, so the retry path is what delivers it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let outbox = app.outbox().await;
        if outbox[0].attempts >= 2 {
            assert_eq!(outbox[0].state.as_str(), "pending");
            assert!(outbox[0].last_error.is_some());
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no delivery attempt was made"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let smtp = SmtpServer::start_on(port).await;
    smtp.wait_for("outage.old@example.com").await;
    // Several more polling rounds pass without a second copy.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(smtp.count_to("outage.old@example.com"), 1);
    let outbox = app.outbox().await;
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].state.as_str(), "sent");
}

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
        .env("ROSTER_ADDR", format!("127.0.0.1:{port}"))
        .env("ROSTER_SECRET_KEY", key)
        .env("ROSTER_SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}"))
        .env("ROSTER_DELIVERY__POLL_INTERVAL_MS", "50")
        .env("ROSTER_DELIVERY__RETRY_BASE_MS", "100")
        .env("ROSTER_DELIVERY__RETRY_MAX_MS", "500")
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

#[tokio::test]
async fn a_message_survives_a_killed_roster() {
    let data_dir = tempfile::tempdir().expect("data folder");
    let key = format!("sk_test_{}", uuid_like());
    let smtp_port = free_port();
    let client = reqwest::Client::new();
    let mut server = start_server(data_dir.path(), free_port(), &key, smtp_port);
    wait_until_serving(&client, &server.base).await;

    let call = |method: reqwest::Method, base: String, path: &str, body: Value| {
        client
            .request(method, format!("{base}/v1{path}"))
            .bearer_auth(&key)
            .json(&body)
            .send()
    };
    let user: Value = call(
        reqwest::Method::POST,
        server.base.clone(),
        "/users",
        json!({"email_address": ["crash.old@example.com", "crash.new@example.com"]}),
    )
    .await
    .expect("create")
    .json()
    .await
    .expect("json");
    let user_id = user["id"].as_str().expect("id");
    let new_id = user["email_addresses"][1]["id"].as_str().expect("id");
    let patched = call(
        reqwest::Method::PATCH,
        server.base.clone(),
        &format!("/users/{user_id}"),
        json!({"primary_email_address_id": new_id, "notify_primary_email_address_changed": true}),
    )
    .await
    .expect("patch");
    assert!(patched.status().is_success());

    // SIGKILL: no shutdown code runs; only what was committed survives.
    server.child.kill().expect("kill");
    server.child.wait().expect("reaped");

    let smtp = SmtpServer::start_on(smtp_port).await;
    let restarted = start_server(data_dir.path(), free_port(), &key, smtp_port);
    wait_until_serving(&client, &restarted.base).await;
    let notice = smtp.wait_for("crash.old@example.com").await;
    assert!(notice.body().contains("crash.new@example.com"));
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(smtp.count_to("crash.old@example.com"), 1);
    drop(restarted);
}

#[tokio::test]
async fn without_smtp_messages_wait_in_the_outbox_for_roster_mail_list() {
    let app = spawn_app().await;
    let (user_id, new_id) = user_with_two_addresses(
        &app,
        "listed.old@example.com",
        "listed.new@example.com",
        "en",
    )
    .await;
    change_primary(&app, &user_id, &new_id, true).await;
    let output = Command::new(env!("CARGO_BIN_EXE_roster"))
        .args(["mail", "list"])
        .env_clear()
        .env("ROSTER_DATA_DIR", app.data_dir())
        .output()
        .expect("roster mail list runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let listing = String::from_utf8(output.stdout).expect("utf-8");
    assert!(
        listing.contains("pending\temail\tlisted.old@example.com\tprimary_email_address_changed"),
        "{listing}"
    );
    assert!(
        listing.contains("Subject: Your primary email address was changed"),
        "{listing}"
    );
    assert!(listing.contains("listed.new@example.com"), "{listing}");
}

#[tokio::test]
async fn messages_speak_the_users_language_or_english() {
    let app = spawn_app().await;
    for (tag, locale, subject) in [
        ("de", "de-DE", "Ihre primäre E-Mail-Adresse wurde geändert"),
        ("fr", "fr", "Votre adresse e-mail principale a été modifiée"),
        ("ja", "ja-JP", "Your primary email address was changed"),
    ] {
        let old = format!("{tag}.old@example.com");
        let (user_id, new_id) =
            user_with_two_addresses(&app, &old, &format!("{tag}.new@example.com"), locale).await;
        change_primary(&app, &user_id, &new_id, true).await;
        let outbox = app.outbox().await;
        let message = outbox
            .iter()
            .find(|m| m.recipient == old)
            .expect("a notice");
        assert_eq!(message.subject, subject);
    }
}

#[tokio::test]
async fn codes_never_reach_the_log() {
    let data_dir = tempfile::tempdir().expect("data folder");
    let log_path = data_dir.path().join("roster.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let key = format!("sk_test_{}", uuid_like());
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

#[tokio::test]
async fn the_email_endpoints_notify_the_previous_primary_when_asked() {
    let app = spawn_app().await;
    let user = app
        .create_user(json!({"email_address": ["start@example.com"]}))
        .await;
    let user_id = user["id"].as_str().expect("id");
    let notices = |outbox: Vec<roster_model::messages::OutboxMessage>, to: &str| {
        outbox
            .into_iter()
            .filter(|m| m.recipient == to && m.template == "primary_email_address_changed")
            .count()
    };

    let added = app
        .post(
            "/email_addresses",
            json!({"user_id": user_id, "email_address": "added@example.com", "verified": true,
                   "primary": true, "notify_primary_email_address_changed": true}),
        )
        .await
        .ok();
    assert_eq!(notices(app.outbox().await, "start@example.com"), 1);

    let back = user["primary_email_address_id"].as_str().expect("id");
    app.patch(
        &format!("/email_addresses/{back}"),
        json!({"primary": true, "notify_primary_email_address_changed": true}),
    )
    .await
    .ok();
    assert_eq!(notices(app.outbox().await, "added@example.com"), 1);
    // Already primary: nothing changes, nobody is told.
    app.patch(
        &format!("/email_addresses/{back}"),
        json!({"primary": true, "notify_primary_email_address_changed": true}),
    )
    .await
    .ok();
    assert_eq!(app.outbox().await.len(), 2);

    app.put(
        &format!("/users/{user_id}/email_address"),
        json!({"email_address": "START@example.com", "notify_primary_email_address_changed": true}),
    )
    .await
    .ok();
    assert_eq!(
        app.outbox().await.len(),
        2,
        "the same address again is no change"
    );
    app.put(
        &format!("/users/{user_id}/email_address"),
        json!({"email_address": "final@example.com", "notify_primary_email_address_changed": true}),
    )
    .await
    .ok();
    assert_eq!(notices(app.outbox().await, "START@example.com"), 1);
    assert_eq!(added["object"], "email_address");
}
