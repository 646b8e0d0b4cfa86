//! Passwords beyond the policy: the optional breach sources (a corpus file, a range API),
//! back-pressure of the hashing pool, and that no password or digest ever shows up in a
//! response or a log line.

use std::path::Path;

use futures::future::join_all;
use roster_domain::InstanceSettings;
use serde_json::{Value, json};

use crate::helpers::spawn_app_with;

fn sha1_line(password: &str) -> String {
    use sha1::Digest as _;
    format!(
        "{}:42",
        hex::encode_upper(sha1::Sha1::digest(password.as_bytes()))
    )
}

#[tokio::test]
async fn a_breach_corpus_file_in_the_data_folder_is_searched() {
    let corpus = tempfile::tempdir().expect("dir");
    let path = corpus.path().join("pwned.txt");
    let mut lines: Vec<String> = (0..2000)
        .map(|n| sha1_line(&format!("filler-{n}")))
        .collect();
    lines.push(sha1_line("only-in-the-corpus-77"));
    lines.sort();
    std::fs::write(&path, lines.join("\r\n")).expect("write corpus");
    let mut settings = InstanceSettings::default();
    settings.password_policy.breached_file = Some(path);
    let app = spawn_app_with(settings).await;
    app.post("/users", json!({"password": "only-in-the-corpus-77"}))
        .await
        .assert_error(422, "form_password_pwned");
    app.post("/users", json!({"password": "filler-1999"}))
        .await
        .assert_error(422, "form_password_pwned");
    app.create_user(json!({"password": "only-in-the-corpus-78"}))
        .await;
}

/// What the stand-in range API shares: the prefixes it was asked for, and the one leak.
type RangeState = (
    std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    String,
    String,
);

#[tokio::test]
async fn the_range_api_sees_only_a_hash_prefix() {
    use axum::extract::{Path as UrlPath, State};
    use std::sync::{Arc, Mutex};

    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let leaked = sha1_line("leaked-online-only-5");
    let (prefix, suffix) = leaked.split_at(5);
    let (prefix, suffix) = (prefix.to_owned(), suffix.to_owned());
    let router = axum::Router::new()
        .route(
            "/range/{prefix}",
            axum::routing::get(
                |State((seen, prefix, suffix)): State<RangeState>,
                 UrlPath(asked): UrlPath<String>| async move {
                    seen.lock().unwrap().push(asked.clone());
                    let mut body = "0000000000000000000000000000000000A:0\r\n".to_owned();
                    if asked == prefix {
                        body.push_str(&suffix);
                    }
                    body
                },
            ),
        )
        .with_state((seen.clone(), prefix.clone(), suffix));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });

    let mut settings = InstanceSettings::default();
    settings.password_policy.breached_range_api = Some(format!("http://{addr}"));
    let app = spawn_app_with(settings).await;
    app.post("/users", json!({"password": "leaked-online-only-5"}))
        .await
        .assert_error(422, "form_password_pwned");
    app.create_user(json!({"password": "leaked-online-only-6"}))
        .await;
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0], prefix);
    assert!(seen.iter().all(|p| p.len() == 5));
}

#[tokio::test]
async fn a_saturated_hashing_pool_answers_429_with_retry_after() {
    let mut settings = InstanceSettings::default();
    settings.password_hashing.threads = 1;
    settings.password_hashing.queue = 0;
    settings.password_hashing.memory_kib = 65_536;
    settings.password_hashing.iterations = 4;
    let app = spawn_app_with(settings).await;
    let replies = join_all((0..6).map(|n| {
        app.client
            .post(format!("{}/v1/users", app.base))
            .bearer_auth(&app.key)
            .json(&json!({"password": format!("a fine passphrase {n}")}))
            .send()
    }))
    .await;
    let mut statuses = Vec::new();
    for reply in replies {
        let reply = reply.expect("sent");
        let status = reply.status().as_u16();
        if status == 429 {
            let retry = reply.headers().get("retry-after").expect("Retry-After");
            assert!(retry.to_str().unwrap().parse::<u64>().unwrap() >= 1);
            let body: Value = reply.json().await.unwrap();
            assert_eq!(body["errors"][0]["code"], "too_many_requests");
        }
        statuses.push(status);
    }
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&200) && statuses.contains(&429),
        "{statuses:?}"
    );
}

/// Runs the real binary with every log level on, drives the password endpoints, and looks for
/// the secrets in everything it printed and answered.
#[tokio::test]
async fn no_password_or_digest_reaches_a_response_or_a_log_line() {
    use tokio::io::AsyncReadExt;

    let data = tempfile::tempdir().expect("dir");
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let key = "sk_test_logcheckkey00000000000000000000000";
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_roster"))
        .arg("serve")
        .env("ROSTER_ADDR", format!("127.0.0.1:{port}"))
        .env("ROSTER_DATA_DIR", data.path())
        .envs(crate::helpers::database_env(data.path()))
        .env("ROSTER_SECRET_KEY", key)
        .env("ROSTER_LOG", "trace")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("roster starts");
    // Drain both pipes while the server runs: a full pipe would block its logging, and with
    // it the server.
    let drain = |mut pipe: Box<dyn tokio::io::AsyncRead + Unpin + Send>| {
        tokio::spawn(async move {
            let mut text = String::new();
            pipe.read_to_string(&mut text).await.expect("utf-8 log");
            text
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr")));
    let base = format!("http://127.0.0.1:{port}/v1");
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let password = "SecretPassphrase-4c1d";
    let digest = "$2b$04$O/i4T1dZo27sRJc21t9Ln.2cCgbR5I1NybmYlN0Pc2ZMY3c5sSw5O";
    let bad_digest = "5f4dcc3b5aa765d61d8327deb882cfZZ";
    let mut answers = String::new();
    let send = |method: reqwest::Method, path: String, body: Value| {
        let request = client
            .request(method, format!("{base}{path}"))
            .bearer_auth(key)
            .json(&body);
        async move {
            let response = request.send().await.expect("sent");
            response.text().await.expect("body")
        }
    };
    let created = send(
        reqwest::Method::POST,
        "/users".into(),
        json!({"password": password}),
    )
    .await;
    let id = serde_json::from_str::<Value>(&created).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    answers.push_str(&created);
    for body in [
        json!({"password": password}),
        json!({"password": "wrong-SecretPassphrase"}),
    ] {
        answers.push_str(
            &send(
                reqwest::Method::POST,
                format!("/users/{id}/verify_password"),
                body,
            )
            .await,
        );
    }
    answers.push_str(
        &send(
            reqwest::Method::POST,
            "/users".into(),
            json!({"password_digest": digest, "password_hasher": "bcrypt"}),
        )
        .await,
    );
    answers.push_str(
        &send(
            reqwest::Method::PATCH,
            format!("/users/{id}"),
            json!({"password_digest": bad_digest, "password_hasher": "md5"}),
        )
        .await,
    );
    answers.push_str(
        &send(
            reqwest::Method::PATCH,
            format!("/users/{id}"),
            json!({"password": "iloveyou"}),
        )
        .await,
    );
    answers.push_str(&send(reqwest::Method::GET, "/users".into(), Value::Null).await);
    child.start_kill().expect("stop");
    child.wait().await.unwrap();
    let logs = stdout.await.expect("stdout read") + &stderr.await.expect("stderr read");
    assert!(logs.contains("verify_password"), "trace logs were captured");
    for secret in [
        password,
        "SecretPassphrase",
        digest,
        "O/i4T1dZo27sRJc21t9Ln",
        bad_digest,
        "iloveyou",
        "$argon2id$",
    ] {
        assert!(!answers.contains(secret), "a response carries {secret}");
        assert!(!logs.contains(secret), "the log carries {secret}");
    }
    if !crate::helpers::on_postgres() {
        assert!(Path::new(data.path()).join("roster.db").exists());
    }
}

/// Checks refused because the pool was busy were never made, so they must not count against
/// the lockout limit: only the answered wrong guesses do.
#[tokio::test]
async fn checks_refused_for_load_cost_no_attempts() {
    let mut settings = InstanceSettings::default();
    settings.password_hashing.threads = 1;
    settings.password_hashing.queue = 16;
    settings.password_hashing.max_wait_ms = 1;
    settings.password_hashing.memory_kib = 65_536;
    settings.password_hashing.iterations = 4;
    let app = spawn_app_with(settings).await;
    let user = app
        .create_user(json!({"password": "the right passphrase"}))
        .await;
    let id = user["id"].as_str().unwrap().to_owned();
    let path = format!("/users/{id}/verify_password");
    let replies =
        join_all((0..8).map(|_| app.post(&path, json!({"password": "a wrong guess"})))).await;
    let wrong = replies.iter().filter(|r| r.status == 422).count() as i64;
    let busy = replies.iter().filter(|r| r.status == 429).count();
    assert_eq!(wrong as usize + busy, 8);
    assert!(wrong >= 1 && busy >= 1, "wrong {wrong}, busy {busy}");
    let after = app.user(&id).await;
    assert_eq!(after["verification_attempts_remaining"], 10 - wrong);
}
