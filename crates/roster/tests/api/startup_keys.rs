//! The secret key a `roster serve` process starts with: a weak configured key stops it, the
//! key minted at first start reaches a private file and never the log, and keys minted by
//! `roster keys create` are accepted as configured keys.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncReadExt;

use crate::helpers::{database_env, run_roster};

fn free_port() -> u16 {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    probe.local_addr().expect("address").port()
}

/// A `roster serve` process and everything it writes, read as it goes: a full pipe would
/// stop its logging, and with it the server.
struct Serving {
    child: tokio::process::Child,
    output: tokio::task::JoinHandle<String>,
}

/// `roster serve` on `data_dir` with only these settings, every log level on.
fn serve(data_dir: &std::path::Path, port: u16, envs: &[(&str, &str)]) -> Serving {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_roster"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("ROSTER_DATA_DIR", data_dir)
        .envs(database_env(data_dir))
        .env("ROSTER_ADDR", format!("127.0.0.1:{port}"))
        .env("ROSTER_LOG", "trace")
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("roster starts");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let output = tokio::spawn(async move {
        let out = tokio::spawn(async move {
            let mut text = String::new();
            stdout.read_to_string(&mut text).await.expect("utf-8");
            text
        });
        let mut text = String::new();
        stderr.read_to_string(&mut text).await.expect("utf-8");
        text + &out.await.expect("joined")
    });
    Serving { child, output }
}

impl Serving {
    /// Stops the process (if it still runs) and returns all it wrote.
    async fn stop(mut self) -> String {
        let _ = self.child.start_kill();
        self.child.wait().await.expect("reaped");
        self.output.await.expect("joined")
    }
}

async fn wait_until_serving(base: &str) {
    let client = reqwest::Client::new();
    for _ in 0..600 {
        let probe = client
            .get(format!("{base}/healthz"))
            .timeout(Duration::from_secs(2))
            .send();
        if probe.await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("roster did not start serving");
}

async fn users_status(base: &str, key: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{base}/v1/users"))
        .bearer_auth(key)
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_weak_configured_secret_key_stops_the_server_at_start() {
    for weak in [
        "a",
        "sk_test_short",
        "pk_test_0123456789abcdef0123456789abcdef",
    ] {
        let data = tempfile::tempdir().expect("dir");
        let mut server = serve(data.path(), free_port(), &[("ROSTER_SECRET_KEY", weak)]);
        let status = tokio::time::timeout(Duration::from_secs(60), server.child.wait())
            .await
            .expect("roster exits by itself")
            .expect("status");
        let output = server.stop().await;
        assert!(!status.success(), "{weak}: roster served with a weak key");
        assert!(
            output.contains("ROSTER_SECRET_KEY") && output.contains("refused"),
            "{weak}: no clear message in {output}"
        );
        assert!(
            weak.len() == 1 || !output.contains(weak),
            "the refused key is echoed"
        );
    }
}

#[tokio::test]
async fn the_key_minted_at_first_start_goes_to_a_private_file_and_not_the_log() {
    let data = tempfile::tempdir().expect("dir");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let server = serve(data.path(), port, &[]);
    wait_until_serving(&base).await;
    let path = data.path().join(roster::FIRST_KEY_FILE);
    let key = std::fs::read_to_string(&path).expect("the first key's file");
    let key = key.trim();
    assert!(key.starts_with("sk_test_"), "{key}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the key file is private");
    }
    assert_eq!(users_status(&base, key).await, 200);
    let logs = server.stop().await;
    assert!(
        logs.contains(roster::FIRST_KEY_FILE),
        "the log names the file: {logs}"
    );
    assert!(!logs.contains(key), "the log carries the key");
    assert!(
        !logs.contains(&key[..16]),
        "the log carries part of the key"
    );
}

#[tokio::test]
async fn keys_from_keys_create_are_accepted_as_the_configured_key() {
    for flags in [&["keys", "create"][..], &["keys", "create", "--live"][..]] {
        let minting = tempfile::tempdir().expect("dir");
        let created = run_roster(minting.path(), flags, &[]).await;
        assert!(created.status.success(), "{created:?}");
        let key = String::from_utf8(created.stdout).expect("utf-8");
        let key = key.trim();
        let data = tempfile::tempdir().expect("dir");
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let server = serve(data.path(), port, &[("ROSTER_SECRET_KEY", key)]);
        wait_until_serving(&base).await;
        assert_eq!(users_status(&base, key).await, 200, "{key}");
        server.stop().await;
    }
}
