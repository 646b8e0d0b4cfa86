//! `PATCH /users/{id}` and `DELETE /users/{id}`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

async fn assert_refused_unchanged(app: &TestApp, id: &str, body: Value, status: u16, code: &str) {
    let before = app.user(id).await;
    let reply = app.patch(&format!("/users/{id}"), body.clone()).await;
    reply.assert_error(status, code);
    assert_eq!(
        app.user(id).await,
        before,
        "a refused update changed the user: {body}"
    );
}

#[tokio::test]
async fn every_update_field_is_applied() {
    let app = spawn_app().await;
    let user = app.sample_user("upd").await;
    let id = user["id"].as_str().expect("id");
    let second_email = user["email_addresses"][1]["id"].clone();
    let updated = app
        .patch(
            &format!("/users/{id}"),
            json!({
                "first_name": "Augusta",
                "last_name": null,
                "username": "augusta",
                "external_id": "ext-new",
                "locale": "fr-FR",
                "primary_email_address_id": second_email,
                "delete_self_enabled": false,
                "create_organization_enabled": false,
                "create_organizations_limit": 0,
                "legal_accepted_at": "2021-05-06T07:08:09Z",
                "created_at": "2010-01-01T00:00:00Z",
                "bypass_client_trust": true,
                "notify_primary_email_address_changed": false,
            }),
        )
        .await
        .ok();
    assert_eq!(updated["first_name"], "Augusta");
    assert!(updated["last_name"].is_null());
    assert_eq!(updated["username"], "augusta");
    assert_eq!(updated["external_id"], "ext-new");
    assert_eq!(updated["locale"], "fr-FR");
    assert_eq!(updated["primary_email_address_id"], second_email);
    assert_eq!(updated["delete_self_enabled"], false);
    assert_eq!(updated["create_organization_enabled"], false);
    assert_eq!(updated["create_organizations_limit"], 0);
    assert_eq!(updated["legal_accepted_at"], 1_620_284_889_000_i64);
    assert_eq!(updated["created_at"], 1_262_304_000_000_i64);
    assert_eq!(updated["bypass_client_trust"], true);
    assert!(updated["updated_at"].as_i64() >= user["updated_at"].as_i64());
    // Untouched fields stay as they were.
    assert_eq!(updated["public_metadata"], user["public_metadata"]);
    assert_eq!(updated["phone_numbers"], user["phone_numbers"]);
    assert_eq!(app.user(id).await, updated);
    // The new username is searchable and the old one is free again.
    assert_eq!(app.count("username=augusta").await, 1);
    app.create_user(json!({"username": "user_upd"})).await;
}

#[tokio::test]
async fn username_is_removed_by_null_or_empty_string() {
    let app = spawn_app().await;
    for removal in [Value::Null, json!("")] {
        let user = app
            .create_user(json!({"username": format!("named_{}", removal.is_null())}))
            .await;
        let id = user["id"].as_str().expect("id");
        let updated = app
            .patch(&format!("/users/{id}"), json!({"username": removal}))
            .await
            .ok();
        assert!(updated["username"].is_null());
        assert!(app.user(id).await["username"].is_null());
    }
}

#[tokio::test]
async fn an_empty_patch_changes_nothing_but_succeeds() {
    let app = spawn_app().await;
    let user = app.sample_user("empty").await;
    let id = user["id"].as_str().expect("id");
    let reply = app
        .raw(
            Method::PATCH,
            &format!("/users/{id}"),
            &[("content-type", "application/json")],
            "",
        )
        .await
        .ok();
    assert_eq!(reply["first_name"], user["first_name"]);
}

#[tokio::test]
async fn refused_updates_leave_the_user_exactly_as_it_was() {
    let app = spawn_app().await;
    let other = app.sample_user("other").await;
    let user = app.sample_user("target").await;
    let id = user["id"].as_str().expect("id");
    let reserved = app
        .create_user(json!({"email_address": ["r@example.com"], "email_address_identification_status": ["reserved"]}))
        .await;
    let cases = [
        (
            json!({"username": "USER_OTHER", "first_name": "Changed"}),
            "form_identifier_exists",
        ),
        (
            json!({"external_id": "ext-other", "first_name": "Changed"}),
            "form_identifier_exists",
        ),
        (
            json!({"username": "ab", "first_name": "Changed"}),
            "form_username_invalid_length",
        ),
        (
            json!({"primary_email_address_id": other["email_addresses"][0]["id"], "first_name": "Changed"}),
            "form_resource_not_found",
        ),
        (
            json!({"primary_email_address_id": user["phone_numbers"][0]["id"]}),
            "form_resource_not_found",
        ),
        (
            json!({"primary_email_address_id": "idn_unknown"}),
            "form_resource_not_found",
        ),
        (
            json!({"locale": "??", "first_name": "Changed"}),
            "form_param_format_invalid",
        ),
        (
            json!({"created_at": "not a time", "first_name": "Changed"}),
            "form_param_invalid_time",
        ),
        (
            json!({"public_metadata": 7, "first_name": "Changed"}),
            "form_param_value_invalid",
        ),
        (json!({"first_name": ["a"]}), "form_param_value_invalid"),
        (
            json!({"favourite_colour": "blue", "first_name": "Changed"}),
            "form_param_unknown",
        ),
        (
            json!({"password": "short", "first_name": "Changed"}),
            "form_password_length_too_short",
        ),
        (
            json!({"notify_primary_email_address_changed": true, "primary_email_address_id": "idn_missing"}),
            "form_resource_not_found",
        ),
        (
            json!({"create_organizations_limit": -5}),
            "form_param_value_invalid",
        ),
    ];
    for (body, code) in cases {
        assert_refused_unchanged(&app, id, body, 422, code).await;
    }
    let reserved_id = reserved["id"].as_str().expect("id");
    let reserved_email = reserved["email_addresses"][0]["id"].clone();
    assert_refused_unchanged(
        &app,
        reserved_id,
        json!({"primary_email_address_id": reserved_email}),
        422,
        "form_verification_needed",
    )
    .await;
}

#[tokio::test]
async fn unknown_users_are_404_on_every_route() {
    let app = spawn_app().await;
    let missing = "/users/user_2g7np7Hrk0SN6kj5EDMLDaKNL0S";
    app.get(missing)
        .await
        .assert_error(404, "resource_not_found");
    app.patch(missing, json!({"first_name": "x"}))
        .await
        .assert_error(404, "resource_not_found");
    app.delete(missing)
        .await
        .assert_error(404, "resource_not_found");
    for action in ["ban", "unban", "lock", "unlock"] {
        app.post(&format!("{missing}/{action}"), json!({}))
            .await
            .assert_error(404, "resource_not_found");
    }
    app.patch(&format!("{missing}/metadata"), json!({}))
        .await
        .assert_error(404, "resource_not_found");
    app.put(&format!("{missing}/metadata"), json!({}))
        .await
        .assert_error(404, "resource_not_found");
}

#[tokio::test]
async fn metadata_on_patch_replaces_before_2026_and_is_refused_after() {
    let app = spawn_app().await;
    let user = app.sample_user("ver").await;
    let id = user["id"].as_str().expect("id");
    let body = r#"{"public_metadata":{"only":"this"}}"#;
    for header in [None, Some("2025-11-10")] {
        let headers: Vec<(&str, &str)> = header
            .map(|v| {
                vec![
                    ("content-type", "application/json"),
                    ("Clerk-API-Version", v),
                ]
            })
            .unwrap_or_else(|| vec![("content-type", "application/json")]);
        let updated = app
            .raw(Method::PATCH, &format!("/users/{id}"), &headers, body)
            .await
            .ok();
        assert_eq!(updated["public_metadata"], json!({"only": "this"}));
        assert_eq!(updated["private_metadata"], user["private_metadata"]);
    }
    let before = app.user(id).await;
    let reply = app
        .raw(
            Method::PATCH,
            &format!("/users/{id}"),
            &[
                ("content-type", "application/json"),
                ("Clerk-API-Version", "2026-05-12"),
            ],
            r#"{"public_metadata":{"x":1},"first_name":"New"}"#,
        )
        .await;
    reply.assert_error(422, "form_param_unknown");
    assert_eq!(reply.param(), "public_metadata");
    assert_eq!(app.user(id).await, before);
}

#[tokio::test]
async fn delete_removes_the_user_and_frees_its_identifiers() {
    let app = spawn_app().await;
    let user = app.sample_user("gone").await;
    let id = user["id"].as_str().expect("id");
    let deleted = app.delete(&format!("/users/{id}")).await.ok();
    assert_eq!(
        deleted,
        json!({"object": "user", "id": id, "deleted": true})
    );
    app.get(&format!("/users/{id}"))
        .await
        .assert_error(404, "resource_not_found");
    assert_eq!(app.count("query=gone").await, 0);
    app.sample_user("gone").await;
}

/// Updates of different fields of one user, sent at once, all succeed and all stay: a write
/// that read the user before another committed is retried, never refused or lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_updates_of_one_user_all_land() {
    let app = spawn_app().await;
    let user = app.create_user(json!({"first_name": "Start"})).await;
    let id = user["id"].as_str().unwrap().to_owned();
    for (round, locale) in ["fr-FR", "de-DE", "en-GB"].into_iter().enumerate() {
        let fields = [
            json!({"first_name": format!("Ada{round}")}),
            json!({"last_name": format!("Lovelace{round}")}),
            json!({"username": format!("ada_{round}")}),
            json!({"external_id": format!("ext-{round}")}),
            json!({"locale": locale}),
            json!({"create_organizations_limit": round + 1}),
            json!({"delete_self_enabled": round % 2 == 1}),
            json!({"bypass_client_trust": round % 2 == 0}),
        ];
        let path = format!("/users/{id}");
        let answers =
            futures::future::join_all(fields.iter().map(|body| app.patch(&path, body.clone())))
                .await;
        for answer in &answers {
            assert_eq!(answer.status, 200, "round {round}: {}", answer.body);
        }
        let stored = app.user(&id).await;
        for body in &fields {
            for (field, value) in body.as_object().unwrap() {
                assert_eq!(&stored[field], value, "round {round}: {field}");
            }
        }
    }
}

/// Clients that send an update and hang up at once must not cost anyone else their write.
/// The writes of concurrent requests share one database transaction (group commit); a request
/// abandoned in the middle of its first statement used to make the server give up that whole
/// batch, so well-behaved clients beside it got 500 for writes that had done nothing wrong.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_hang_up_never_fail_the_writes_of_others() {
    use tokio::io::AsyncWriteExt;

    let app = std::sync::Arc::new(spawn_app().await);
    let mut ids = Vec::new();
    for n in 0..8 {
        let user = app
            .create_user(json!({"first_name": format!("Steady{n}")}))
            .await;
        ids.push(user["id"].as_str().unwrap().to_owned());
    }
    let address = app.base.trim_start_matches("http://").to_owned();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut hang_ups = Vec::new();
    for client in 0..8_u64 {
        let (address, key, done) = (address.clone(), app.key.clone(), done.clone());
        let id = ids[client as usize].clone();
        hang_ups.push(tokio::spawn(async move {
            let mut sent = 0_u64;
            // Bounded, and ended early once the steady clients are through.
            while sent < 400 && !done.load(std::sync::atomic::Ordering::Relaxed) {
                let body = format!(r#"{{"last_name":"Gone{sent}"}}"#);
                let request = format!(
                    "PATCH /v1/users/{id} HTTP/1.1\r\nHost: roster\r\n\
                     Authorization: Bearer {key}\r\nContent-Type: application/json\r\n\
                     Content-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
                stream.write_all(request.as_bytes()).await.unwrap();
                // Hang up at a different moment of the request's life each time, with a reset
                // so the server notices at once.
                tokio::time::sleep(std::time::Duration::from_micros(
                    (sent * 37 + client * 101) % 3_000,
                ))
                .await;
                stream.set_zero_linger().unwrap();
                drop(stream);
                sent += 1;
            }
        }));
    }
    let mut steady = Vec::new();
    for (n, id) in ids.iter().enumerate() {
        let (app, id) = (app.clone(), id.clone());
        steady.push(tokio::spawn(async move {
            let mut failures = Vec::new();
            for round in 0..100 {
                let name = format!("Steady{n}-{round}");
                let reply = app
                    .patch(&format!("/users/{id}"), json!({"first_name": name}))
                    .await;
                if reply.status != 200 {
                    failures.push(format!("{}: {}", reply.status, reply.body));
                }
            }
            failures
        }));
    }
    let mut failures = Vec::new();
    for task in steady {
        failures.extend(task.await.unwrap());
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    for task in hang_ups {
        task.await.unwrap();
    }
    assert!(
        failures.is_empty(),
        "{} steady writes failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(3)]
    );
    for (n, id) in ids.iter().enumerate() {
        assert_eq!(app.user(id).await["first_name"], format!("Steady{n}-99"));
    }
}

/// An id of the wrong kind or malformed names no user: every route answers exactly what it
/// answers an unknown well-formed id, quoting the id as given, checks of the body included.
#[tokio::test]
async fn malformed_user_ids_get_the_unknown_id_answer() {
    let app = spawn_app().await;
    let unknown = "user_2g7np7Hrk0SN6kj5EDMLDaKNL0S";
    let long_password = "p".repeat(100_000);
    let requests: Vec<(Method, &str, Option<Value>)> = vec![
        (Method::GET, "", None),
        (Method::PATCH, "", Some(json!({"first_name": "x"}))),
        (Method::PATCH, "", Some(json!({"created_at": "never"}))),
        (
            Method::PATCH,
            "",
            Some(json!({"password": "correct horse battery staple"})),
        ),
        (Method::DELETE, "", None),
        (Method::POST, "/ban", Some(json!({}))),
        (Method::POST, "/unban", Some(json!({}))),
        (Method::POST, "/lock", Some(json!({}))),
        (Method::POST, "/unlock", Some(json!({}))),
        (Method::PATCH, "/metadata", Some(json!({}))),
        (Method::PUT, "/metadata", Some(json!({}))),
        (
            Method::POST,
            "/verify_password",
            Some(json!({"password": "x"})),
        ),
        (
            Method::POST,
            "/verify_password",
            Some(json!({"password": long_password})),
        ),
        (Method::POST, "/remove_password", Some(json!({}))),
        (Method::POST, "/password/set_compromised", Some(json!({}))),
        (Method::POST, "/password/unset_compromised", Some(json!({}))),
        (
            Method::POST,
            "/verify_totp",
            Some(json!({"code": "123456"})),
        ),
        (Method::POST, "/verify_totp", Some(json!({}))),
        (Method::DELETE, "/totp", None),
        (Method::DELETE, "/backup_code", None),
        (Method::DELETE, "/mfa", None),
    ];
    for (method, tail, body) in &requests {
        let body = body.as_ref().map(Value::to_string).unwrap_or_default();
        let malformed = [
            "sess_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
            "user_a-b",
            "user_",
            "usr_abc",
        ];
        app.assert_answered_as_unknown(
            method.clone(),
            &format!("/users/{{id}}{tail}"),
            &body,
            unknown,
            &malformed,
        )
        .await;
    }
}
