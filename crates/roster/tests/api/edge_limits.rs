//! What slow, idle, oversized or abundant clients get: connections closed after the header and
//! idle timeouts, a cap on open connections, 413 for a declared body over the limit before it
//! is sent, 408 for a body that trickles in, and 429 from the rate limits.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{Reply, TestApp, spawn_app_configured};

fn address(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_owned()
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(address(app)).await.expect("connects")
}

/// Waits for the server to close the connection; how long that took, or `None` if it stayed
/// open for `patience`. Whatever the server sends first is read and dropped.
async fn closed_within(stream: &mut TcpStream, patience: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buffer = [0u8; 4096];
    loop {
        match tokio::time::timeout_at((started + patience).into(), stream.read(&mut buffer)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => {}
        }
    }
}

/// Reads one response that ends with the connection (`Connection: close`).
async fn read_response(stream: &mut TcpStream, patience: Duration) -> Reply {
    let mut bytes = Vec::new();
    tokio::time::timeout(patience, stream.read_to_end(&mut bytes))
        .await
        .expect("the server answers in time")
        .expect("readable");
    parse_response(&bytes)
}

fn parse_response(bytes: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(bytes);
    let (head, body) = text.split_once("\r\n\r\n").expect("a response head");
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let content_type = head
        .lines()
        .find_map(|line| line.strip_prefix("content-type: "))
        .unwrap_or_default()
        .to_owned();
    Reply {
        status: StatusCode::from_u16(status).expect("a status"),
        content_type,
        body: serde_json::from_str(body).unwrap_or(Value::Null),
    }
}

#[tokio::test]
async fn half_header_connections_are_closed_after_the_header_timeout() {
    let app = spawn_app_configured(|config| config.http.header_read_timeout_ms = 300).await;
    let mut stream = connect(&app).await;
    stream
        .write_all(b"GET /v1/users HTTP/1.1\r\nHost: localhost\r\nX-Half: ")
        .await
        .expect("sent");
    let closed = closed_within(&mut stream, Duration::from_secs(5))
        .await
        .expect("the half-header connection is closed");
    assert!(
        closed >= Duration::from_millis(250),
        "closed after {closed:?}"
    );

    // A client that connects and sends nothing is held to the same deadline.
    let mut silent = connect(&app).await;
    assert!(
        closed_within(&mut silent, Duration::from_secs(5))
            .await
            .is_some()
    );
}

#[tokio::test]
async fn idle_keep_alive_connections_are_closed_after_the_idle_timeout() {
    let app = spawn_app_configured(|config| {
        config.http.idle_timeout_ms = 600;
        config.http.header_read_timeout_ms = 10_000;
    })
    .await;
    let mut stream = connect(&app).await;
    let request = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
    stream.write_all(request).await.expect("sent");
    let mut buffer = [0u8; 1024];
    let read = stream.read(&mut buffer).await.expect("answered");
    assert!(buffer[..read].starts_with(b"HTTP/1.1 200"));

    // Idle for less than the timeout: the connection still serves.
    tokio::time::sleep(Duration::from_millis(300)).await;
    stream.write_all(request).await.expect("sent again");
    let read = stream.read(&mut buffer).await.expect("answered again");
    assert!(buffer[..read].starts_with(b"HTTP/1.1 200"));

    // Then idle past it: closed well before the header timeout would have closed it.
    let closed = closed_within(&mut stream, Duration::from_secs(5))
        .await
        .expect("the idle connection is closed");
    assert!(
        closed >= Duration::from_millis(500) && closed < Duration::from_secs(5),
        "closed after {closed:?}"
    );
}

#[tokio::test]
async fn connections_beyond_the_cap_are_served_only_once_others_close() {
    let app = spawn_app_configured(|config| {
        config.http.max_connections = 2;
        config.http.header_read_timeout_ms = 30_000;
    })
    .await;
    let holders = [connect(&app).await, connect(&app).await];
    tokio::time::sleep(Duration::from_millis(200)).await;
    let health = format!("{}/healthz", app.base);
    let beyond = reqwest::Client::new()
        .get(&health)
        .timeout(Duration::from_millis(800))
        .send()
        .await;
    assert!(beyond.is_err(), "a third connection was served: {beyond:?}");

    drop(holders);
    let served = reqwest::Client::new()
        .get(&health)
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .expect("served once the others have gone");
    assert_eq!(served.status(), 200);
}

#[tokio::test]
async fn a_declared_body_over_the_limit_gets_413_before_it_is_sent() {
    let app = spawn_app_configured(|_| {}).await;
    let mut stream = connect(&app).await;
    let started = Instant::now();
    let head = format!(
        "POST /v1/users HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100000000000\r\n\r\n",
        app.key
    );
    stream.write_all(head.as_bytes()).await.expect("sent");
    let reply = read_response(&mut stream, Duration::from_secs(5)).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    reply.assert_error(413, "request_body_too_large");
    assert_eq!(app.count("").await, 0);
}

#[tokio::test]
async fn a_body_that_trickles_in_is_cut_off() {
    let app = spawn_app_configured(|config| config.http.body_read_timeout_ms = 500).await;
    let mut stream = connect(&app).await;
    let head = format!(
        "POST /v1/users HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 40\r\nConnection: close\r\n\r\n{{\"username\"",
        app.key
    );
    stream.write_all(head.as_bytes()).await.expect("sent");
    let started = Instant::now();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    // A byte every 200 ms keeps the connection busy but never finishes the body in time.
    while !answer.windows(4).any(|window| window == b"\r\n\r\n") {
        assert!(started.elapsed() < Duration::from_secs(5), "no answer");
        let _ = stream.write_all(b" ").await;
        if let Ok(Ok(read)) =
            tokio::time::timeout(Duration::from_millis(200), stream.read(&mut buffer)).await
        {
            answer.extend_from_slice(&buffer[..read]);
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), stream.read_to_end(&mut answer)).await;
    assert!(started.elapsed() >= Duration::from_millis(400));
    parse_response(&answer).assert_error(408, "request_timeout");
    assert_eq!(app.count("").await, 0);
}

async fn list_users(app: &TestApp, key: &str, forwarded_for: Option<&str>) -> reqwest::Response {
    let mut request = app
        .client
        .get(format!("{}/v1/users", app.base))
        .bearer_auth(key);
    if let Some(address) = forwarded_for {
        request = request.header("X-Forwarded-For", address);
    }
    request.send().await.expect("request sent")
}

async fn into_reply(response: reqwest::Response) -> (Reply, Option<u64>) {
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok());
    let reply = Reply {
        status: response.status(),
        content_type: response
            .headers()
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        body: response.json().await.unwrap_or(Value::Null),
    };
    (reply, retry_after)
}

#[tokio::test]
async fn wrong_keys_from_one_address_get_429_while_the_right_key_still_works() {
    let app = spawn_app_configured(|config| {
        config.rate_limits.failed_auth_per_ip = 3;
        config.rate_limits.failed_auth_window_ms = 60_000;
    })
    .await;
    for attempt in 0..3 {
        let (reply, _) = into_reply(list_users(&app, "sk_test_wrong", None).await).await;
        assert_eq!(reply.status, 401, "attempt {attempt}");
    }
    for attempt in 0..3 {
        // A forged X-Forwarded-For from a peer that is not a trusted proxy changes nothing.
        let forged = format!("198.51.100.{attempt}");
        let (reply, retry_after) =
            into_reply(list_users(&app, "sk_test_wrong", Some(&forged)).await).await;
        reply.assert_error(429, "too_many_requests");
        let retry_after = retry_after.expect("a Retry-After header");
        assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");

        let (right, _) = into_reply(list_users(&app, &app.key, None).await).await;
        assert_eq!(
            right.status, 200,
            "the right key is refused: {}",
            right.body
        );
    }
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_is_counted_apart() {
    let app = spawn_app_configured(|config| {
        config.rate_limits.failed_auth_per_ip = 2;
        config.http.trusted_proxies = vec!["127.0.0.0/8".parse().expect("a network")];
    })
    .await;
    let attacker = Some("203.0.113.7");
    for _ in 0..2 {
        let (reply, _) = into_reply(list_users(&app, "sk_test_wrong", attacker).await).await;
        assert_eq!(reply.status, 401);
    }
    let (reply, _) = into_reply(list_users(&app, "sk_test_wrong", attacker).await).await;
    reply.assert_error(429, "too_many_requests");

    // Another client behind the same proxy is not held to the attacker's failures; the
    // address the proxy appended is the one that counts, not what the client wrote before it.
    let (other, _) =
        into_reply(list_users(&app, "sk_test_wrong", Some("203.0.113.7, 192.0.2.1")).await).await;
    assert_eq!(other.status, 401, "{}", other.body);
}

#[tokio::test]
async fn successful_requests_do_not_count_as_failed_attempts() {
    let app = spawn_app_configured(|config| config.rate_limits.failed_auth_per_ip = 3).await;
    for _ in 0..2 {
        let (reply, _) = into_reply(list_users(&app, "sk_test_wrong", None).await).await;
        assert_eq!(reply.status, 401);
    }
    for _ in 0..20 {
        let (reply, _) = into_reply(list_users(&app, &app.key, None).await).await;
        assert_eq!(reply.status, 200);
    }
    let (third, _) = into_reply(list_users(&app, "sk_test_wrong", None).await).await;
    assert_eq!(third.status, 401, "{}", third.body);
    let (fourth, _) = into_reply(list_users(&app, "sk_test_wrong", None).await).await;
    fourth.assert_error(429, "too_many_requests");
}

#[tokio::test]
async fn a_key_over_its_quota_gets_429_until_it_refills() {
    let app = spawn_app_configured(|config| {
        config.rate_limits.requests_per_key = 3;
        config.rate_limits.requests_per_key_window_ms = 3_000;
    })
    .await;
    for request in 0..3 {
        let (reply, _) = into_reply(list_users(&app, &app.key, None).await).await;
        assert_eq!(reply.status, 200, "request {request}");
    }
    let (over, retry_after) = into_reply(list_users(&app, &app.key, None).await).await;
    over.assert_error(429, "too_many_requests");
    assert_eq!(retry_after, Some(1));

    // One request's worth refills every second.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let (refilled, _) = into_reply(list_users(&app, &app.key, None).await).await;
    assert_eq!(refilled.status, 200);
}

#[tokio::test]
async fn keys_are_not_limited_by_default() {
    let app = spawn_app_configured(|_| {}).await;
    for _ in 0..50 {
        let (reply, _) = into_reply(list_users(&app, &app.key, None).await).await;
        assert_eq!(reply.status, 200);
    }
}

#[tokio::test]
async fn shutdown_finishes_requests_in_flight_without_waiting_for_slow_headers() {
    let data_dir = tempfile::tempdir().expect("temporary data folder");
    let key = crate::helpers::test_key();
    let mut config = roster::Config {
        addr: "127.0.0.1:0".parse().expect("address"),
        data_dir: data_dir.path().to_path_buf(),
        secret_key: Some(key.clone()),
        ..roster::Config::default()
    };
    config.database_url = crate::helpers::database_url_for(&config.data_dir);
    config.http.header_read_timeout_ms = 30_000;
    let application = roster::Application::build(config)
        .await
        .expect("server starts");
    let address = application.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(application.run_until(async {
        let _ = stopped.await;
    }));

    let mut half = TcpStream::connect(address).await.expect("connects");
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
        .await
        .expect("sent");
    // A write whose body is still on its way when the shutdown begins.
    let mut writing = TcpStream::connect(address).await.expect("connects");
    let body = r#"{"username":"finished_anyway"}"#;
    let head = format!(
        "POST /v1/users HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    writing.write_all(head.as_bytes()).await.expect("sent");
    tokio::time::sleep(Duration::from_millis(200)).await;

    let started = Instant::now();
    stop.send(()).expect("the server listens for shutdown");
    tokio::time::sleep(Duration::from_millis(200)).await;
    writing.write_all(body.as_bytes()).await.expect("sent");
    let mut answer = [0u8; 64];
    let read = writing.read(&mut answer).await.expect("answered");
    assert!(
        answer[..read].starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer[..read])
    );
    assert!(
        closed_within(&mut half, Duration::from_secs(5))
            .await
            .is_some()
    );
    tokio::time::timeout(Duration::from_secs(10), serving)
        .await
        .expect("the server stops without waiting out the header timeout")
        .expect("joined")
        .expect("stopped cleanly");
    assert!(started.elapsed() < Duration::from_secs(10));
}
