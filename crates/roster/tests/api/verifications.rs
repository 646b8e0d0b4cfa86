//! One-time-code verification of email addresses and phone numbers: codes queued for
//! delivery, checked with an attempts limit, counted against the user's lockout, and never
//! shown in a response. Codes are read from the outbox (no SMTP server is configured here).

use roster_domain::InstanceSettings;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_app_with, wrong_code};

async fn unverified_email(app: &TestApp, address: &str) -> (String, String) {
    let user = app
        .create_user(json!({"username": format!("u_{}", crate::helpers::uuid_like())}))
        .await;
    let user_id = user["id"].as_str().expect("id").to_owned();
    let email_id = app.add_email(&user_id, address).await;
    (user_id, email_id)
}

#[tokio::test]
async fn an_email_code_is_queued_and_verifies_the_address() {
    let app = spawn_app().await;
    let (user_id, email_id) = unverified_email(&app, "verify.me@example.com").await;
    let (prepared, code) = app.email_code(&email_id, "verify.me@example.com").await;
    assert_eq!(prepared["status"], "unverified");
    assert_eq!(prepared["strategy"], "email_code");
    assert_eq!(prepared["attempts"], 0);
    assert!(prepared["expire_at"].as_i64().expect("expire_at") > 0);
    assert_eq!(prepared["channel"], Value::Null);
    let verification_id = prepared["id"].as_str().expect("id").to_owned();
    assert!(
        !prepared.to_string().contains(&code),
        "the code is never in a response"
    );

    let email = app.get(&format!("/email_addresses/{email_id}")).await.ok();
    assert_eq!(email["verification"]["object"], "verification_otp");
    assert_eq!(email["verification"]["status"], "unverified");

    let miss = app
        .attempt_email_code(&email_id, &verification_id, &wrong_code(&code))
        .await
        .ok();
    assert_eq!(miss["status"], "unverified");
    assert_eq!(miss["attempts"], 1);
    assert_eq!(
        app.user(&user_id).await["verification_attempts_remaining"],
        9
    );

    let hit = app
        .attempt_email_code(&email_id, &verification_id, &code)
        .await
        .ok();
    assert_eq!(hit["status"], "verified");
    assert_eq!(hit["attempts"], 2);
    let email = app.get(&format!("/email_addresses/{email_id}")).await.ok();
    assert_eq!(email["verification"]["status"], "verified");
    assert_eq!(email["verification"]["strategy"], "email_code");
    // A success gives the lockout counter back.
    assert_eq!(
        app.user(&user_id).await["verification_attempts_remaining"],
        10
    );

    app.attempt_email_code(&email_id, &verification_id, &code)
        .await
        .assert_error(400, "verification_already_verified");
    // Once verified, the address can become primary.
    app.patch(
        &format!("/email_addresses/{email_id}"),
        json!({"primary": true}),
    )
    .await
    .ok();
}

#[tokio::test]
async fn a_verification_fails_after_its_attempts_and_refuses_unknown_ids() {
    let app = spawn_app().await;
    let (_, email_id) = unverified_email(&app, "fails@example.com").await;
    let (prepared, code) = app.email_code(&email_id, "fails@example.com").await;
    let verification_id = prepared["id"].as_str().expect("id").to_owned();
    let mut last = Value::Null;
    for _ in 0..5 {
        last = app
            .attempt_email_code(&email_id, &verification_id, &wrong_code(&code))
            .await
            .ok();
    }
    assert_eq!(last["status"], "failed");
    assert_eq!(last["attempts"], 5);
    // Even the right code no longer helps.
    let after = app
        .attempt_email_code(&email_id, &verification_id, &code)
        .await
        .ok();
    assert_eq!(after["status"], "failed");
    let email = app.get(&format!("/email_addresses/{email_id}")).await.ok();
    assert_eq!(email["verification"]["status"], "failed");

    let unknown = app
        .attempt_email_code(&email_id, "ver_missing", &code)
        .await;
    unknown.assert_error(422, "form_resource_not_found");
    assert_eq!(unknown.param(), "verification_id");
    app.post(
        &format!("/email_addresses/{email_id}/attempt_verification"),
        json!({"verification_id": verification_id}),
    )
    .await
    .assert_error(422, "form_param_missing");
    app.post(
        "/email_addresses/idn_missing/prepare_verification",
        json!({}),
    )
    .await
    .assert_error(404, "resource_not_found");
}

#[tokio::test]
async fn wrong_codes_count_against_the_lockout() {
    let mut settings = InstanceSettings::default();
    settings.lockout.max_attempts = 3;
    let app = spawn_app_with(settings).await;
    let (user_id, email_id) = unverified_email(&app, "locked.out@example.com").await;
    let (prepared, code) = app.email_code(&email_id, "locked.out@example.com").await;
    let verification_id = prepared["id"].as_str().expect("id").to_owned();
    for _ in 0..3 {
        app.attempt_email_code(&email_id, &verification_id, &wrong_code(&code))
            .await
            .ok();
    }
    let user = app.user(&user_id).await;
    assert_eq!(user["locked"], true);
    assert_eq!(user["verification_attempts_remaining"], 0);
    app.attempt_email_code(&email_id, &verification_id, &code)
        .await
        .assert_error(403, "user_locked");
    let email = app.get(&format!("/email_addresses/{email_id}")).await.ok();
    assert_eq!(email["verification"]["status"], "unverified");
}

#[tokio::test]
async fn a_phone_code_goes_by_sms_and_verifies_the_number() {
    let app = spawn_app().await;
    let user = app.create_user(json!({"username": "phone_owner"})).await;
    let user_id = user["id"].as_str().expect("id");
    let phone = app
        .post(
            "/phone_numbers",
            json!({"user_id": user_id, "phone_number": "+15555550123"}),
        )
        .await
        .ok();
    let phone_id = phone["id"].as_str().expect("id");
    let prepared = app.prepare_verification("phone_numbers", phone_id).await;
    assert_eq!(prepared["strategy"], "phone_code");
    assert_eq!(prepared["channel"], "sms");
    let outbox = app.outbox().await;
    let sms = outbox
        .iter()
        .find(|m| m.recipient == "+15555550123")
        .expect("an SMS");
    assert_eq!(sms.channel.as_str(), "sms");
    assert_eq!(sms.state.as_str(), "pending");
    let code = app.code_sent_to("+15555550123").await;
    let verified = app
        .attempt_verification(
            "phone_numbers",
            phone_id,
            prepared["id"].as_str().expect("id"),
            &code,
        )
        .await
        .ok();
    assert_eq!(verified["status"], "verified");
    let phone = app.get(&format!("/phone_numbers/{phone_id}")).await.ok();
    assert_eq!(phone["verification"]["status"], "verified");
    assert_eq!(phone["verification"]["channel"], "sms");
}

#[tokio::test]
async fn codes_cannot_be_requested_in_quick_succession() {
    let app = spawn_app().await;
    let (_, email_id) = unverified_email(&app, "flood@example.com").await;
    let path = format!("/email_addresses/{email_id}/prepare_verification");
    app.post(&path, json!({})).await.ok();
    let again = app.post(&path, json!({})).await;
    again.assert_error(429, "verification_code_too_many_requests");
    assert!(
        again.body["errors"][0]["meta"]["retry_after_seconds"]
            .as_i64()
            .expect("seconds")
            > 0
    );
    let codes = app
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.recipient == "flood@example.com")
        .count();
    assert_eq!(codes, 1);
}

#[tokio::test]
async fn a_late_code_finds_the_verification_expired() {
    let mut settings = InstanceSettings::default();
    settings.verification.code_valid_seconds = 1;
    let app = spawn_app_with(settings).await;
    let (user_id, email_id) = unverified_email(&app, "late@example.com").await;
    let (prepared, code) = app.email_code(&email_id, "late@example.com").await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let late = app
        .attempt_email_code(&email_id, prepared["id"].as_str().expect("id"), &code)
        .await
        .ok();
    assert_eq!(late["status"], "expired");
    assert_eq!(late["attempts"], 0);
    let email = app.get(&format!("/email_addresses/{email_id}")).await.ok();
    assert_eq!(email["verification"]["status"], "expired");
    // An expired code costs no lockout attempt.
    assert_eq!(
        app.user(&user_id).await["verification_attempts_remaining"],
        10
    );
}
