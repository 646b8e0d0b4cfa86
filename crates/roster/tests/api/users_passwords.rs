//! Passwords through the HTTP API: the shared hasher vectors, the policy, the upgrade of
//! imported digests, removal and the compromised flag, and lockout.

use futures::StreamExt;
use futures::future::join_all;
use roster_domain::InstanceSettings;
use roster_store::{Durability, Store, StoreOptions};
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, spawn_app, spawn_app_with};

const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/hasher-vectors.json"
);

fn vectors() -> Vec<Value> {
    let text = std::fs::read_to_string(VECTORS).unwrap_or_else(|e| {
        panic!("the shared hasher vectors must sit beside the repository: {e}")
    });
    serde_json::from_str(&text).expect("a JSON array")
}

pub(crate) async fn verify(app: &TestApp, id: &str, password: &str) -> Reply {
    app.post(
        &format!("/users/{id}/verify_password"),
        json!({"password": password}),
    )
    .await
}

pub(crate) fn id_of(user: &Value) -> String {
    user["id"].as_str().expect("id").to_owned()
}

/// The digest stored for a user, read straight from the database file.
async fn stored_digest(app: &TestApp, user_id: &str) -> Option<(String, String)> {
    let store = Store::open(&StoreOptions {
        url: crate::helpers::database_url_for(app.data_dir())
            .unwrap_or_else(|| format!("sqlite://{}", app.data_dir().join("roster.db").display())),
        durability: Durability::Full,
        max_readers: 1,
        max_connections: 2,
    })
    .await
    .expect("second handle on the database");
    let record = store.password_digest(user_id).await.expect("read");
    store.close().await;
    record.map(|r| (r.hasher, r.digest))
}

#[tokio::test]
async fn every_hasher_vector_verifies_through_the_api_as_its_row_says() {
    // Imported PBKDF2 digests carry up to a million iterations; with the whole suite running
    // on two cores a check may wait longer than the default deadline.
    let mut settings = InstanceSettings::default();
    settings.password_hashing.max_wait_ms = 120_000;
    let app = spawn_app_with(settings).await;
    let rows = vectors();
    assert!(rows.len() >= 100);
    let results: Vec<Option<String>> = futures::stream::iter(rows.iter().enumerate())
        .map(|(i, row)| {
            let app = &app;
            async move {
                let hasher = row["hasher"].as_str().unwrap();
                let password = row["password"].as_str().unwrap();
                let matches = row["matches"].as_bool().unwrap();
                let created = app
                    .post(
                        "/users",
                        json!({"password_digest": row["digest"], "password_hasher": hasher}),
                    )
                    .await;
                if created.status != 200 {
                    return Some(format!("row {i} ({hasher}): create {}", created.body));
                }
                let user = created.body;
                if user["password_enabled"] != true || !user["password_last_updated_at"].is_i64() {
                    return Some(format!("row {i}: password fields {user}"));
                }
                let id = id_of(&user);
                let first = verify(app, &id, password).await;
                let agrees = if matches {
                    first.status == 200 && first.body == json!({"verified": true})
                } else {
                    first.status == 422 && first.code() == "incorrect_password"
                };
                if !agrees {
                    return Some(format!(
                        "row {i} ({hasher}, matches={matches}): {}",
                        first.body
                    ));
                }
                // After the upgrade to argon2id the same password still verifies.
                if matches && verify(app, &id, password).await.status != 200 {
                    return Some(format!("row {i} ({hasher}): second check failed"));
                }
                None
            }
        })
        .buffer_unordered(4)
        .collect()
        .await;
    let failures: Vec<String> = results.into_iter().flatten().collect();
    assert!(failures.is_empty(), "{failures:#?}");
}

#[tokio::test]
async fn a_verified_imported_digest_is_replaced_by_argon2id() {
    let app = spawn_app().await;
    for hasher in [
        "bcrypt",
        "md5",
        "pbkdf2_sha256_django",
        "scrypt_firebase",
        "argon2id",
    ] {
        let row = vectors()
            .into_iter()
            .find(|r| r["hasher"] == hasher && r["matches"] == true)
            .expect("a matching row");
        let old = row["digest"].as_str().unwrap().to_owned();
        let password = row["password"].as_str().unwrap();
        let user = app
            .create_user(json!({"password_digest": old, "password_hasher": hasher}))
            .await;
        let id = id_of(&user);
        assert_eq!(
            stored_digest(&app, &id).await,
            Some((hasher.to_owned(), old.clone()))
        );
        verify(&app, &id, password).await.ok();
        let (new_hasher, new_digest) = stored_digest(&app, &id).await.expect("a digest");
        assert_eq!(new_hasher, "argon2id", "{hasher}");
        assert!(
            new_digest.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hasher}"
        );
        assert_ne!(new_digest, old, "{hasher}: the old digest is gone");
        verify(&app, &id, password).await.ok();
        verify(&app, &id, "not the password")
            .await
            .assert_error(422, "incorrect_password");
    }
}

#[tokio::test]
async fn new_passwords_are_checked_hashed_and_verifiable() {
    let app = spawn_app().await;
    let reply = app.post("/users", json!({"password": "short"})).await;
    reply.assert_error(422, "form_password_length_too_short");
    assert_eq!(reply.param(), "password");
    let reply = app.post("/users", json!({"password": "iloveyou"})).await;
    reply.assert_error(422, "form_password_pwned");
    let reply = app.post("/users", json!({"password": "Password"})).await;
    reply.assert_error(422, "form_password_pwned");
    assert_eq!(app.count("").await, 0, "refused creates store nothing");

    // skip_password_checks lets a leaked (or short) password through, as for migrations.
    let user = app
        .create_user(json!({"password": "iloveyou", "skip_password_checks": true}))
        .await;
    assert_eq!(user["password_enabled"], true);
    verify(&app, &id_of(&user), "iloveyou").await.ok();

    // Long Unicode passwords are kept whole: no truncation, no normalisation.
    let long: String = "пароль🔐ß\u{301}密码".chars().cycle().take(300).collect();
    let user = app.create_user(json!({"password": long})).await;
    let id = id_of(&user);
    let created_at = user["password_last_updated_at"].as_i64().expect("set");
    verify(&app, &id, &long).await.ok();
    let mut altered = long.clone();
    altered.pop();
    altered.push('x');
    verify(&app, &id, &altered)
        .await
        .assert_error(422, "incorrect_password");
    let (hasher, digest) = stored_digest(&app, &id).await.expect("stored");
    assert_eq!(hasher, "argon2id");
    assert!(!digest.contains("пароль"));

    // An update sets a new password; the old one stops working.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let updated = app
        .patch(
            &format!("/users/{id}"),
            json!({"password": "a much better passphrase"}),
        )
        .await
        .ok();
    assert!(updated["password_last_updated_at"].as_i64().unwrap() > created_at);
    verify(&app, &id, "a much better passphrase").await.ok();
    verify(&app, &id, &long)
        .await
        .assert_error(422, "incorrect_password");
}

#[tokio::test]
async fn refused_password_updates_change_nothing() {
    let app = spawn_app().await;
    let user = app
        .create_user(json!({"password": "first passphrase", "first_name": "Ada"}))
        .await;
    let id = id_of(&user);
    let before = app.user(&id).await;
    let digest_before = stored_digest(&app, &id).await;
    let cases = [
        (
            json!({"password": "iloveyou", "first_name": "Changed"}),
            "form_password_pwned",
        ),
        (
            json!({"password": "2short", "first_name": "Changed"}),
            "form_password_length_too_short",
        ),
        (
            json!({"skip_password_checks": true, "first_name": "Changed"}),
            "form_conditional_param_disallowed",
        ),
        (
            json!({"sign_out_of_other_sessions": true, "first_name": "Changed"}),
            "form_conditional_param_disallowed",
        ),
        (
            json!({"password_digest": "5f4dcc3b5aa765d61d8327deb882cf99"}),
            "form_conditional_param_missing",
        ),
        (
            json!({"password_digest": "nothex", "password_hasher": "md5", "first_name": "Changed"}),
            "form_password_digest_invalid_code",
        ),
        (
            json!({"password": "fine passphrase", "password_digest": "5f4dcc3b5aa765d61d8327deb882cf99", "password_hasher": "md5"}),
            "form_conditional_param_disallowed",
        ),
    ];
    for (body, code) in cases {
        app.patch(&format!("/users/{id}"), body.clone())
            .await
            .assert_error(422, code);
        assert_eq!(app.user(&id).await, before, "{body}");
        assert_eq!(stored_digest(&app, &id).await, digest_before, "{body}");
    }
    verify(&app, &id, "first passphrase").await.ok();
}

#[tokio::test]
async fn instance_rules_each_fail_with_their_own_code() {
    let mut settings = InstanceSettings::default();
    settings.password_policy.max_length = Some(30);
    settings.password_policy.require_uppercase = true;
    settings.password_policy.require_lowercase = true;
    settings.password_policy.require_number = true;
    settings.password_policy.require_special_char = true;
    settings.password_policy.disallow_identifier = true;
    let app = spawn_app_with(settings).await;
    let cases = [
        (
            "Aa1#Aa1#Aa1#Aa1#Aa1#Aa1#Aa1#Aax",
            "form_password_length_too_long",
        ),
        ("lowercase1#only", "form_password_no_uppercase"),
        ("UPPERCASE1#ONLY", "form_password_no_lowercase"),
        ("No_numbers_here", "form_password_no_number"),
        ("NoSpecials123x", "form_password_no_special_char"),
        (
            "Ada_lovelace1@example.com",
            "form_password_matches_identifier",
        ),
    ];
    for (password, code) in cases {
        let reply = app
            .post(
                "/users",
                json!({"password": password, "email_address": ["ada_lovelace1@example.com"]}),
            )
            .await;
        reply.assert_error(422, code);
        assert_eq!(reply.param(), "password");
    }
    app.create_user(json!({"password": "Str0ng_enough", "email_address": ["ada@example.com"]}))
        .await;

    let mut settings = InstanceSettings::default();
    settings.password_policy.min_strength = 3;
    settings.password.required = true;
    let app = spawn_app_with(settings).await;
    app.post("/users", json!({"password": "aaaaaaaaaaaa"}))
        .await
        .assert_error(422, "form_password_not_strong_enough");
    app.post("/users", json!({"first_name": "No password"}))
        .await
        .assert_error(422, "form_data_missing");
    let user = app
        .create_user(json!({"first_name": "Later", "skip_password_requirement": true}))
        .await;
    assert_eq!(user["password_enabled"], false);
    app.create_user(json!({"password": "velvet-orbit-Cactus-91-tundra"}))
        .await;
}

#[tokio::test]
async fn invalid_digests_are_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let cases = [
        ("bcrypt", "$2b$04$tooshort"),
        ("md5", "5f4dcc3b5aa765d61d8327deb882cf9"),
        ("argon2id", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA"),
        ("pbkdf2_sha256", "pbkdf2_sha256$notanumber$c2FsdA$aGFzaA"),
        ("scrypt_firebase", "only$three$parts"),
        ("sha512_symfony", "sha512_symfony$0$salt$aGFzaA=="),
        (
            "awscognito",
            "awscognito#us-east-1_AbC123xyz#4l7cnp2k1b8bq2c0s0d9ep5r7m#jane@example.com",
        ),
    ];
    for (hasher, digest) in cases {
        let reply = app
            .post(
                "/users",
                json!({"password_digest": digest, "password_hasher": hasher, "first_name": "X"}),
            )
            .await;
        reply.assert_error(422, "form_password_digest_invalid_code");
        assert_eq!(reply.param(), "password_digest");
        assert!(!reply.body.to_string().contains(digest), "{hasher}: echoed");
        if hasher == "awscognito" {
            assert!(reply.body.to_string().contains("Cognito"), "{}", reply.body);
        }
    }
    app.post(
        "/users",
        json!({"password_digest": "5f4dcc3b5aa765d61d8327deb882cf99", "password_hasher": "md4"}),
    )
    .await
    .assert_error(422, "form_param_value_invalid");
    app.post("/users", json!({"password_hasher": "md5"}))
        .await
        .assert_error(422, "form_conditional_param_missing");
    assert_eq!(app.count("").await, 0);
}

#[tokio::test]
async fn remove_password_and_the_compromised_flag() {
    let app = spawn_app().await;
    let user = app
        .create_user(json!({"password": "correct horse battery"}))
        .await;
    let id = id_of(&user);
    assert_eq!(user["requires_password_reset"], false);

    let marked = app
        .post(&format!("/users/{id}/password/set_compromised"), json!({}))
        .await
        .ok();
    assert_eq!(marked["requires_password_reset"], true);
    let cleared = app
        .post(
            &format!("/users/{id}/password/unset_compromised"),
            json!({}),
        )
        .await
        .ok();
    assert_eq!(cleared["requires_password_reset"], false);
    // A new password also ends a forced reset.
    app.post(
        &format!("/users/{id}/password/set_compromised"),
        json!({"revoke_all_sessions": null}),
    )
    .await
    .ok();
    let changed = app
        .patch(
            &format!("/users/{id}"),
            json!({"password": "another passphrase"}),
        )
        .await
        .ok();
    assert_eq!(changed["requires_password_reset"], false);

    let removed = app
        .post(&format!("/users/{id}/remove_password"), json!({}))
        .await
        .ok();
    assert_eq!(removed["password_enabled"], false);
    assert_eq!(removed["password_last_updated_at"], Value::Null);
    assert_eq!(stored_digest(&app, &id).await, None);
    verify(&app, &id, "another passphrase")
        .await
        .assert_error(400, "no_password_set");
    // Removing again returns the user unchanged.
    let again = app
        .post(&format!("/users/{id}/remove_password"), json!({}))
        .await
        .ok();
    assert_eq!(again["updated_at"], removed["updated_at"]);
    app.post(&format!("/users/{id}/password/set_compromised"), json!({}))
        .await
        .assert_error(400, "no_password_set");
    verify(&app, "user_doesnotexist0000000000000", "whatever")
        .await
        .assert_error(404, "resource_not_found");
    app.post(&format!("/users/{id}/verify_password"), json!({}))
        .await
        .assert_error(422, "form_param_missing");
}

#[tokio::test]
async fn parallel_wrong_passwords_lock_at_exactly_the_limit() {
    let mut settings = InstanceSettings::default();
    settings.lockout.max_attempts = 3;
    let app = spawn_app_with(settings).await;
    let user = app
        .create_user(json!({"password": "the right passphrase"}))
        .await;
    let id = id_of(&user);
    let replies = join_all((0..8).map(|_| verify(&app, &id, "wrong guess"))).await;
    let wrong = replies.iter().filter(|r| r.status == 422).count();
    let locked = replies.iter().filter(|r| r.status == 403).count();
    assert_eq!((wrong, locked), (3, 5));
    for reply in replies.iter().filter(|r| r.status == 403) {
        assert_eq!(reply.code(), "user_locked");
    }
    let user = app.user(&id).await;
    assert_eq!(user["locked"], true);
    assert_eq!(user["verification_attempts_remaining"], 0);
    // While locked even the right password is refused.
    verify(&app, &id, "the right passphrase")
        .await
        .assert_error(403, "user_locked");
    app.post(&format!("/users/{id}/unlock"), json!({}))
        .await
        .ok();
    verify(&app, &id, "the right passphrase").await.ok();
    assert_eq!(app.user(&id).await["verification_attempts_remaining"], 3);
}

async fn session_statuses(app: &TestApp, user_id: &str, sessions: &[String]) -> Vec<String> {
    let mut statuses = Vec::new();
    for id in sessions {
        let session = app.get(&format!("/sessions/{id}")).await.ok();
        statuses.push(session["status"].as_str().expect("status").to_owned());
        assert_eq!(session["user_id"], user_id);
    }
    statuses
}

async fn open_sessions(app: &TestApp, user_id: &str, count: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for _ in 0..count {
        let session = app
            .post("/sessions", json!({"user_id": user_id}))
            .await
            .ok();
        ids.push(session["id"].as_str().expect("id").to_owned());
    }
    ids
}

#[tokio::test]
async fn password_changes_can_sign_the_user_out_everywhere() {
    let app = spawn_app().await;
    let user = app
        .create_user(json!({"password": "first passphrase"}))
        .await;
    let id = id_of(&user);

    // Without the flag sessions stay; with it every active session is revoked.
    let kept = open_sessions(&app, &id, 2).await;
    app.patch(
        &format!("/users/{id}"),
        json!({"password": "second passphrase"}),
    )
    .await
    .ok();
    assert_eq!(
        session_statuses(&app, &id, &kept).await,
        ["active", "active"]
    );
    app.patch(
        &format!("/users/{id}"),
        json!({"password": "third passphrase", "sign_out_of_other_sessions": true}),
    )
    .await
    .ok();
    assert_eq!(
        session_statuses(&app, &id, &kept).await,
        ["revoked", "revoked"]
    );

    let marked = open_sessions(&app, &id, 1).await;
    app.post(
        &format!("/users/{id}/password/set_compromised"),
        json!({"revoke_all_sessions": true}),
    )
    .await
    .ok();
    assert_eq!(session_statuses(&app, &id, &marked).await, ["revoked"]);

    let removed = open_sessions(&app, &id, 1).await;
    app.post(
        &format!("/users/{id}/remove_password"),
        json!({"sign_out_of_other_sessions": true}),
    )
    .await
    .ok();
    assert_eq!(session_statuses(&app, &id, &removed).await, ["revoked"]);
}

/// Firebase writes base64 whose last character can carry set padding bits, which Go's,
/// Node's and Python's decoders ignore. A vector rewritten that way (same bytes, every
/// field's last character changed) verifies; a field with a character outside the alphabet
/// is still refused.
#[tokio::test]
async fn firebase_base64_with_set_padding_bits_verifies() {
    let app = spawn_app().await;
    let row = vectors()
        .into_iter()
        .find(|r| {
            r["hasher"] == "scrypt_firebase"
                && r["matches"] == true
                && r["note"].as_str().is_some_and(|n| n.contains("rounds 4"))
        })
        .expect("the cheap Firebase vector");
    let digest = row["digest"].as_str().unwrap();
    let password = row["password"].as_str().unwrap();
    // hash, salt and signer key end in `Q==`, `A==` and `w==` (four clear padding bits), the
    // separator in `k=` (two): one more in each sets a padding bit and leaves the bytes alone.
    let fields: Vec<&str> = digest.split('$').collect();
    let set_bit = |field: &str| {
        let data = field.trim_end_matches('=');
        let last = data.chars().last().expect("a character");
        let bumped = char::from(u8::try_from(u32::from(last) + 1).expect("ASCII"));
        format!(
            "{}{bumped}{}",
            &data[..data.len() - 1],
            &field[data.len()..]
        )
    };
    let lenient = [
        set_bit(fields[0]),
        set_bit(fields[1]),
        set_bit(fields[2]),
        set_bit(fields[3]),
        fields[4].to_owned(),
        fields[5].to_owned(),
    ]
    .join("$");
    assert_ne!(lenient, digest);
    let user = app
        .create_user(json!({"password_digest": lenient, "password_hasher": "scrypt_firebase"}))
        .await;
    verify(&app, &id_of(&user), password).await.ok();
    verify(&app, &id_of(&user), "not the password")
        .await
        .assert_error(422, "incorrect_password");

    let malformed = digest.replacen('$', "!$", 1);
    app.post(
        "/users",
        json!({"password_digest": malformed, "password_hasher": "scrypt_firebase"}),
    )
    .await
    .assert_error(422, "form_password_digest_invalid_code");
    assert_eq!(app.count("").await, 1);
}
