//! Authentication, API versions, and the transport rules every route shares.

use reqwest::Method;
use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_answers_without_a_key() {
    let app = spawn_app().await;
    let response = reqwest::get(format!("{}/healthz", app.base))
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn missing_or_wrong_keys_get_401_in_the_envelope() {
    let app = spawn_app().await;
    let url = format!("{}/v1/users", app.base);
    let missing = app.client.get(&url).send().await.expect("request");
    assert_eq!(missing.status(), 401);
    let body: serde_json::Value = missing.json().await.expect("json");
    assert_eq!(
        body["errors"][0]["code"],
        "authorization_header_format_invalid"
    );

    let wrong = app
        .client
        .get(&url)
        .bearer_auth("sk_test_wrong")
        .send()
        .await
        .expect("request");
    assert_eq!(wrong.status(), 401);
    assert_eq!(wrong.headers()["content-type"], "application/json");
    let body: serde_json::Value = wrong.json().await.expect("json");
    assert_eq!(body["errors"][0]["code"], "clerk_key_invalid");
    assert!(body["errors"][0]["long_message"].is_string());
}

#[tokio::test]
async fn a_wrong_key_changes_nothing() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(format!("{}/v1/users", app.base))
        .bearer_auth("sk_test_wrong")
        .json(&json!({"username": "intruder"}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 401);
    assert_eq!(app.count("").await, 0);
}

#[tokio::test]
async fn api_version_header_and_query_are_checked() {
    let app = spawn_app().await;
    for version in ["2025-11-10", "2026-05-12", "2021-02-05"] {
        let reply = app
            .raw(Method::GET, "/users", &[("Clerk-API-Version", version)], "")
            .await;
        assert_eq!(reply.status, 200, "{version}");
    }
    app.raw(
        Method::GET,
        "/users",
        &[("Clerk-API-Version", "1999-01-01")],
        "",
    )
    .await
    .assert_error(400, "api_version_invalid");
    app.raw(
        Method::GET,
        "/users?__clerk_api_version=2025-11-10",
        &[("Clerk-API-Version", "2025-11-10")],
        "",
    )
    .await
    .assert_error(400, "api_version_invalid");
    let reply = app.get("/users?__clerk_api_version=2026-05-12").await;
    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn empty_bodies_with_a_json_content_type_are_accepted() {
    let app = spawn_app().await;
    let user = app.create_user(json!({"first_name": "Grace"})).await;
    let id = user["id"].as_str().expect("id");
    // As @clerk/backend sends them: Content-Type set, no body.
    let reply = app
        .raw(
            Method::POST,
            &format!("/users/{id}/ban"),
            &[("content-type", "application/json")],
            "",
        )
        .await;
    assert_eq!(reply.ok()["banned"], true);
    let reply = app
        .raw(
            Method::GET,
            &format!("/users/{id}"),
            &[("content-type", "application/json")],
            "",
        )
        .await;
    assert_eq!(reply.ok()["id"], id);
}

/// clerk-rs serialises an optional request body it was not given as `null`.
#[tokio::test]
async fn a_null_json_body_is_taken_as_no_body() {
    let app = spawn_app().await;
    let user = app
        .create_user(json!({
            "first_name": "Alan",
            "password": "a sturdy passphrase",
            "public_metadata": {"plan": "pro"},
        }))
        .await;
    let id = user["id"].as_str().expect("id");
    let reply = app
        .raw(
            Method::PATCH,
            &format!("/users/{id}/metadata"),
            &[("content-type", "application/json")],
            " null\n",
        )
        .await;
    assert_eq!(reply.ok()["public_metadata"], json!({"plan": "pro"}));
    let reply = app
        .raw(
            Method::POST,
            &format!("/users/{id}/password/set_compromised"),
            &[("content-type", "application/json")],
            "null",
        )
        .await;
    assert_eq!(reply.ok()["id"], id);
    // Only the bare literal: other JSON that is not an object is refused, as before.
    app.raw(
        Method::PATCH,
        &format!("/users/{id}/metadata"),
        &[("content-type", "application/json")],
        "[null]",
    )
    .await
    .assert_error(400, "request_body_invalid");
    app.raw(
        Method::PATCH,
        &format!("/users/{id}/metadata"),
        &[("content-type", "text/plain")],
        "null",
    )
    .await
    .assert_error(415, "unsupported_content_type");
    let stored = app.get(&format!("/users/{id}")).await;
    assert_eq!(stored.ok()["public_metadata"], json!({"plan": "pro"}));
}

#[tokio::test]
async fn malformed_json_is_a_400_and_changes_nothing() {
    let app = spawn_app().await;
    let reply = app
        .raw(
            Method::POST,
            "/users",
            &[("content-type", "application/json")],
            "{\"first_name\": ",
        )
        .await;
    reply.assert_error(400, "malformed_request_parameters");
    let reply = app
        .raw(
            Method::POST,
            "/users",
            &[("content-type", "application/json")],
            "[1, 2]",
        )
        .await;
    reply.assert_error(400, "request_body_invalid");
    let reply = app
        .raw(
            Method::POST,
            "/users",
            &[("content-type", "text/plain")],
            "first_name=x",
        )
        .await;
    reply.assert_error(415, "unsupported_content_type");
    assert_eq!(app.count("").await, 0);
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413() {
    let app = spawn_app().await;
    let big = "x".repeat(roster_http::MAX_BODY_BYTES + 1);
    let reply = app
        .raw(
            Method::POST,
            "/users",
            &[("content-type", "application/json")],
            &format!("{{\"first_name\":\"{big}\"}}"),
        )
        .await;
    reply.assert_error(413, "request_body_too_large");
}

#[tokio::test]
async fn unknown_routes_and_ids_are_404_in_the_envelope() {
    let app = spawn_app().await;
    app.get("/no_such_thing")
        .await
        .assert_error(404, "resource_not_found");
    let reply = app.get("/users/user_doesnotexist").await;
    reply.assert_error(404, "resource_not_found");
    assert!(
        reply.body["errors"][0]["long_message"]
            .as_str()
            .expect("long message")
            .contains("user_doesnotexist")
    );
}

#[tokio::test]
async fn avatars_are_served_without_a_key() {
    let app = spawn_app().await;
    let user = app.create_user(json!({"first_name": "Ada"})).await;
    let url = user["image_url"].as_str().expect("image url");
    let response = reqwest::get(url).await.expect("request");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/svg+xml");
    assert_eq!(user["profile_image_url"], user["image_url"]);
}

#[test]
fn unrelated_roster_variables_do_not_stop_the_binary() {
    let data_dir = tempfile::tempdir().expect("temporary data folder");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_roster"))
        .arg("migrate")
        .env("ROSTER_DATA_DIR", data_dir.path())
        .envs(crate::helpers::database_env(data_dir.path()))
        .env("ROSTER_URL", "http://elsewhere")
        .env("ROSTER_BIN", "/somewhere/roster")
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    if !crate::helpers::on_postgres() {
        assert!(data_dir.path().join("roster.db").exists());
    }
}
