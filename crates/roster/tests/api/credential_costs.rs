//! What one credential check may cost: over-long passwords are refused before any hashing,
//! imported digests and backup codes beyond the cost bounds are refused at import, and bcrypt
//! backup codes are checked on the same bounded hashing pool as passwords.

use std::time::{Duration, Instant};

use futures::future::join_all;
use roster_domain::InstanceSettings;
use serde_json::json;

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

/// A WordPress phpass digest at 2^13 rounds, of a password the tests never send.
const PHPASS_2_13: &str = "$P$Bx/ltca0/z0GV/g7ep2xYlKD7Lnn0M0";
/// The same salt and checksum at 2^18 rounds ('G'), beyond the phpass cap of 2^17.
const PHPASS_2_18: &str = "$P$Gx/ltca0/z0GV/g7ep2xYlKD7Lnn0M0";
/// A valid bcrypt digest at cost 4; its cost digits are swapped to make dearer ones.
const BCRYPT_04: &str = "$2b$04$O/i4T1dZo27sRJc21t9Ln.2cCgbR5I1NybmYlN0Pc2ZMY3c5sSw5O";

fn bcrypt_at(cost: u32) -> String {
    BCRYPT_04.replacen("$04$", &format!("${cost:02}$"), 1)
}

async fn phpass_user(app: &TestApp) -> String {
    let user = app
        .create_user(json!({"password_digest": PHPASS_2_13, "password_hasher": "phpass"}))
        .await;
    user["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_over_long_password_to_verify_password_is_refused_before_any_hashing() {
    let app = spawn_app().await;
    let id = phpass_user(&app).await;
    let path = format!("/users/{id}/verify_password");
    let started = Instant::now();
    let reply = app
        .post(&path, json!({"password": "x".repeat(400_000)}))
        .await;
    // Checked against the digest, this password costs seconds of CPU.
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    reply.assert_error(422, "form_password_size_in_bytes_exceeded");
    assert_eq!(reply.param(), "password");
    // The create path answers the same for the same password.
    app.post("/users", json!({"password": "x".repeat(4097)}))
        .await
        .assert_error(422, "form_password_size_in_bytes_exceeded");
    // Never checked, so never counted against the lockout limit.
    let before = app.user(&id).await["verification_attempts_remaining"].clone();
    app.post(&path, json!({"password": "y".repeat(4097)}))
        .await
        .assert_error(422, "form_password_size_in_bytes_exceeded");
    assert_eq!(
        app.user(&id).await["verification_attempts_remaining"],
        before
    );
    // At the cap the password is checked (and counted) as usual.
    app.post(&path, json!({"password": "y".repeat(4096)}))
        .await
        .assert_error(422, "incorrect_password");
    let after = app.user(&id).await["verification_attempts_remaining"].clone();
    assert_eq!(after.as_i64().unwrap(), before.as_i64().unwrap() - 1);
}

#[tokio::test]
async fn digests_dearer_than_the_bound_are_refused_at_import_and_change_nothing() {
    let app = spawn_app().await;
    let costly = [
        ("phpass", PHPASS_2_18.to_owned()),
        ("md5_phpass", PHPASS_2_18.replace("$P$", "$H$")),
        (
            "sha512_symfony",
            format!("sha512_symfony$1000000$salt${}==", "A".repeat(86)),
        ),
        ("bcrypt", bcrypt_at(15)),
    ];
    let users_before = app.count("").await;
    for (hasher, digest) in &costly {
        let reply = app
            .post(
                "/users",
                json!({"password_digest": digest, "password_hasher": hasher}),
            )
            .await;
        reply.assert_error(422, "form_password_digest_invalid_code");
        assert_eq!(reply.param(), "password_digest", "{hasher}");
    }
    assert_eq!(app.count("").await, users_before);

    let id = phpass_user(&app).await;
    let before = app.user(&id).await;
    for (hasher, digest) in &costly {
        app.patch(
            &format!("/users/{id}"),
            json!({"password_digest": digest, "password_hasher": hasher}),
        )
        .await
        .assert_error(422, "form_password_digest_invalid_code");
    }
    assert_eq!(app.user(&id).await["updated_at"], before["updated_at"]);
    // Digests at the caps are still imported.
    for (hasher, digest) in [
        ("phpass", PHPASS_2_18.replace("$P$G", "$P$F")),
        ("bcrypt", bcrypt_at(14)),
    ] {
        app.post(
            "/users",
            json!({"password_digest": digest, "password_hasher": hasher}),
        )
        .await
        .ok();
    }
}

/// With one hashing thread and no queue, a wrong code checked against dear bcrypt backup
/// codes holds the only thread: a password hashed meanwhile is refused with 429, as it would
/// be behind another password.
#[tokio::test]
async fn bcrypt_backup_codes_are_checked_on_the_password_hashing_pool() {
    let mut settings = InstanceSettings::default();
    settings.password_hashing.threads = 1;
    settings.password_hashing.queue = 0;
    settings.password_hashing.max_wait_ms = 1;
    let app = spawn_app_with(settings).await;
    // Two codes at cost 13: about a second of one core for a wrong code.
    let codes = [bcrypt_at(13), bcrypt_at(13).replacen("O/i4", "P/i4", 1)];
    let user = app.create_user(json!({"backup_codes": codes})).await;
    let id = user["id"].as_str().unwrap().to_owned();
    let path = format!("/users/{id}/verify_totp");
    let check = app.post(&path, json!({"code": "not-a-backup-code"}));
    let sign_ups = async {
        let mut statuses = Vec::new();
        tokio::time::sleep(Duration::from_millis(200)).await;
        for n in 0..5 {
            let reply = app
                .post(
                    "/users",
                    json!({"password": format!("a fine passphrase {n}")}),
                )
                .await;
            statuses.push(reply.status.as_u16());
            if reply.status == 429 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        statuses
    };
    let (check, statuses) = tokio::join!(check, sign_ups);
    check.assert_error(422, "totp_incorrect_code");
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );

    // Concurrent wrong codes queue on the pool too: one is checked, the rest are refused.
    let replies =
        join_all((0..4).map(|_| app.post(&path, json!({"code": "still-not-a-code"})))).await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
    assert!(statuses.contains(&429), "{statuses:?}");
}

#[tokio::test]
async fn backup_codes_over_the_bcrypt_budget_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    // Nine codes at cost 12: 9 × 2^12 bcrypt rounds, over the budget of 2^15.
    let dear: Vec<String> = (0..9).map(|_| bcrypt_at(12)).collect();
    let users_before = app.count("").await;
    let reply = app.post("/users", json!({"backup_codes": dear})).await;
    reply.assert_error(422, "form_param_value_invalid");
    assert_eq!(reply.param(), "backup_codes");
    assert_eq!(app.count("").await, users_before);

    let user = app
        .create_user(json!({"backup_codes": ["plain-1111"]}))
        .await;
    let id = user["id"].as_str().unwrap().to_owned();
    app.patch(&format!("/users/{id}"), json!({"backup_codes": dear}))
        .await
        .assert_error(422, "form_param_value_invalid");
    let after = app.user(&id).await;
    assert_eq!(after["updated_at"], user["updated_at"]);
    // The old code still works: nothing was replaced.
    app.post(
        &format!("/users/{id}/verify_totp"),
        json!({"code": "plain-1111"}),
    )
    .await
    .ok();
    // Eight at cost 12 fit exactly.
    let fitting: Vec<String> = (0..8).map(|_| bcrypt_at(12)).collect();
    app.post("/users", json!({"backup_codes": fitting}))
        .await
        .ok();
}
