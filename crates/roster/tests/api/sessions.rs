//! Sessions: create (as Clerk offers for testing), read, list with filters and paging,
//! revoke, and what bans and deletions do to them.

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

async fn user_id(app: &TestApp) -> String {
    let user = app.create_user(json!({"first_name": "S"})).await;
    user["id"].as_str().expect("id").to_owned()
}

pub async fn create_session(app: &TestApp, user_id: &str) -> Value {
    app.post("/sessions", json!({"user_id": user_id}))
        .await
        .ok()
}

fn ids(sessions: &Value) -> Vec<&str> {
    sessions
        .as_array()
        .expect("array")
        .iter()
        .map(|s| s["id"].as_str().expect("id"))
        .collect()
}

#[tokio::test]
async fn a_created_session_is_active_and_signs_the_user_in() {
    let app = spawn_app().await;
    let user = user_id(&app).await;
    assert!(app.user(&user).await["last_sign_in_at"].is_null());
    let session = create_session(&app, &user).await;
    assert_eq!(session["object"], "session");
    assert!(session["id"].as_str().expect("id").starts_with("sess_"));
    assert!(
        session["client_id"]
            .as_str()
            .expect("client")
            .starts_with("client_")
    );
    assert_eq!(session["user_id"], user.as_str());
    assert_eq!(session["status"], "active");
    for key in [
        "actor",
        "last_active_organization_id",
        "latest_activity",
        "tasks",
    ] {
        assert!(
            session[key].is_null(),
            "{key} is null, not absent: {session}"
        );
    }
    let created = session["created_at"].as_i64().expect("created_at");
    assert!(session["expire_at"].as_i64().expect("expire_at") > created);
    assert!(session["abandon_at"].as_i64().expect("abandon_at") > created);

    let stored = app.user(&user).await;
    assert_eq!(stored["last_sign_in_at"].as_i64(), Some(created));
    assert_eq!(stored["last_active_at"].as_i64(), Some(created));

    let id = session["id"].as_str().expect("id");
    assert_eq!(app.get(&format!("/sessions/{id}")).await.ok(), session);
}

#[tokio::test]
async fn creating_a_session_needs_an_existing_unbanned_user() {
    let app = spawn_app().await;
    app.post("/sessions", json!({}))
        .await
        .assert_error(422, "form_param_missing");
    let missing = app
        .post("/sessions", json!({"user_id": "user_missing"}))
        .await;
    missing.assert_error(422, "form_resource_not_found");
    assert_eq!(missing.param(), "user_id");
    let user = user_id(&app).await;
    app.post(&format!("/users/{user}/ban"), json!({}))
        .await
        .ok();
    app.post("/sessions", json!({"user_id": user}))
        .await
        .assert_error(403, "user_banned");
    let listed = app.get(&format!("/sessions?user_id={user}")).await.ok();
    assert_eq!(listed, json!([]));
}

#[tokio::test]
async fn an_unknown_session_is_not_found() {
    let app = spawn_app().await;
    let reply = app.get("/sessions/sess_missing").await;
    reply.assert_error(404, "resource_not_found");
    assert!(
        reply.body["errors"][0]["long_message"]
            .as_str()
            .expect("message")
            .contains("No session was found with id sess_missing")
    );
    app.post("/sessions/sess_missing/revoke", json!({}))
        .await
        .assert_error(404, "resource_not_found");
}

#[tokio::test]
async fn listing_filters_pages_and_counts_newest_first() {
    let app = spawn_app().await;
    let (ada, bob) = (user_id(&app).await, user_id(&app).await);
    let mut ada_sessions = Vec::new();
    for _ in 0..3 {
        ada_sessions.push(
            create_session(&app, &ada).await["id"]
                .as_str()
                .expect("id")
                .to_owned(),
        );
    }
    let bob_session = create_session(&app, &bob).await;

    let listed = app.get(&format!("/sessions?user_id={ada}")).await.ok();
    let newest_first: Vec<&str> = ada_sessions.iter().rev().map(String::as_str).collect();
    assert_eq!(ids(&listed), newest_first);

    let page = app
        .get(&format!("/sessions?user_id={ada}&limit=2&offset=1"))
        .await
        .ok();
    assert_eq!(ids(&page), newest_first[1..3]);

    let paginated = app
        .get(&format!("/sessions?user_id={ada}&paginated=true&limit=1"))
        .await
        .ok();
    assert_eq!(paginated["total_count"], 3);
    assert_eq!(ids(&paginated["data"]), newest_first[..1]);

    let client = bob_session["client_id"].as_str().expect("client");
    let by_client = app.get(&format!("/sessions?client_id={client}")).await.ok();
    assert_eq!(ids(&by_client), [bob_session["id"].as_str().expect("id")]);

    app.post(&format!("/sessions/{}/revoke", ada_sessions[0]), json!({}))
        .await
        .ok();
    let revoked = app
        .get(&format!("/sessions?user_id={ada}&status=revoked"))
        .await
        .ok();
    assert_eq!(ids(&revoked), [ada_sessions[0].as_str()]);
    let active = app
        .get(&format!("/sessions?user_id={ada}&status=active"))
        .await
        .ok();
    assert_eq!(ids(&active), newest_first[..2]);

    let bad = app
        .get(&format!("/sessions?user_id={ada}&status=sleepy"))
        .await;
    bad.assert_error(422, "form_param_value_invalid");
    assert_eq!(bad.param(), "status");
    app.get(&format!("/sessions?user_id={ada}&limit=501"))
        .await
        .assert_error(422, "form_param_value_invalid");
}

#[tokio::test]
async fn revoking_is_final_and_repeatable() {
    let app = spawn_app().await;
    let user = user_id(&app).await;
    let id = create_session(&app, &user).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let revoked = app
        .post(&format!("/sessions/{id}/revoke"), json!({}))
        .await
        .ok();
    assert_eq!(revoked["status"], "revoked");
    let again = app
        .post(&format!("/sessions/{id}/revoke"), json!({}))
        .await
        .ok();
    assert_eq!(again["status"], "revoked");
    assert_eq!(
        app.get(&format!("/sessions/{id}")).await.ok()["status"],
        "revoked"
    );
}

#[tokio::test]
async fn a_ban_revokes_every_session_and_a_deletion_ends_them() {
    let app = spawn_app().await;
    let (banned, bulk_banned, deleted) = (
        user_id(&app).await,
        user_id(&app).await,
        user_id(&app).await,
    );
    for user in [&banned, &banned, &bulk_banned, &deleted, &deleted] {
        create_session(&app, user).await;
    }
    app.post(&format!("/users/{banned}/ban"), json!({}))
        .await
        .ok();
    app.post("/users/ban", json!({"user_ids": [bulk_banned]}))
        .await
        .ok();
    app.delete(&format!("/users/{deleted}")).await.ok();
    for (user, status, count) in [
        (&banned, "revoked", 2),
        (&bulk_banned, "revoked", 1),
        (&deleted, "ended", 2),
    ] {
        let sessions = app.get(&format!("/sessions?user_id={user}")).await.ok();
        let statuses: Vec<&Value> = sessions
            .as_array()
            .expect("array")
            .iter()
            .map(|s| &s["status"])
            .collect();
        assert_eq!(statuses, vec![&json!(status); count], "{user}");
    }
    // Unbanning does not bring a revoked session back.
    app.post(&format!("/users/{banned}/unban"), json!({}))
        .await
        .ok();
    let active = app
        .get(&format!("/sessions?user_id={banned}&status=active"))
        .await
        .ok();
    assert_eq!(active, json!([]));
}

/// Session writes (revoke, token) and user writes that close sessions (a ban) touch the same
/// two rows; on PostgreSQL they must lock them in one order, or concurrent ones deadlock and
/// one of them fails with a server error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_writes_racing_a_ban_never_fail() {
    let app = spawn_app().await;
    for round in 0..3 {
        let user = user_id(&app).await;
        let mut sessions = Vec::new();
        for _ in 0..6 {
            sessions.push(
                create_session(&app, &user).await["id"]
                    .as_str()
                    .expect("id")
                    .to_owned(),
            );
        }
        let paths: Vec<String> = sessions
            .iter()
            .enumerate()
            .map(|(n, session)| {
                let action = if n % 2 == 0 { "revoke" } else { "tokens" };
                format!("/sessions/{session}/{action}")
            })
            .collect();
        let requests = paths.iter().map(|path| app.post(path, json!({})));
        let ban_path = format!("/users/{user}/ban");
        let ban = app.post(&ban_path, json!({}));
        let (replies, ban) = tokio::join!(futures::future::join_all(requests), ban);
        assert_eq!(ban.status.as_u16(), 200, "round {round}: {}", ban.body);
        for reply in replies {
            // A token for a session the ban already revoked is refused, never a 5xx.
            assert!(
                reply.status.is_success() || reply.status.is_client_error(),
                "round {round}: {} {}",
                reply.status,
                reply.body
            );
        }
        let active = app
            .get(&format!("/sessions?user_id={user}&status=active"))
            .await
            .ok();
        assert_eq!(active.as_array().map(Vec::len), Some(0), "round {round}");
    }
}

/// A session id of the wrong kind or malformed, and a malformed user id in a new session's
/// body, get exactly the answers unknown well-formed ones get, quoting the id as given.
#[tokio::test]
async fn malformed_session_and_user_ids_get_the_unknown_id_answer() {
    let app = spawn_app().await;
    let unknown = "sess_2g7np7Hrk0SN6kj5EDMLDaKNL0S";
    let headers = [("content-type", "application/json")];
    let answer = |reply: crate::helpers::Reply, id: &str| {
        let mut body = reply.body;
        body.as_object_mut()
            .map(|body| body.remove("clerk_trace_id"));
        (reply.status, body.to_string().replace(id, "{id}"))
    };
    let requests: [(reqwest::Method, &str, &str); 5] = [
        (reqwest::Method::GET, "", ""),
        (reqwest::Method::POST, "/revoke", "{}"),
        (reqwest::Method::POST, "/tokens", "{}"),
        (
            reqwest::Method::POST,
            "/tokens",
            r#"{"expires_in_seconds": -5}"#,
        ),
        (
            reqwest::Method::POST,
            "/tokens",
            r#"{"expires_in_seconds": 120}"#,
        ),
    ];
    for (method, tail, body) in requests {
        let malformed = [
            "user_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
            "sess_a-b",
            "sess_",
            "ses_abc",
        ];
        let path = format!("/sessions/{{id}}{tail}");
        app.assert_answered_as_unknown(method, &path, body, unknown, &malformed)
            .await;
    }
    let create = |user_id: &str| json!({ "user_id": user_id }).to_string();
    let expected = app
        .raw(
            reqwest::Method::POST,
            "/sessions",
            &headers,
            &create("user_2g7np7Hrk0SN6kj5EDMLDaKNL0S"),
        )
        .await;
    // The answer quotes no id.
    let expected = answer(expected, "\0");
    for id in ["sess_2g7np7Hrk0SN6kj5EDMLDaKNL0S", "user_a-b", "user_"] {
        let reply = app
            .raw(reqwest::Method::POST, "/sessions", &headers, &create(id))
            .await;
        assert_eq!(answer(reply, "\0"), expected, "POST /sessions user_id {id}");
    }
}
