//! Ban, unban (one and many), lock and unlock.

use roster_domain::InstanceSettings;
use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn ban_and_unban_one_user() {
    let app = spawn_app().await;
    let user = app.create_user(json!({"first_name": "B"})).await;
    let id = user["id"].as_str().expect("id");
    assert_eq!(
        app.post(&format!("/users/{id}/ban"), json!({})).await.ok()["banned"],
        true
    );
    assert_eq!(app.user(id).await["banned"], true);
    assert_eq!(
        app.post(&format!("/users/{id}/unban"), json!({}))
            .await
            .ok()["banned"],
        false
    );
    assert_eq!(app.user(id).await["banned"], false);
}

#[tokio::test]
async fn bulk_ban_and_unban_return_the_users_in_order() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(
            app.create_user(json!({"first_name": format!("U{n}")}))
                .await["id"]
                .clone(),
        );
    }
    let banned = app
        .post(
            "/users/ban",
            json!({"user_ids": [ids[2], ids[0], ids[2], "user_unknown"]}),
        )
        .await
        .ok();
    let banned = banned.as_array().expect("array");
    assert_eq!(banned.len(), 2);
    assert_eq!(banned[0]["id"], ids[2]);
    assert_eq!(banned[1]["id"], ids[0]);
    assert!(banned.iter().all(|u| u["banned"] == true));
    assert_eq!(app.count("banned=true").await, 2);
    let unbanned = app
        .post("/users/unban", json!({"user_ids": [ids[0]]}))
        .await
        .ok();
    assert_eq!(unbanned[0]["banned"], false);
    assert_eq!(app.count("banned=true").await, 1);
}

#[tokio::test]
async fn bulk_requests_are_bounded_and_change_nothing_when_refused() {
    let app = spawn_app().await;
    let user = app.create_user(json!({})).await;
    app.post("/users/ban", json!({"user_ids": []}))
        .await
        .assert_error(422, "form_param_missing");
    app.post("/users/ban", json!({}))
        .await
        .assert_error(422, "form_param_missing");
    let mut many: Vec<serde_json::Value> = (0..50).map(|n| json!(format!("user_{n}"))).collect();
    many.push(user["id"].clone());
    app.post("/users/ban", json!({"user_ids": many}))
        .await
        .assert_error(422, "form_param_array_size_exceeded");
    assert_eq!(app.count("banned=true").await, 0);
}

#[tokio::test]
async fn lock_and_unlock() {
    let app = spawn_app().await;
    let user = app.create_user(json!({})).await;
    let id = user["id"].as_str().expect("id");
    let locked = app.post(&format!("/users/{id}/lock"), json!({})).await.ok();
    assert_eq!(locked["locked"], true);
    let expires = locked["lockout_expires_in_seconds"]
        .as_i64()
        .expect("expiry");
    assert!((3590..=3600).contains(&expires), "{expires}");
    assert_eq!(locked["verification_attempts_remaining"], 10);
    assert_eq!(app.user(id).await["locked"], true);
    let unlocked = app
        .post(&format!("/users/{id}/unlock"), json!({}))
        .await
        .ok();
    assert_eq!(unlocked["locked"], false);
    assert!(unlocked["lockout_expires_in_seconds"].is_null());
}

#[tokio::test]
async fn an_indefinite_lock_has_no_expiry() {
    let mut settings = InstanceSettings::default();
    settings.lockout.duration_seconds = 0;
    let app = spawn_app_with(settings).await;
    let id = app.create_user(json!({})).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let locked = app.post(&format!("/users/{id}/lock"), json!({})).await.ok();
    assert_eq!(locked["locked"], true);
    assert!(locked["lockout_expires_in_seconds"].is_null());
}

#[tokio::test]
async fn lock_is_forbidden_when_lockout_is_off() {
    let mut settings = InstanceSettings::default();
    settings.lockout.enabled = false;
    let app = spawn_app_with(settings).await;
    let user = app.create_user(json!({})).await;
    let id = user["id"].as_str().expect("id");
    assert!(user["verification_attempts_remaining"].is_null());
    app.post(&format!("/users/{id}/lock"), json!({}))
        .await
        .assert_error(403, "feature_not_enabled");
    assert_eq!(app.user(id).await["locked"], false);
    app.post("/users", json!({"locked": true}))
        .await
        .assert_error(422, "form_param_unknown");
}
