//! The outbox survives a crash: Roster, run as its own process, is killed with SIGKILL right
//! after a write is acknowledged; started again on the same data folder, it still delivers
//! that write's event.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{RosterProcess, post_to, start_roster};
use crate::receiver::Receiver;

const KEY: &str = "sk_test_crash_0123456789abcdef0123456789abcdef";

async fn start(data_dir: &std::path::Path) -> RosterProcess {
    start_roster(data_dir, KEY, &[]).await
}

async fn post(server: &RosterProcess, path: &str, body: Value) -> Value {
    post_to(&server.base, KEY, path, body).await
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
    first.sigkill();
    assert!(receiver.received().is_empty());
    receiver.start().await;

    let _second = start(data_dir.path()).await;
    let received = receiver.wait_for(1, Duration::from_secs(60)).await;
    assert_eq!(received[0].event["type"], "user.created");
    assert_eq!(received[0].event["data"]["id"], user["id"]);
}
