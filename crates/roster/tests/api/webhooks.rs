//! Webhook endpoints: create with a `whsec_` secret, list, read, change, delete, and the
//! requests that are refused.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn endpoints_are_created_read_changed_and_deleted() {
    let app = spawn_app().await;
    let created = app
        .post(
            "/webhook_endpoints",
            json!({"url": "https://example.com/hooks", "events": ["user.created", "session.revoked"]}),
        )
        .await
        .ok();
    assert_eq!(created["object"], "webhook_endpoint");
    let id = created["id"].as_str().expect("id");
    assert!(id.starts_with("ep_"));
    assert_eq!(created["url"], "https://example.com/hooks");
    assert_eq!(
        created["events"],
        json!(["user.created", "session.revoked"])
    );
    let secret = created["secret"].as_str().expect("secret");
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("whsec_ prefix"))
        .expect("base64");
    assert!(key.len() >= 24);

    assert_eq!(
        app.get(&format!("/webhook_endpoints/{id}")).await.ok(),
        created
    );
    let other = app
        .post("/webhook_endpoints", json!({"url": "http://127.0.0.1:9/x"}))
        .await
        .ok();
    assert!(other["events"].is_null(), "no filter means every event");
    assert_ne!(other["secret"], created["secret"]);
    let listed = app.get("/webhook_endpoints").await.ok();
    assert_eq!(listed, json!([created, other]));

    let changed = app
        .patch(
            &format!("/webhook_endpoints/{id}"),
            json!({"url": "https://example.org/new"}),
        )
        .await
        .ok();
    assert_eq!(changed["url"], "https://example.org/new");
    assert_eq!(changed["events"], created["events"]);
    assert_eq!(changed["secret"], created["secret"]);
    let all_events = app
        .patch(&format!("/webhook_endpoints/{id}"), json!({"events": null}))
        .await
        .ok();
    assert!(all_events["events"].is_null());

    let deleted = app.delete(&format!("/webhook_endpoints/{id}")).await.ok();
    assert_eq!(
        deleted,
        json!({"object": "webhook_endpoint", "id": id, "deleted": true})
    );
    app.get(&format!("/webhook_endpoints/{id}"))
        .await
        .assert_error(404, "resource_not_found");
    app.delete(&format!("/webhook_endpoints/{id}"))
        .await
        .assert_error(404, "resource_not_found");
}

#[tokio::test]
async fn bad_endpoints_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let missing = app.post("/webhook_endpoints", json!({})).await;
    missing.assert_error(422, "form_param_missing");
    assert_eq!(missing.param(), "url");
    for url in ["not a url", "ftp://example.com/x", "/relative"] {
        let reply = app.post("/webhook_endpoints", json!({"url": url})).await;
        reply.assert_error(422, "form_param_format_invalid");
        assert_eq!(reply.param(), "url");
    }
    let unknown = app
        .post(
            "/webhook_endpoints",
            json!({"url": "https://example.com/x", "events": ["user.exploded"]}),
        )
        .await;
    unknown.assert_error(422, "form_param_value_invalid");
    assert_eq!(unknown.param(), "events");
    app.post(
        "/webhook_endpoints",
        json!({"url": "https://example.com/x", "colour": "red"}),
    )
    .await
    .assert_error(422, "form_param_unknown");
    assert_eq!(app.get("/webhook_endpoints").await.ok(), json!([]));

    let created = app
        .create_webhook_endpoint(json!({"url": "https://example.com/x"}))
        .await;
    let id = created["id"].as_str().expect("id");
    app.patch(&format!("/webhook_endpoints/{id}"), json!({"url": "nope"}))
        .await
        .assert_error(422, "form_param_format_invalid");
    assert_eq!(
        app.get(&format!("/webhook_endpoints/{id}")).await.ok(),
        created
    );
    app.get("/webhook_endpoints/ep_missing/deliveries")
        .await
        .assert_error(404, "resource_not_found");
    app.post(
        &format!("/webhook_endpoints/{id}/replay/msg_missing"),
        json!({}),
    )
    .await
    .assert_error(404, "resource_not_found");
}

#[tokio::test]
async fn signing_secrets_survive_an_encryption_key_rotation_and_reseal() {
    use crate::helpers::spawn_app_configured;

    let data_dir = tempfile::tempdir().expect("folder");
    let path = data_dir.path().to_path_buf();
    let (old, new) = (STANDARD.encode([1u8; 32]), STANDARD.encode([2u8; 32]));
    let before = spawn_app_configured(|config| {
        config.data_dir = path.clone();
        config.encryption_key = Some(old.clone());
    })
    .await;
    let created = before
        .create_webhook_endpoint(json!({"url": "https://example.com/x"}))
        .await;
    let id = created["id"].as_str().expect("id");

    // The old key, retired, still opens the secret.
    let rotated = spawn_app_configured(|config| {
        config.data_dir = path.clone();
        config.encryption_key = Some(new.clone());
        config.retired_encryption_keys = vec![old.clone()];
    })
    .await;
    let endpoint = rotated.get(&format!("/webhook_endpoints/{id}")).await.ok();
    assert_eq!(endpoint["secret"], created["secret"]);

    let retired = format!("[\"{old}\"]");
    let output = crate::helpers::run_roster(
        &path,
        &["keys", "reseal"],
        &[
            ("ROSTER_ENCRYPTION_KEY", &new),
            ("ROSTER_RETIRED_ENCRYPTION_KEYS", &retired),
        ],
    )
    .await;
    assert!(output.status.success(), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("re-sealed 1 webhook signing secrets")
    );

    // Re-sealed: the new key alone opens it.
    let after = spawn_app_configured(|config| {
        config.data_dir = path.clone();
        config.encryption_key = Some(new.clone());
    })
    .await;
    let endpoint = after.get(&format!("/webhook_endpoints/{id}")).await.ok();
    assert_eq!(endpoint["secret"], created["secret"]);
}

/// An endpoint id of the wrong kind or malformed gets exactly the answer an unknown
/// well-formed one gets, quoting the id as given, checks of the request included.
#[tokio::test]
async fn malformed_endpoint_ids_get_the_unknown_id_answer() {
    use reqwest::Method;
    let app = spawn_app().await;
    let unknown = "ep_2g7np7Hrk0SN6kj5EDMLDaKNL0S";
    let requests: [(Method, &str, &str); 8] = [
        (Method::GET, "", ""),
        (Method::PATCH, "", "{}"),
        (Method::PATCH, "", r#"{"url": "ftp://example.com"}"#),
        (Method::PATCH, "", r#"{"events": ["no.such_event"]}"#),
        (Method::DELETE, "", ""),
        (Method::GET, "/deliveries", ""),
        (Method::GET, "/deliveries?limit=0", ""),
        (Method::POST, "/replay/msg_2g7np7Hrk0SN6kj5EDMLDaKNL0S", ""),
    ];
    for (method, tail, body) in requests {
        let malformed = ["sess_2g7np7Hrk0SN6kj5EDMLDaKNL0S", "ep_a-b", "ep_", "e_abc"];
        let path = format!("/webhook_endpoints/{{id}}{tail}");
        app.assert_answered_as_unknown(method, &path, body, unknown, &malformed)
            .await;
    }
}
