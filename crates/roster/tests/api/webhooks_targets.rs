//! Where webhooks may go: by default no endpoint may point at loopback, private, link-local or
//! other non-public addresses, in any spelling, neither at registration nor (when a name
//! resolves there, or the rule tightened since) at delivery; no URL carries credentials; and a
//! failed delivery records what kind of failure it was, never what the network said.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{TestApp, json_of, post_to, spawn_app_configured, start_roster, test_key};
use crate::receiver::Receiver;

async fn refusing_app() -> TestApp {
    spawn_app_configured(|config| {
        config.webhooks = roster::config::WebhookSettings::default();
    })
    .await
}

#[tokio::test]
async fn private_and_loopback_targets_are_refused_at_registration_by_default() {
    assert!(!roster::config::WebhookSettings::default().allow_private_targets);
    let app = refusing_app().await;
    let kept = app
        .post(
            "/webhook_endpoints",
            json!({"url": "https://example.com/hooks"}),
        )
        .await
        .ok();
    let kept_id = kept["id"].as_str().expect("id");
    for url in [
        "http://127.0.0.1/hook",
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://localhost./hook",
        "http://LOCALHOST:8080/hook",
        "http://api.localhost/hook",
        "http://[::1]/hook",
        "http://0.0.0.0/hook",
        "http://2130706433/hook",
        "http://127.1/hook",
        "http://0x7f000001/hook",
        "http://0177.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/hook",
        "http://172.16.0.1/hook",
        "http://192.168.1.1/hook",
        "http://100.64.0.1/hook",
        "http://192.0.2.10/hook",
        "http://255.255.255.255/hook",
        "http://224.0.0.1/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[::ffff:169.254.169.254]/hook",
        "http://[fd00::1]/hook",
        "http://[fe80::1]/hook",
        "http://[::]/hook",
        "https://user:pass@example.com/hook",
        "https://user@example.com/hook",
    ] {
        let created = app.post("/webhook_endpoints", json!({"url": url})).await;
        created.assert_error(422, "form_param_value_invalid");
        assert_eq!(created.param(), "url", "{url}");
        let changed = app
            .patch(
                &format!("/webhook_endpoints/{kept_id}"),
                json!({"url": url}),
            )
            .await;
        changed.assert_error(422, "form_param_value_invalid");
    }
    let listed = app.get("/webhook_endpoints").await.ok();
    let listed = listed.as_array().expect("a list");
    assert_eq!(listed.len(), 1, "nothing was registered: {listed:?}");
    assert_eq!(
        listed[0]["url"], "https://example.com/hooks",
        "nothing changed"
    );
}

#[tokio::test]
async fn credentials_in_the_url_are_refused_even_where_private_targets_are_allowed() {
    let app = spawn_app_configured(|_| {}).await;
    for url in [
        "http://user:pass@127.0.0.1:9/hook",
        "http://user@127.0.0.1:9/hook",
    ] {
        let reply = app.post("/webhook_endpoints", json!({"url": url})).await;
        reply.assert_error(422, "form_param_value_invalid");
        assert_eq!(reply.param(), "url");
    }
    let allowed = app
        .post(
            "/webhook_endpoints",
            json!({"url": "http://127.0.0.1:9/hook"}),
        )
        .await;
    assert_eq!(
        allowed.status, 200,
        "allowed when configured: {}",
        allowed.body
    );
}

/// The deliveries of the endpoint, once each has been attempted `attempts` times or more.
async fn attempted(base: &str, key: &str, endpoint_id: &str, count: usize) -> Vec<Value> {
    let client = reqwest::Client::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let deliveries = json_of(
            client
                .get(format!(
                    "{base}/v1/webhook_endpoints/{endpoint_id}/deliveries"
                ))
                .bearer_auth(key),
        )
        .await;
        let deliveries = deliveries.as_array().expect("a list").clone();
        let tried = deliveries
            .iter()
            .filter(|d| d["attempts"].as_i64().unwrap_or(0) >= 1)
            .count();
        if deliveries.len() >= count && tried >= count {
            return deliveries;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "deliveries were not attempted: {deliveries:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Endpoints registered while private targets were allowed — one by a name that resolves to
/// loopback, one by a loopback address — receive nothing once the rule is back on: the name's
/// addresses are filtered in the delivery's own DNS resolution, the literal before sending.
#[tokio::test]
async fn endpoints_resolving_to_loopback_get_nothing_once_private_targets_are_refused() {
    let data = tempfile::tempdir().expect("dir");
    let key = test_key();
    let by_name = Receiver::up().await;
    let by_address = Receiver::up().await;
    let by_name_url = by_name.url.replace("127.0.0.1", "localhost");
    let mut endpoints = Vec::new();
    let server = start_roster(data.path(), &key, &[]).await;
    for (receiver, url) in [
        (&by_name, by_name_url.as_str()),
        (&by_address, &by_address.url),
    ] {
        let endpoint = post_to(
            &server.base,
            &key,
            "/webhook_endpoints",
            json!({"url": url}),
        )
        .await;
        receiver.set_secret(endpoint["secret"].as_str().expect("secret"));
        endpoints.push(endpoint["id"].as_str().expect("id").to_owned());
    }
    post_to(
        &server.base,
        &key,
        "/users",
        json!({"first_name": "Allowed"}),
    )
    .await;
    by_name.wait_for(1, Duration::from_secs(30)).await;
    by_address.wait_for(1, Duration::from_secs(30)).await;
    drop(server);

    let server = start_roster(
        data.path(),
        &key,
        &[("ROSTER_WEBHOOKS__ALLOW_PRIVATE_TARGETS", "false")],
    )
    .await;
    post_to(
        &server.base,
        &key,
        "/users",
        json!({"first_name": "Refused"}),
    )
    .await;
    for endpoint_id in &endpoints {
        let deliveries = attempted(&server.base, &key, endpoint_id, 2).await;
        let newest = &deliveries[0];
        // Retried on the schedule (one second apart here), then given up: never delivered.
        assert_ne!(newest["status"], "delivered", "{newest}");
        assert_eq!(newest["last_error"], "target not allowed", "{newest}");
        assert_eq!(newest["last_response_code"], Value::Null);
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        by_name.received().len(),
        1,
        "nothing reached the name's target"
    );
    assert_eq!(
        by_address.received().len(),
        1,
        "nothing reached the address"
    );
}

#[tokio::test]
async fn delivery_errors_name_the_kind_of_failure_and_nothing_of_the_network() {
    let app =
        spawn_app_configured(|config| config.webhooks.retry_schedule_seconds = vec![60]).await;
    let closed = Receiver::down().await;
    let answering = Receiver::up().await; // without the secret, it answers 400 to everything
    let mut endpoints = Vec::new();
    for receiver in [&closed, &answering] {
        let endpoint = app
            .post("/webhook_endpoints", json!({"url": receiver.url}))
            .await
            .ok();
        endpoints.push(endpoint["id"].as_str().expect("id").to_owned());
    }
    app.create_user(json!({"first_name": "Ada"})).await;
    let refused = &attempted(&app.base, &app.key, &endpoints[0], 1).await[0];
    assert_eq!(
        refused["last_error"], "connection refused or unreachable",
        "{refused}"
    );
    let answered = &attempted(&app.base, &app.key, &endpoints[1], 1).await[0];
    assert_eq!(answered["last_error"], "HTTP 4xx", "{answered}");
    assert_eq!(answered["last_response_code"], 400);
}
