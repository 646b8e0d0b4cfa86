//! TOTP secrets, backup codes, `verify_totp`, the removal endpoints, and the lockout counter
//! they share.

use futures::future::join_all;
use roster_domain::InstanceSettings;
use roster_domain::mfa::totp;
use serde_json::{Value, json};

use crate::helpers::{TOTP_SECRET, TestApp, spawn_app, spawn_app_with, totp_code};

async fn verify(app: &TestApp, id: &str, code: &str) -> crate::helpers::Reply {
    app.post(&format!("/users/{id}/verify_totp"), json!({"code": code}))
        .await
}

async fn user_with_totp(app: &TestApp) -> String {
    let user = app.create_user(json!({"totp_secret": TOTP_SECRET})).await;
    user["id"].as_str().expect("id").to_owned()
}

fn lockout(max_attempts: i64, duration_seconds: i64) -> InstanceSettings {
    let mut settings = InstanceSettings::default();
    settings.lockout.max_attempts = max_attempts;
    settings.lockout.duration_seconds = duration_seconds;
    settings
}

#[tokio::test]
async fn a_totp_secret_enables_totp_and_current_codes_verify_once() {
    let app = spawn_app().await;
    let user = app.create_user(json!({"totp_secret": TOTP_SECRET})).await;
    assert_eq!(user["totp_enabled"], true);
    assert_eq!(user["two_factor_enabled"], true);
    assert_eq!(user["backup_code_enabled"], false);
    assert!(user["mfa_enabled_at"].is_i64());
    assert_eq!(user["mfa_disabled_at"], Value::Null);
    let id = user["id"].as_str().unwrap();

    let current = totp_code(0);
    let body = verify(&app, id, &current).await.ok();
    assert_eq!(body, json!({"verified": true, "code_type": "totp"}));
    // The same code again is a replay, refused like a wrong code.
    verify(&app, id, &current)
        .await
        .assert_error(422, "totp_incorrect_code");
    // So is the previous step's code, now that a later step was used.
    verify(&app, id, &totp_code(-30))
        .await
        .assert_error(422, "totp_incorrect_code");
}

#[tokio::test]
async fn one_step_of_drift_is_accepted_and_two_are_refused() {
    let app = spawn_app().await;
    for (offset, accepted) in [(-30, true), (30, true), (-60, false), (60, false)] {
        let id = user_with_totp(&app).await;
        let reply = verify(&app, &id, &totp_code(offset)).await;
        if accepted {
            assert_eq!(reply.ok()["code_type"], "totp", "offset {offset}");
        } else {
            reply.assert_error(422, "totp_incorrect_code");
        }
    }
}

#[tokio::test]
async fn malformed_secrets_and_codes_are_refused() {
    let app = spawn_app().await;
    for secret in ["not base32!", "", "189"] {
        app.post("/users", json!({"first_name": "T", "totp_secret": secret}))
            .await
            .assert_error(422, "invalid_totp_secret_code");
    }
    assert_eq!(app.count("").await, 0, "a refused create stores nothing");

    let plain = app.create_user(json!({"first_name": "P"})).await;
    let plain_id = plain["id"].as_str().unwrap();
    verify(&app, plain_id, "123456")
        .await
        .assert_error(400, "totp_disabled");
    app.patch(&format!("/users/{plain_id}"), json!({"totp_secret": "!!"}))
        .await
        .assert_error(422, "invalid_totp_secret_code");
    assert_eq!(app.user(plain_id).await["totp_enabled"], false);

    let id = user_with_totp(&app).await;
    verify(&app, &id, "123")
        .await
        .assert_error(422, "totp_invalid_length");
    app.post(&format!("/users/{id}/verify_totp"), json!({}))
        .await
        .assert_error(422, "form_param_missing");
    verify(&app, "user_unknown", "123456")
        .await
        .assert_error(404, "resource_not_found");
}

#[tokio::test]
async fn backup_codes_work_once_in_clear_or_as_bcrypt_digests() {
    let app = spawn_app().await;
    let digest = bcrypt::hash("imported-code", 4).expect("bcrypt");
    let user = app
        .create_user(json!({"backup_codes": ["alpha-1111", "beta-2222", digest]}))
        .await;
    assert_eq!(user["backup_code_enabled"], true);
    assert_eq!(user["two_factor_enabled"], true);
    assert_eq!(user["totp_enabled"], false);
    let id = user["id"].as_str().unwrap();

    for code in ["beta-2222", "imported-code", "alpha-1111"] {
        let body = verify(&app, id, code).await.ok();
        assert_eq!(body, json!({"verified": true, "code_type": "backup_code"}));
        let again = verify(&app, id, code).await;
        if code == "alpha-1111" {
            // That was the last one: the user has no second factor left.
            again.assert_error(400, "totp_disabled");
        } else {
            again.assert_error(422, "totp_incorrect_code");
        }
    }
    let user = app.user(id).await;
    assert_eq!(user["backup_code_enabled"], false);
    assert!(user["mfa_disabled_at"].is_i64());
}

#[tokio::test]
async fn updates_replace_second_factors_and_removals_clear_them() {
    let app = spawn_app().await;
    let created = app.create_user(json!({"first_name": "M"})).await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["mfa_enabled_at"], Value::Null);

    let updated = app
        .patch(
            &format!("/users/{id}"),
            json!({"totp_secret": TOTP_SECRET.to_lowercase(), "backup_codes": ["one-1", "two-2"]}),
        )
        .await
        .ok();
    assert_eq!(updated["totp_enabled"], true);
    assert_eq!(updated["backup_code_enabled"], true);
    let enabled_at = updated["mfa_enabled_at"].as_i64().expect("stamped");

    // A new list replaces the old one.
    app.patch(
        &format!("/users/{id}"),
        json!({"backup_codes": ["three-3"]}),
    )
    .await
    .ok();
    verify(&app, id, "one-1")
        .await
        .assert_error(422, "totp_incorrect_code");
    assert_eq!(
        verify(&app, id, "three-3").await.ok()["code_type"],
        "backup_code"
    );

    app.patch(&format!("/users/{id}"), json!({"backup_codes": ["four-4"]}))
        .await
        .ok();
    let removed = app.delete(&format!("/users/{id}/backup_code")).await.ok();
    assert_eq!(removed, json!({"user_id": id}));
    let user = app.user(id).await;
    assert_eq!(user["backup_code_enabled"], false);
    assert_eq!(user["totp_enabled"], true);
    assert_eq!(user["mfa_disabled_at"], Value::Null);

    assert_eq!(
        app.delete(&format!("/users/{id}/totp")).await.ok(),
        json!({"user_id": id})
    );
    let user = app.user(id).await;
    assert_eq!(user["totp_enabled"], false);
    assert_eq!(user["two_factor_enabled"], false);
    assert!(user["mfa_disabled_at"].is_i64());
    assert_eq!(user["mfa_enabled_at"], enabled_at, "never cleared");
    verify(&app, id, &totp_code(0))
        .await
        .assert_error(400, "totp_disabled");

    app.patch(
        &format!("/users/{id}"),
        json!({"totp_secret": TOTP_SECRET, "backup_codes": ["x-1"]}),
    )
    .await
    .ok();
    assert_eq!(
        app.delete(&format!("/users/{id}/mfa")).await.ok(),
        json!({"user_id": id})
    );
    let user = app.user(id).await;
    assert_eq!(
        (
            user["totp_enabled"].clone(),
            user["backup_code_enabled"].clone()
        ),
        (json!(false), json!(false))
    );
    verify(&app, id, "x-1")
        .await
        .assert_error(400, "totp_disabled");

    for path in ["totp", "backup_code", "mfa"] {
        app.delete(&format!("/users/user_unknown/{path}"))
            .await
            .assert_error(404, "resource_not_found");
    }
}

#[tokio::test]
async fn the_database_holds_neither_totp_secrets_nor_plain_backup_codes() {
    let app = spawn_app().await;
    let id = user_with_totp(&app).await;
    app.patch(
        &format!("/users/{id}"),
        json!({"backup_codes": ["plain-backup-code-77"]}),
    )
    .await
    .ok();
    let raw_secret = totp::parse_secret(TOTP_SECRET).unwrap();
    let bytes = crate::helpers::raw_database(app.data_dir());
    for needle in [
        TOTP_SECRET.as_bytes(),
        raw_secret.as_slice(),
        b"plain-backup-code-77",
    ] {
        assert!(
            !bytes.windows(needle.len()).any(|window| window == needle),
            "the database holds a secret in clear"
        );
    }
    // And the key file that seals them is the owner's alone.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(app.data_dir().join("encryption.key"))
            .expect("key file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "mode {mode:o}");
    }
}

#[tokio::test]
async fn parallel_wrong_codes_consume_exactly_the_attempts_and_lock() {
    let app = spawn_app_with(lockout(5, 3600)).await;
    let id = user_with_totp(&app).await;
    let attempts = (0..20).map(|_| verify(&app, &id, "000000"));
    let replies = join_all(attempts).await;
    let wrong = replies.iter().filter(|r| r.status == 422).count();
    let locked = replies.iter().filter(|r| r.status == 403).count();
    assert_eq!((wrong, locked), (5, 15), "exactly the limit is checked");
    for reply in replies.iter().filter(|r| r.status == 403) {
        reply.assert_error(403, "user_locked");
        assert!(
            reply.body["errors"][0]["meta"]["lockout_expires_in_seconds"]
                .as_i64()
                .unwrap()
                > 3500
        );
    }
    let user = app.user(&id).await;
    assert_eq!(user["locked"], true);
    assert_eq!(user["verification_attempts_remaining"], 0);
    // The right code is refused while locked.
    verify(&app, &id, &totp_code(0))
        .await
        .assert_error(403, "user_locked");

    let unlocked = app
        .post(&format!("/users/{id}/unlock"), json!({}))
        .await
        .ok();
    assert_eq!(unlocked["locked"], false);
    assert_eq!(unlocked["verification_attempts_remaining"], 5);
    assert_eq!(
        verify(&app, &id, &totp_code(0)).await.ok()["code_type"],
        "totp"
    );
}

#[tokio::test]
async fn fewer_parallel_failures_than_the_limit_leave_the_rest() {
    let app = spawn_app().await;
    let id = user_with_totp(&app).await;
    let replies = join_all((0..4).map(|_| verify(&app, &id, "999999"))).await;
    assert!(replies.iter().all(|r| r.status == 422));
    let user = app.user(&id).await;
    assert_eq!(user["verification_attempts_remaining"], 6);
    assert_eq!(user["locked"], false);
    // A success gives the count back.
    assert_eq!(
        verify(&app, &id, &totp_code(0)).await.ok()["verified"],
        true
    );
    assert_eq!(app.user(&id).await["verification_attempts_remaining"], 10);
}

#[tokio::test]
async fn a_lock_from_failures_expires_on_its_own() {
    let app = spawn_app_with(lockout(2, 1)).await;
    let id = user_with_totp(&app).await;
    for _ in 0..2 {
        verify(&app, &id, "111111")
            .await
            .assert_error(422, "totp_incorrect_code");
    }
    verify(&app, &id, &totp_code(0))
        .await
        .assert_error(403, "user_locked");
    assert_eq!(app.user(&id).await["locked"], true);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let user = app.user(&id).await;
    assert_eq!(user["locked"], false);
    assert_eq!(user["verification_attempts_remaining"], 2);
    assert_eq!(
        verify(&app, &id, &totp_code(0)).await.ok()["code_type"],
        "totp"
    );
}

#[tokio::test]
async fn an_operator_lock_refuses_right_codes_until_unlocked() {
    let app = spawn_app().await;
    let id = user_with_totp(&app).await;
    app.post(&format!("/users/{id}/lock"), json!({})).await.ok();
    verify(&app, &id, &totp_code(0))
        .await
        .assert_error(403, "user_locked");
    app.post(&format!("/users/{id}/unlock"), json!({}))
        .await
        .ok();
    assert_eq!(
        verify(&app, &id, &totp_code(0)).await.ok()["code_type"],
        "totp"
    );
}

/// The last codes used at the same moment: whichever request finishes second must see that
/// none are left and turn backup codes off, on a backend where both run at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn using_the_last_backup_codes_at_once_turns_them_off() {
    let app = spawn_app().await;
    for round in 0..4 {
        let codes: Vec<String> = (0..4).map(|n| format!("race-{round}-{n}")).collect();
        let user = app.create_user(json!({"backup_codes": codes})).await;
        let id = user["id"].as_str().expect("id");
        let replies = join_all(codes.iter().map(|code| verify(&app, id, code))).await;
        for reply in replies {
            assert_eq!(reply.status.as_u16(), 200, "round {round}: {}", reply.body);
        }
        let user = app.user(id).await;
        assert_eq!(user["backup_code_enabled"], false, "round {round}");
        assert_eq!(user["two_factor_enabled"], false, "round {round}");
    }
}
