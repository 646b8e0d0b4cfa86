//! Input built to break the server (NUL characters, non-ASCII where ASCII is expected, line
//! breaks meant for the log) is refused with a 4xx in Clerk's envelope, changes nothing, and
//! never reaches a panic or a 5xx, on either backend.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, spawn_app, start_roster_logging};

/// Every search, filter and paging parameter of `GET /users`, each with a NUL inside a term
/// long enough to be an FTS5 phrase on SQLite.
const LIST_PARAMS: [&str; 11] = [
    "query",
    "email_address_query",
    "phone_number_query",
    "username_query",
    "name_query",
    "email_address",
    "username",
    "external_id",
    "user_id",
    "order_by",
    "starting_after",
];

/// Asserts that the listing refuses `query` naming `param`; the count too, unless the parameter
/// is one only listings read (ordering).
async fn assert_list_refused(app: &TestApp, query: &str, param: &str) {
    let paths: &[&str] = if param == "order_by" {
        &["/users"]
    } else {
        &["/users", "/users/count"]
    };
    for path in paths {
        let reply = app.get(&format!("{path}?{query}")).await;
        reply.assert_error(422, "form_param_value_invalid");
        assert_eq!(reply.param(), param, "{path}?{query}");
    }
}

#[tokio::test]
async fn a_nul_in_any_listing_parameter_is_refused() {
    let app = spawn_app().await;
    app.create_user(json!({"email_address": ["abc@example.com"], "first_name": "Abc"}))
        .await;
    for param in LIST_PARAMS {
        assert_list_refused(&app, &format!("{param}=abc%00def"), param).await;
    }
    // Sessions read their own filters, through the same list-query reader.
    let reply = app.get("/sessions?user_id=user_%00x").await;
    reply.assert_error(422, "form_param_value_invalid");
    assert_eq!(reply.param(), "user_id");
}

#[tokio::test]
async fn an_order_by_starting_outside_ascii_is_refused() {
    let app = spawn_app().await;
    for order_by in [
        "%C3%A9",
        "-%C3%A9",
        "%E2%84%AA",
        "%C3%A9%0AFORGED%20log%20line",
    ] {
        assert_list_refused(&app, &format!("order_by={order_by}"), "order_by").await;
    }
}

#[tokio::test]
async fn a_nul_anywhere_in_a_body_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let bodies = [
        (json!({"first_name": "Ada\u{0}"}), "first_name"),
        (
            json!({"email_address": ["ada\u{0}@example.com"]}),
            "email_address",
        ),
        (
            json!({"first_name": "Ada", "public_metadata": {"a": ["ok", "n\u{0}"]}}),
            "public_metadata",
        ),
        (json!({"external_id": "x\u{0}y"}), "external_id"),
    ];
    for (body, param) in &bodies {
        let reply = app.post("/users", body.clone()).await;
        reply.assert_error(422, "form_param_format_invalid");
        assert_eq!(reply.param(), *param, "{body}");
    }
    assert_eq!(app.count("").await, 0);

    let user = app.create_user(json!({"first_name": "Ada"})).await;
    let id = user["id"].as_str().expect("id");
    let reply = app
        .patch(&format!("/users/{id}"), json!({"last_name": "\u{0}"}))
        .await;
    reply.assert_error(422, "form_param_format_invalid");
    let reply = app
        .patch(
            &format!("/users/{id}/metadata"),
            json!({"private_metadata": {"k\u{0}": 1}}),
        )
        .await;
    reply.assert_error(422, "form_param_format_invalid");
    assert_eq!(reply.param(), "private_metadata");
    let unchanged = app.user(id).await;
    assert_eq!(unchanged["last_name"], serde_json::Value::Null);
    assert_eq!(unchanged["private_metadata"], json!({}));
}

#[tokio::test]
async fn a_nul_in_a_path_finds_nothing() {
    let app = spawn_app().await;
    for (method, path) in [
        (Method::GET, "/users/user_%00"),
        (Method::DELETE, "/users/user_%00"),
        (Method::GET, "/sessions/sess_%00"),
        (Method::GET, "/email_addresses/idn_%00"),
    ] {
        let reply = app.request(method.clone(), path, None).await;
        reply.assert_error(404, "resource_not_found");
    }
}

/// The same requests against a `roster serve` process, whose log must show no panic and no
/// line that the request wrote.
#[tokio::test]
async fn hostile_input_leaves_no_panic_and_no_forged_line_in_the_log() {
    const KEY: &str = "sk_test_hostile_0123456789abcdef0123456789abcdef";
    let data_dir = tempfile::tempdir().expect("folder");
    let log_path = data_dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let server =
        start_roster_logging(data_dir.path(), KEY, &[("ROSTER_LOG", "debug")], log.into()).await;
    let app = TestApp::of_server(&server.base, KEY, tempfile::tempdir().expect("folder"));
    assert_list_refused(
        &app,
        "order_by=%C3%A9%0AFORGED%20admin%20signed%20in",
        "order_by",
    )
    .await;
    assert_list_refused(&app, "query=abc%00def%0AFORGED", "query").await;
    let reply = app
        .post(
            "/users",
            json!({"first_name": "Eve\nFORGED admin signed in"}),
        )
        .await;
    reply.assert_error(422, "form_param_format_invalid");
    drop(server);

    let log = std::fs::read_to_string(&log_path).expect("log readable");
    assert!(!log.is_empty(), "the server logged nothing");
    assert!(!log.contains("panicked"), "{log}");
    assert!(!log.lines().any(|line| line.starts_with("FORGED")), "{log}");
}

/// Search metacharacters of either backend (LIKE's `%`, `_` and `\`, FTS5's quotes, operators
/// and column filters) are matched as the text they are.
#[tokio::test]
async fn search_terms_are_taken_literally() {
    let app = spawn_app().await;
    let literal = app
        .create_user(
            json!({"first_name": "100%_pure\\x", "last_name": "say \"hi\" NEAR(a b) {names}: *"}),
        )
        .await;
    app.create_user(json!({"first_name": "1000xpure", "last_name": "sayhi NEAR a b names"}))
        .await;
    for term in [
        "0%25_p",
        "%25",
        "_",
        "%5C",
        "%5Cx",
        "%22hi%22",
        "y %22h",
        "NEAR(a",
        "%7Bnames%7D:",
        "*",
        ": *",
    ] {
        for param in ["query", "name_query"] {
            // Every user id has a `_`, and `query` searches ids too.
            if param == "query" && term == "_" {
                continue;
            }
            let found = app.get(&format!("/users?{param}={term}")).await.ok();
            let found = found.as_array().expect("a bare array");
            assert_eq!(found.len(), 1, "{param}={term}");
            assert_eq!(found[0]["id"], literal["id"], "{param}={term}");
        }
    }
}

/// Numbers at the edges of (and past) 64 bits are answered, never a database error.
#[tokio::test]
async fn extreme_numbers_in_queries_are_answered() {
    let app = spawn_app().await;
    app.create_user(json!({"first_name": "Edge"})).await;
    let max = i64::MAX;
    let min = i64::MIN;
    for query in [
        format!("offset={max}"),
        format!("created_at_before={max}&created_at_after={min}"),
        format!("last_active_at_since={max}"),
        format!("last_sign_in_at_before={min}"),
    ] {
        let found = app.get(&format!("/users?{query}")).await;
        assert_eq!(found.status.as_u16(), 200, "{query}: {}", found.body);
    }
    for (query, param) in [
        (format!("limit={max}"), "limit"),
        ("offset=-1".to_owned(), "offset"),
        ("offset=9223372036854775808".to_owned(), "offset"),
        (
            "created_at_after=99999999999999999999".to_owned(),
            "created_at_after",
        ),
    ] {
        let reply = app.get(&format!("/users?{query}")).await;
        reply.assert_error(422, "form_param_value_invalid");
        assert_eq!(reply.param(), param);
    }
    let reply = app
        .post(
            "/users",
            json!({"create_organizations_limit": 9_223_372_036_854_775_808_u64}),
        )
        .await;
    reply.assert_error(422, "form_param_value_invalid");
    assert_eq!(reply.param(), "create_organizations_limit");
    for offset in [max.to_string(), "-1".to_owned()] {
        let reply = app.get(&format!("/sessions?offset={offset}")).await;
        assert!(
            reply.status.as_u16() == 200 || reply.status.as_u16() == 422,
            "{}",
            reply.body
        );
    }
}
