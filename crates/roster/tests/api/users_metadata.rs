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

/// Clerk takes a tier as a string holding a JSON object (migration tools send `"{}"`), on
/// create, update and both metadata endpoints, for every tier.
#[tokio::test]
async fn a_tier_given_as_a_json_object_string_is_that_object() {
    let app = spawn_app().await;
    let user = app
        .create_user(json!({
            "public_metadata": "{\"plan\": \"pro\", \"seats\": {\"used\": 2}}",
            "private_metadata": "{}",
            "unsafe_metadata": " {\"theme\": \"dark\"} ",
        }))
        .await;
    assert_eq!(
        user["public_metadata"],
        json!({"plan": "pro", "seats": {"used": 2}})
    );
    assert_eq!(user["private_metadata"], json!({}));
    assert_eq!(user["unsafe_metadata"], json!({"theme": "dark"}));
    let id = user["id"].as_str().expect("id");

    let updated = app
        .patch(
            &format!("/users/{id}"),
            json!({"private_metadata": "{\"crm\": 7}"}),
        )
        .await
        .ok();
    assert_eq!(updated["private_metadata"], json!({"crm": 7}));

    let merged = app
        .patch(
            &format!("/users/{id}/metadata"),
            json!({"public_metadata": "{\"seats\": {\"total\": 5}}"}),
        )
        .await
        .ok();
    assert_eq!(
        merged["public_metadata"],
        json!({"plan": "pro", "seats": {"used": 2, "total": 5}})
    );

    let replaced = app
        .put(
            &format!("/users/{id}/metadata"),
            json!({"unsafe_metadata": "{\"theme\": \"light\"}"}),
        )
        .await
        .ok();
    assert_eq!(replaced["unsafe_metadata"], json!({"theme": "light"}));
    assert_eq!(app.user(id).await, replaced);
}

/// A string that is not a JSON object (not JSON at all, an array, a number, a string) is
/// still refused, everywhere, and changes nothing.
#[tokio::test]
async fn a_tier_given_as_any_other_string_is_refused() {
    let app = spawn_app().await;
    let user = app.create_user(json!({"public_metadata": {"a": 1}})).await;
    let id = user["id"].as_str().expect("id");
    for text in ["no", "[1]", "42", "\"{}\"", "null", "", "{\"open\": "] {
        let body = json!({"public_metadata": text});
        app.post("/users", body.clone())
            .await
            .assert_error(422, "form_param_value_invalid");
        app.patch(&format!("/users/{id}"), body.clone())
            .await
            .assert_error(422, "form_param_value_invalid");
        let path = format!("/users/{id}/metadata");
        app.patch(&path, body.clone())
            .await
            .assert_error(422, "form_param_value_invalid");
        app.put(&path, body)
            .await
            .assert_error(422, "form_param_value_invalid");
        assert_eq!(app.user(id).await, user);
    }
    assert_eq!(app.count("").await, 1);
}
