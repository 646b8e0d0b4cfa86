//! Messages through a real SMTP server on loopback (the primary-address notice, verification
//! codes, an SMTP outage) and an SMS webhook; the outbox without them (`roster mail list`);
//! and the user's language. `mail_process.rs` kills a real Roster process mid-delivery.

use std::time::Duration;

use roster_delivery::MessageTuning;
use serde_json::{Value, json};

use crate::helpers::{TestApp, six_digits, spawn_app, spawn_app_configured};
use crate::smtp_server::{SmtpServer, free_port};

/// Quick polling and retries, so a test waits milliseconds rather than seconds.
fn quick() -> MessageTuning {
    MessageTuning {
        poll_interval_ms: 50,
        retry_base_ms: 100,
        retry_max_ms: 500,
        ..MessageTuning::default()
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
    let email_id = app.add_email(user_id, "code.me@example.com").await;
    let prepared = app.prepare_verification("email_addresses", &email_id).await;
    let message = smtp.wait_for("code.me@example.com").await;
    let code = six_digits(&message.header("Subject").expect("Subject")).expect("a code");
    assert!(message.body().contains(&code));
    let verified = app
        .attempt_email_code(&email_id, prepared["id"].as_str().expect("id"), &code)
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
    let output = crate::helpers::run_roster(app.data_dir(), &["mail", "list"], &[]).await;
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

/// Collects what an SMS webhook receives.
async fn sms_webhook() -> (String, tokio::sync::mpsc::UnboundedReceiver<Value>) {
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    let router = axum::Router::new().route(
        "/sms",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let sender = sender.clone();
            async move {
                let _ = sender.send(body);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/sms", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, receiver)
}

#[tokio::test]
async fn sms_codes_go_to_the_webhook() {
    let (url, mut received) = sms_webhook().await;
    let app = spawn_app_configured(|config| {
        config.sms_webhook_url = Some(url);
        config.delivery = quick();
    })
    .await;
    let user = app
        .create_user(json!({"username": "sms_hook", "locale": "fr-FR"}))
        .await;
    let phone = app
        .post(
            "/phone_numbers",
            json!({"user_id": user["id"], "phone_number": "+33612345678"}),
        )
        .await
        .ok();
    let phone_id = phone["id"].as_str().expect("id");
    let prepared = app
        .post(
            &format!("/phone_numbers/{phone_id}/prepare_verification"),
            json!({}),
        )
        .await
        .ok();
    let sms = tokio::time::timeout(Duration::from_secs(60), received.recv())
        .await
        .expect("an SMS within a minute")
        .expect("a body");
    assert_eq!(sms["to"], "+33612345678");
    let text = sms["body"].as_str().expect("body");
    assert!(text.starts_with("Votre code de vérification"), "{text}");
    let code = six_digits(text).expect("a code");
    let verified = app
        .post(
            &format!("/phone_numbers/{phone_id}/attempt_verification"),
            json!({"verification_id": prepared["id"], "code": code}),
        )
        .await
        .ok();
    assert_eq!(verified["status"], "verified");
}
