//! A webhook receiver on loopback: records every delivery and checks its Standard Webhooks
//! signature (recomputed here from the specification's algorithm, independently of Roster's
//! code; the SDK conformance suites check the same deliveries with the official libraries).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use tokio::net::TcpListener;

/// One delivery as received.
#[derive(Clone, Debug)]
pub struct Received {
    pub svix_id: String,
    pub event: Value,
}

#[derive(Clone, Default)]
struct Shared {
    secret: Arc<Mutex<Option<String>>>,
    received: Arc<Mutex<Vec<Received>>>,
    rejected: Arc<Mutex<Vec<String>>>,
}

pub struct Receiver {
    pub url: String,
    port: u16,
    shared: Shared,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl Receiver {
    /// A receiver whose port is reserved but which is not listening yet.
    pub async fn down() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        drop(listener);
        Receiver {
            url: format!("http://127.0.0.1:{port}/hook"),
            port,
            shared: Shared::default(),
            server: None,
        }
    }

    pub async fn up() -> Receiver {
        let mut receiver = Receiver::down().await;
        receiver.start().await;
        receiver
    }

    /// Verifies deliveries with this `whsec_` secret from now on.
    pub fn set_secret(&self, secret: &str) {
        *self.shared.secret.lock().expect("lock") = Some(secret.to_owned());
    }

    pub async fn start(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("the reserved port is free again");
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(self.shared.clone());
        self.server = Some(tokio::spawn(async move {
            axum::serve(listener, app).await.expect("receiver serves");
        }));
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().expect("lock").clone()
    }

    /// Waits until `count` deliveries arrived (or panics after `limit`), and checks that none
    /// was refused for a bad signature.
    pub async fn wait_for(&self, count: usize, limit: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let received = self.received();
            if received.len() >= count {
                let rejected = self.shared.rejected.lock().expect("lock").clone();
                assert!(rejected.is_empty(), "badly signed deliveries: {rejected:?}");
                return received;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "only {} of {count} deliveries arrived: {:?}",
                received.len(),
                received
                    .iter()
                    .map(|r| r.event["type"].clone())
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

async fn receive(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (id, timestamp, signatures) = (
        header("svix-id"),
        header("svix-timestamp"),
        header("svix-signature"),
    );
    let secret = shared.secret.lock().expect("lock").clone();
    let verified = secret.is_some_and(|secret| {
        let key = STANDARD
            .decode(secret.trim_start_matches("whsec_"))
            .expect("base64 secret");
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("key");
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(&body);
        let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
        signatures.split(' ').any(|s| s == expected)
    });
    let fresh = timestamp
        .parse::<i64>()
        .is_ok_and(|ts| (ts - now_seconds()).abs() <= 300);
    let event: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if !verified || !fresh || headers.get("content-type").is_none() {
        shared
            .rejected
            .lock()
            .expect("lock")
            .push(format!("{id}: {event}"));
        return StatusCode::BAD_REQUEST;
    }
    shared
        .received
        .lock()
        .expect("lock")
        .push(Received { svix_id: id, event });
    StatusCode::NO_CONTENT
}

fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}
