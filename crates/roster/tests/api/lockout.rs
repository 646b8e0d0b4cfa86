//! The lockout counter across credentials: knowing one secret (the password, the second factor,
//! a one-time code) must buy no guesses at another, sequentially or in parallel, while each
//! right secret still forgives its own typos.

use futures::future::join_all;
use roster_domain::InstanceSettings;
use serde_json::{Value, json};

use crate::helpers::{
    Reply, TOTP_SECRET, TestApp, spawn_app_with, totp_code, wrong_code, wrong_totp,
};

pub(crate) const PASSWORD: &str = "correct horse battery staple 9";

fn lockout(max_attempts: i64) -> InstanceSettings {
    let mut settings = InstanceSettings::default();
    settings.lockout.max_attempts = max_attempts;
    settings.lockout.duration_seconds = 3600;
    // One verification takes every wrong one-time code these tests send.
    settings.verification.max_attempts = 1000;
    settings
}

async fn user_with(app: &TestApp, second_factor: Value) -> String {
    let mut body = json!({"password": PASSWORD, "skip_password_checks": true});
    body.as_object_mut()
        .expect("object")
        .extend(second_factor.as_object().expect("object").clone());
    let user = app.create_user(body).await;
    user["id"].as_str().expect("id").to_owned()
}

async fn verify_totp(app: &TestApp, id: &str, code: &str) -> Reply {
    app.post(&format!("/users/{id}/verify_totp"), json!({"code": code}))
        .await
}

async fn verify_password(app: &TestApp, id: &str, password: &str) -> Reply {
    app.post(
        &format!("/users/{id}/verify_password"),
        json!({"password": password}),
    )
    .await
}

/// Whether a wrong secret was checked (`checked_status`), or else refused as locked.
#[track_caller]
fn checked(reply: &Reply, checked_status: u16) -> bool {
    if reply.status.as_u16() == checked_status {
        return true;
    }
    reply.assert_error(403, "user_locked");
    false
}

/// A right password, or a refusal because the user is locked.
#[track_caller]
fn right_password_answer(reply: &Reply) {
    if reply.status.as_u16() != 200 {
        reply.assert_error(403, "user_locked");
    }
}

/// The report's pattern: nine wrong codes, the right password, over and over.
async fn wrong_codes_between_right_passwords(app: &TestApp, id: &str, wrong: &str) -> usize {
    let mut wrong_checked = 0;
    for _ in 0..6 {
        for _ in 0..9 {
            if checked(&verify_totp(app, id, wrong).await, 422) {
                wrong_checked += 1;
            }
        }
        right_password_answer(&verify_password(app, id, PASSWORD).await);
    }
    wrong_checked
}

async fn assert_locked(app: &TestApp, id: &str) {
    let user = app.user(id).await;
    assert_eq!(user["locked"], true, "{user}");
    assert_eq!(user["verification_attempts_remaining"], 0);
    assert!(user["lockout_expires_in_seconds"].as_i64().expect("expiry") > 3500);
}

#[tokio::test]
async fn a_right_password_buys_no_more_totp_guesses() {
    let app = spawn_app_with(lockout(10)).await;
    let id = user_with(&app, json!({"totp_secret": TOTP_SECRET})).await;
    let wrong = wrong_totp();
    assert_eq!(
        wrong_codes_between_right_passwords(&app, &id, &wrong).await,
        10
    );
    assert_locked(&app, &id).await;
    verify_totp(&app, &id, &wrong)
        .await
        .assert_error(403, "user_locked");
    verify_totp(&app, &id, &totp_code(0))
        .await
        .assert_error(403, "user_locked");
    verify_password(&app, &id, PASSWORD)
        .await
        .assert_error(403, "user_locked");
}

#[tokio::test]
async fn a_right_password_buys_no_more_backup_code_guesses() {
    let app = spawn_app_with(lockout(10)).await;
    let id = user_with(&app, json!({"backup_codes": ["kept-secret-1"]})).await;
    let checked_count = wrong_codes_between_right_passwords(&app, &id, "guessed-0000").await;
    assert_eq!(checked_count, 10);
    assert_locked(&app, &id).await;
    verify_totp(&app, &id, "kept-secret-1")
        .await
        .assert_error(403, "user_locked");
}

async fn prepared_email(app: &TestApp, user_id: &str, address: &str) -> (String, String, String) {
    let email_id = app.add_email(user_id, address).await;
    let (prepared, code) = app.email_code(&email_id, address).await;
    let verification_id = prepared["id"].as_str().expect("id").to_owned();
    (email_id, verification_id, code)
}

#[tokio::test]
async fn a_right_password_buys_no_more_one_time_code_guesses() {
    let app = spawn_app_with(lockout(10)).await;
    let id = user_with(&app, json!({})).await;
    let (email_id, verification_id, code) = prepared_email(&app, &id, "otp@example.com").await;
    let wrong = wrong_code(&code);
    let mut wrong_checked = 0;
    for _ in 0..6 {
        for _ in 0..9 {
            let reply = app
                .attempt_email_code(&email_id, &verification_id, &wrong)
                .await;
            if checked(&reply, 200) {
                assert_eq!(reply.body["status"], "unverified");
                wrong_checked += 1;
            }
        }
        right_password_answer(&verify_password(&app, &id, PASSWORD).await);
    }
    assert_eq!(wrong_checked, 10);
    assert_locked(&app, &id).await;
    app.attempt_email_code(&email_id, &verification_id, &code)
        .await
        .assert_error(403, "user_locked");
    let email = app.get(&format!("/email_addresses/{email_id}")).await.ok();
    assert_eq!(email["verification"]["status"], "unverified");
}

/// Rounds of wrong codes racing a right password, then one burst of both: however the checks
/// interleave, no more wrong codes than the limit are checked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_wrong_totp_codes_racing_right_passwords_check_at_most_the_limit() {
    const LIMIT: usize = 10;
    let app = spawn_app_with(lockout(LIMIT as i64)).await;
    let id = user_with(&app, json!({"totp_secret": TOTP_SECRET})).await;
    let wrong = wrong_totp();
    let mut wrong_checked = 0;
    for round in 0..7 {
        let (codes, passwords) = if round < 6 { (5, 1) } else { (30, 6) };
        let totp_replies = join_all((0..codes).map(|_| verify_totp(&app, &id, &wrong)));
        let password_replies =
            join_all((0..passwords).map(|_| verify_password(&app, &id, PASSWORD)));
        let (totp_replies, password_replies) = tokio::join!(totp_replies, password_replies);
        wrong_checked += totp_replies.iter().filter(|r| checked(r, 422)).count();
        password_replies.iter().for_each(right_password_answer);
    }
    assert!(
        wrong_checked <= LIMIT,
        "{wrong_checked} wrong codes checked"
    );
    assert_locked(&app, &id).await;
}

#[tokio::test]
async fn each_right_secret_clears_only_its_own_failures() {
    let app = spawn_app_with(lockout(10)).await;
    let id = user_with(&app, json!({"totp_secret": TOTP_SECRET})).await;
    let remaining = |user: Value| user["verification_attempts_remaining"].clone();
    for _ in 0..5 {
        verify_password(&app, &id, "typo")
            .await
            .assert_error(422, "incorrect_password");
    }
    for _ in 0..4 {
        verify_totp(&app, &id, &wrong_totp())
            .await
            .assert_error(422, "totp_incorrect_code");
    }
    assert_eq!(remaining(app.user(&id).await), 1);
    verify_password(&app, &id, PASSWORD).await.ok();
    assert_eq!(remaining(app.user(&id).await), 6);
    verify_totp(&app, &id, &totp_code(0)).await.ok();
    assert_eq!(remaining(app.user(&id).await), 10);

    // A right one-time code forgives wrong one-time codes, and nothing else.
    let (email_id, verification_id, code) = prepared_email(&app, &id, "mine@example.com").await;
    for _ in 0..3 {
        verify_totp(&app, &id, &wrong_totp())
            .await
            .assert_error(422, "totp_incorrect_code");
    }
    for _ in 0..2 {
        app.attempt_email_code(&email_id, &verification_id, &wrong_code(&code))
            .await
            .ok();
    }
    assert_eq!(remaining(app.user(&id).await), 5);
    let verified = app
        .attempt_email_code(&email_id, &verification_id, &code)
        .await
        .ok();
    assert_eq!(verified["status"], "verified");
    assert_eq!(remaining(app.user(&id).await), 7);
}

/// Months of typos: a user who gets there in the end never locks.
#[tokio::test]
async fn typos_followed_by_the_right_secret_never_lock() {
    let app = spawn_app_with(lockout(10)).await;
    let id = user_with(&app, json!({"totp_secret": TOTP_SECRET})).await;
    for _ in 0..3 {
        for _ in 0..9 {
            verify_password(&app, &id, "typo")
                .await
                .assert_error(422, "incorrect_password");
        }
        verify_password(&app, &id, PASSWORD).await.ok();
    }
    for offset in [0, 30] {
        for _ in 0..9 {
            verify_totp(&app, &id, &wrong_totp())
                .await
                .assert_error(422, "totp_incorrect_code");
        }
        verify_totp(&app, &id, &totp_code(offset)).await.ok();
    }
    let user = app.user(&id).await;
    assert_eq!(user["locked"], false);
    assert_eq!(user["verification_attempts_remaining"], 10);
}
