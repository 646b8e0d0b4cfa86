//! Secrets at rest: a one-time code leaves the outbox and the stored `email.created` event once
//! it is delivered (webhook consumers still get it while it is valid) or once it expires; the
//! database files are readable by their owner only; and the encryption key can live outside
//! the data folder.

use std::time::Duration;

use roster_domain::InstanceSettings;
use serde_json::{Value, json};

use crate::helpers::{
    TOTP_SECRET, TestApp, json_of, on_postgres, rows_containing, spawn_app_configured,
    start_roster, test_key, totp_code,
};
use crate::receiver::Receiver;
use crate::smtp_server::{SmtpServer, free_port};

async fn unverified_email(app: &TestApp, address: &str) -> String {
    let user = app.create_user(json!({"first_name": "Ada"})).await;
    app.add_email(user["id"].as_str().expect("id"), address)
        .await
}

async fn subscribe_to_emails(app: &TestApp, receiver: &Receiver) {
    let endpoint = app
        .post(
            "/webhook_endpoints",
            json!({"url": receiver.url, "events": ["email.created"]}),
        )
        .await
        .ok();
    receiver.set_secret(endpoint["secret"].as_str().expect("secret"));
}

/// Waits until the rows holding `code` are `expected` (outbox, events).
async fn until_rows(app: &TestApp, code: &str, expected: (i64, i64), limit: Duration) {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let counts = rows_containing(app.data_dir(), code);
        if counts == expected {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "rows holding the code: {counts:?}, expected {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_delivered_code_leaves_the_outbox_and_the_event_once_every_consumer_has_it() {
    let smtp_port = free_port();
    let app = spawn_app_configured(|config| {
        config.smtp_url = Some(format!("smtp://127.0.0.1:{smtp_port}"));
        config.delivery.poll_interval_ms = 50;
        config.delivery.retry_base_ms = 100;
        config.delivery.retry_max_ms = 200;
        config.webhooks.retry_schedule_seconds = vec![1; 7];
    })
    .await;
    let mut receiver = Receiver::down().await;
    subscribe_to_emails(&app, &receiver).await;
    let email_id = unverified_email(&app, "erase.me@example.com").await;
    let (_, code) = app.email_code(&email_id, "erase.me@example.com").await;
    // Neither the mail server nor the webhook receiver is up yet: the code is in both.
    assert_eq!(rows_containing(app.data_dir(), &code), (1, 1));

    let smtp = SmtpServer::start_on(smtp_port).await;
    let mail = smtp.wait_for("erase.me@example.com").await;
    assert!(mail.body().contains(&code), "the mail carries the code");
    // Sent: gone from the outbox; the event is kept for the receiver still waiting for it.
    until_rows(&app, &code, (0, 1), Duration::from_secs(20)).await;

    receiver.start().await;
    let received = receiver.wait_for(1, Duration::from_secs(30)).await;
    let data = &received[0].event["data"];
    assert_eq!(received[0].event["type"], "email.created");
    assert!(
        data["body"].as_str().expect("body").contains(&code),
        "{data}"
    );
    assert!(data["subject"].as_str().expect("subject").contains(&code));
    until_rows(&app, &code, (0, 0), Duration::from_secs(20)).await;
    // The event is still there for the deliveries list and replays, without its code.
    assert_eq!(rows_containing(app.data_dir(), "******").1, 1);
    let outbox = app.outbox().await;
    let sent = outbox
        .iter()
        .find(|m| m.template == "verification_code")
        .expect("the message");
    assert_eq!((sent.subject.as_str(), sent.body.as_str()), ("", ""));
}

#[tokio::test]
async fn an_expired_code_is_erased_though_it_was_never_delivered() {
    let mut instance = InstanceSettings::default();
    instance.verification.code_valid_seconds = 3;
    let app = spawn_app_configured(|config| {
        config.instance = instance;
        config.delivery.poll_interval_ms = 100;
        config.webhooks.retry_schedule_seconds = vec![600];
    })
    .await;
    // No SMTP server and a receiver that never comes up: nothing is ever delivered.
    let receiver = Receiver::down().await;
    subscribe_to_emails(&app, &receiver).await;
    let email_id = unverified_email(&app, "expire.me@example.com").await;
    let (prepared, code) = app.email_code(&email_id, "expire.me@example.com").await;
    assert_eq!(rows_containing(app.data_dir(), &code), (1, 1));
    until_rows(&app, &code, (0, 0), Duration::from_secs(15)).await;
    let expire_at = prepared["expire_at"].as_i64().expect("expire_at");
    assert!(
        roster_model::time::now_millis() >= expire_at,
        "erased only after expiry"
    );
    let message = app.outbox().await.remove(0);
    assert_eq!(message.body, "", "the unsent message lost its text");
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[cfg(unix)]
#[tokio::test]
async fn database_files_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    if on_postgres() {
        return; // no database files: the data lives in the PostgreSQL server
    }
    let app = spawn_app_configured(|_| {}).await;
    app.create_user(json!({"first_name": "Ada"})).await;
    let dir = app.data_dir();
    for name in [
        "roster.db",
        "roster.db-wal",
        "roster.db-shm",
        "encryption.key",
    ] {
        assert_eq!(mode(&dir.join(name)), 0o600, "{name}");
    }
    // Files an earlier version left readable to all are narrowed at the next start.
    let old = tempfile::tempdir().expect("dir");
    let migrated = crate::helpers::run_roster(old.path(), &["migrate"], &[]).await;
    assert!(migrated.status.success(), "{migrated:?}");
    let database = old.path().join("roster.db");
    std::fs::set_permissions(&database, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let migrated = crate::helpers::run_roster(old.path(), &["migrate"], &[]).await;
    assert!(migrated.status.success(), "{migrated:?}");
    assert_eq!(mode(&database), 0o600);
}

async fn verify_totp(base: &str, key: &str, user_id: &str, code: &str) -> Value {
    json_of(
        reqwest::Client::new()
            .post(format!("{base}/v1/users/{user_id}/verify_totp"))
            .bearer_auth(key)
            .json(&json!({"code": code})),
    )
    .await
}

#[tokio::test]
async fn the_encryption_key_can_live_outside_the_data_folder() {
    let data = tempfile::tempdir().expect("data");
    let keys = tempfile::tempdir().expect("keys");
    let key_file = keys.path().join("roster-encryption.key");
    let key_file_text = key_file.to_str().expect("utf-8 path");
    let settings = [("ROSTER_ENCRYPTION_KEY_FILE", key_file_text)];
    let key = test_key();
    let server = start_roster(data.path(), &key, &settings).await;
    let user = json_of(
        reqwest::Client::new()
            .post(format!("{}/v1/users", server.base))
            .bearer_auth(&key)
            .json(&json!({"totp_secret": TOTP_SECRET})),
    )
    .await;
    let user_id = user["id"].as_str().expect("id").to_owned();
    let verified = verify_totp(&server.base, &key, &user_id, &totp_code(0)).await;
    assert_eq!(verified["verified"], true, "{verified}");
    drop(server);
    assert!(
        key_file.exists(),
        "the key was created where the setting says"
    );
    assert!(
        !data.path().join("encryption.key").exists(),
        "no key in the data folder"
    );
    #[cfg(unix)]
    assert_eq!(mode(&key_file), 0o600);

    let server = start_roster(data.path(), &key, &settings).await;
    // The next step's code: this step's was used up above.
    let verified = verify_totp(&server.base, &key, &user_id, &totp_code(30)).await;
    assert_eq!(
        verified["verified"], true,
        "the stored secret opens after a restart: {verified}"
    );
}
