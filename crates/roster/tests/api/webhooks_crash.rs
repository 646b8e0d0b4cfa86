//! The outbox survives a crash: Roster, run as its own process, is killed with SIGKILL right
//! after a write is acknowledged; started again on the same data folder, it still delivers
//! that write's event.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::receiver::Receiver;

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const KEY: &str = "sk_test_crash_0123456789abcdef";

async fn start(data_dir: &std::path::Path) -> Server {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let mut command = Command::new(env!("CARGO_BIN_EXE_roster"));
    // Only this server's settings: a ROSTER_* variable of the caller must not leak in.
    for (name, _) in std::env::vars() {
        if name.starts_with("ROSTER_") {
            command.env_remove(name);
        }
    }
    let child = command
        .arg("serve")
        .env("ROSTER_DATA_DIR", data_dir)
        .envs(crate::helpers::database_env(data_dir))
        .env("ROSTER_ADDR", format!("127.0.0.1:{port}"))
        .env("ROSTER_SECRET_KEY", KEY)
        .env(
            "ROSTER_WEBHOOKS__RETRY_SCHEDULE_SECONDS",
            "[1, 1, 1, 1, 1, 1, 1]",
        )
        .env("ROSTER_WEBHOOKS__TIMEOUT_SECONDS", "2")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("roster starts");
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while client
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .is_err()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "roster did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server
}

async fn post(server: &Server, path: &str, body: Value) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{}/v1{path}", server.base))
        .bearer_auth(KEY)
        .json(&body)
        .send()
        .await
        .expect("request sent");
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.expect("json")
}

#[tokio::test]
async fn an_event_written_just_before_a_sigkill_is_delivered_after_the_restart() {
    let data_dir = tempfile::tempdir().expect("folder");
    // Down while the first process runs, so the event cannot have left before the kill.
    let mut receiver = Receiver::down().await;
    let mut first = start(data_dir.path()).await;
    let endpoint = post(&first, "/webhook_endpoints", json!({"url": receiver.url})).await;
    receiver.set_secret(endpoint["secret"].as_str().expect("secret"));
    let user = post(&first, "/users", json!({"first_name": "Crash"})).await;
    // SIGKILL at once: no shutdown, no flush beyond what the acknowledged commit did.
    first.child.kill().expect("SIGKILL");
    first.child.wait().expect("reaped");
    assert!(receiver.received().is_empty());
    receiver.start().await;

    let _second = start(data_dir.path()).await;
    let received = receiver.wait_for(1, Duration::from_secs(60)).await;
    assert_eq!(received[0].event["type"], "user.created");
    assert_eq!(received[0].event["data"]["id"], user["id"]);
}
