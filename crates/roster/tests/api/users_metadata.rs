//! `PATCH` (deep merge) and `PUT` (replace) of `/users/{id}/metadata`.

use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn patch_merges_at_every_depth_and_null_deletes() {
    let app = spawn_app().await;
    let user = app
        .create_user(json!({
            "public_metadata": {"a": 1, "b": {"c": 2, "d": 3}, "e": [1, 2]},
            "private_metadata": {"keep": true},
        }))
        .await;
    let id = user["id"].as_str().expect("id");
    let merged = app
        .patch(
            &format!("/users/{id}/metadata"),
            json!({"public_metadata": {"b": {"c": null, "x": {"deep": null, "y": 9}}, "e": [3], "f": "new"}}),
        )
        .await
        .ok();
    assert_eq!(
        merged["public_metadata"],
        json!({"a": 1, "b": {"d": 3, "x": {"y": 9}}, "e": [3], "f": "new"})
    );
    assert_eq!(merged["private_metadata"], json!({"keep": true}));
    assert_eq!(
        app.user(id).await["public_metadata"],
        merged["public_metadata"]
    );

    let cleared = app
        .patch(
            &format!("/users/{id}/metadata"),
            json!({"private_metadata": null}),
        )
        .await
        .ok();
    assert_eq!(cleared["private_metadata"], json!({}));
    assert_eq!(cleared["public_metadata"], merged["public_metadata"]);
}

#[tokio::test]
async fn put_replaces_only_the_given_tiers() {
    let app = spawn_app().await;
    let user = app
        .create_user(json!({
            "public_metadata": {"a": {"b": 1}},
            "private_metadata": {"p": 1},
            "unsafe_metadata": {"u": 1},
        }))
        .await;
    let id = user["id"].as_str().expect("id");
    let replaced = app
        .put(
            &format!("/users/{id}/metadata"),
            json!({"public_metadata": {"a": {"c": 2}}, "unsafe_metadata": {}}),
        )
        .await
        .ok();
    assert_eq!(replaced["public_metadata"], json!({"a": {"c": 2}}));
    assert_eq!(replaced["private_metadata"], json!({"p": 1}));
    assert_eq!(replaced["unsafe_metadata"], json!({}));
}

#[tokio::test]
async fn bad_metadata_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let user = app.create_user(json!({"public_metadata": {"a": 1}})).await;
    let id = user["id"].as_str().expect("id");
    let path = format!("/users/{id}/metadata");
    let cases = [
        (json!({"public_metadata": [1]}), "form_param_value_invalid"),
        (
            json!({"public_metadata": {"ok": 1}, "private_metadata": "no"}),
            "form_param_value_invalid",
        ),
        (
            json!({"public_metadata": {"big": "x".repeat(9000)}}),
            "form_param_exceeds_allowed_size",
        ),
        (
            json!({"public_metadata": {"a": 2}, "other_metadata": {}}),
            "form_param_unknown",
        ),
    ];
    for (body, code) in cases {
        app.patch(&path, body.clone()).await.assert_error(422, code);
        app.put(&path, body).await.assert_error(422, code);
        assert_eq!(app.user(id).await, user);
    }
}
