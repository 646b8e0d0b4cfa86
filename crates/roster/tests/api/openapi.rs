//! `GET /openapi.json`: served without a key, and held to the router both ways. Every route is
//! registered through `utoipa_axum::routes!` with its description, so the two come from one
//! list; these tests catch what that cannot rule out: a documented operation that the router
//! does not serve (its answer is the fallback's, or 405), and a method the router serves on a
//! documented path that the document does not name. `tests/architecture.rs` checks that no
//! route is registered outside that list at all.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{TestApp, spawn_app};

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

async fn document(app: &TestApp) -> Value {
    let response = reqwest::get(format!("{}/openapi.json", app.base))
        .await
        .expect("request sent");
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"].to_str().expect("ascii");
    assert_eq!(content_type, "application/json");
    response.json().await.expect("JSON document")
}

/// The document's (path, methods) pairs.
fn operations(document: &Value) -> Vec<(String, Vec<&'static str>)> {
    let paths = document["paths"].as_object().expect("paths");
    paths
        .iter()
        .map(|(path, item)| {
            let methods = METHODS
                .into_iter()
                .filter(|method| item.get(*method).is_some())
                .collect();
            (path.clone(), methods)
        })
        .collect()
}

/// A concrete URL path for a templated one; ids that match nothing are fine here.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "id_that_matches_nothing"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn send(app: &TestApp, method: &str, path: &str) -> (StatusCode, Value) {
    let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).expect("method");
    let mut request = app
        .client
        .request(method.clone(), format!("{}{path}", app.base))
        .bearer_auth(&app.key);
    if method != Method::GET && method != Method::DELETE {
        request = request.json(&serde_json::json!({}));
    }
    let response = request.send().await.expect("request sent");
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

#[tokio::test]
async fn the_document_is_openapi_3_1_and_needs_no_key() {
    let app = spawn_app().await;
    let document = document(&app).await;
    assert_eq!(document["openapi"], "3.1.0");
    let scheme = &document["components"]["securitySchemes"]["secret_key"];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
    let list_users = &document["paths"]["/v1/users"]["get"];
    assert_eq!(
        list_users["security"][0]["secret_key"],
        serde_json::json!([])
    );
    assert_eq!(
        list_users["responses"]["401"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ErrorEnvelope"
    );
    assert!(document["paths"]["/healthz"]["get"]["security"].is_null());
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let app = spawn_app().await;
    let document = document(&app).await;
    // What the router's fallback answers (less its trace id), to tell it from a routed 404.
    let (status, unrouted) = send(&app, "get", "/v1/no_such_route").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let unrouted = &unrouted["errors"];
    assert!(unrouted.is_array());
    let operations = operations(&document);
    assert!(operations.len() > 40, "{operations:?}");
    for (path, methods) in operations {
        for method in methods {
            let (status, body) = send(&app, method, &concrete(&path)).await;
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert!(
                status != StatusCode::NOT_FOUND || body["errors"] != *unrouted,
                "{method} {path} is documented but answered by the fallback: {body}"
            );
        }
    }
}

#[tokio::test]
async fn no_method_is_routed_that_the_document_lacks() {
    let app = spawn_app().await;
    let document = document(&app).await;
    for (path, methods) in operations(&document) {
        for method in METHODS.into_iter().filter(|m| !methods.contains(m)) {
            let (status, _) = send(&app, method, &concrete(&path)).await;
            assert_eq!(
                status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path} is routed but not documented"
            );
        }
    }
}

#[tokio::test]
async fn every_path_parameter_is_declared_and_operation_ids_are_unique() {
    let app = spawn_app().await;
    let document = document(&app).await;
    let mut operation_ids = std::collections::BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        let templated: Vec<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let id = operation["operationId"].as_str().expect("operationId");
            assert!(operation_ids.insert(id.to_owned()), "{id} twice");
            let declared: Vec<&str> = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().expect("name"))
                .collect();
            assert_eq!(declared, templated, "{method} {path}");
        }
    }
}

/// Found by the fuzz pass: `order_by` beginning with a character wider than a byte panicked.
#[tokio::test]
async fn order_by_starting_with_a_wide_character_is_refused() {
    let app = spawn_app().await;
    let reply = app.get("/users?order_by=%C2%BFcreated_at").await;
    reply.assert_error(422, "form_param_value_invalid");
    assert_eq!(reply.param(), "order_by");
}
