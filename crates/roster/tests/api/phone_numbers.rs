//! `/phone_numbers`: E.164 validation, primary and second-factor rules, replacement, and
//! refusals that change nothing.

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

async fn snapshot(app: &TestApp, user_id: &str) -> Value {
    let mut user = app.user(user_id).await;
    user["updated_at"] = Value::Null;
    user
}

async fn add(app: &TestApp, body: Value) -> Value {
    app.post("/phone_numbers", body).await.ok()
}

#[tokio::test]
async fn numbers_are_added_updated_and_deleted() {
    let app = spawn_app().await;
    let user = app
        .create_user(json!({"phone_number": ["+15555550100"]}))
        .await;
    let user_id = user["id"].as_str().expect("id");
    let first_id = user["primary_phone_number_id"]
        .as_str()
        .expect("primary")
        .to_owned();
    let second = add(
        &app,
        json!({"user_id": user_id, "phone_number": "+4915112345678", "verified": true}),
    )
    .await;
    assert_eq!(second["object"], "phone_number");
    assert_eq!(second["reserved_for_second_factor"], false);
    assert_eq!(second["default_second_factor"], false);
    assert_eq!(second["backup_codes"], Value::Null);
    let second_id = second["id"].as_str().expect("id");
    assert_eq!(
        app.get(&format!("/phone_numbers/{second_id}")).await.ok(),
        second
    );

    app.patch(
        &format!("/phone_numbers/{second_id}"),
        json!({"primary": true}),
    )
    .await
    .ok();
    assert_eq!(
        app.user(user_id).await["primary_phone_number_id"],
        second_id
    );
    let deleted = app.delete(&format!("/phone_numbers/{first_id}")).await.ok();
    assert_eq!(
        deleted,
        json!({"object": "phone_number", "id": first_id, "deleted": true})
    );
    let numbers: Vec<Value> = app.user(user_id).await["phone_numbers"]
        .as_array()
        .expect("phone_numbers")
        .iter()
        .map(|p| p["phone_number"].clone())
        .collect();
    assert_eq!(numbers, [json!("+4915112345678")]);
}

#[tokio::test]
async fn numbers_must_be_e164_and_unique() {
    let app = spawn_app().await;
    app.create_user(json!({"phone_number": ["+15555550177"]}))
        .await;
    let user = app.create_user(json!({"username": "phone_rules"})).await;
    let user_id = user["id"].as_str().expect("id");
    let before = snapshot(&app, user_id).await;
    for bad in [
        "5555550100",
        "+1 555 555 0100",
        "+0123456",
        "+999123456789",
        "phone",
    ] {
        let reply = app
            .post(
                "/phone_numbers",
                json!({"user_id": user_id, "phone_number": bad}),
            )
            .await;
        reply.assert_error(422, "form_param_format_invalid");
        assert_eq!(reply.param(), "phone_number");
    }
    let taken = app
        .post(
            "/phone_numbers",
            json!({"user_id": user_id, "phone_number": "+15555550177"}),
        )
        .await;
    taken.assert_error(422, "form_identifier_exists");
    assert_eq!(taken.param(), "phone_number");
    assert_eq!(snapshot(&app, user_id).await, before);
}

#[tokio::test]
async fn only_verified_numbers_are_second_factors_and_one_is_the_default() {
    let app = spawn_app().await;
    let user = app.create_user(json!({"username": "two_factor"})).await;
    let user_id = user["id"].as_str().expect("id");
    let before = snapshot(&app, user_id).await;
    app.post(
        "/phone_numbers",
        json!({"user_id": user_id, "phone_number": "+15555550111", "reserved_for_second_factor": true}),
    )
    .await
    .assert_error(400, "identification_create_second_factor_unverified");
    assert_eq!(snapshot(&app, user_id).await, before);

    let first = add(
        &app,
        json!({"user_id": user_id, "phone_number": "+15555550111", "verified": true, "reserved_for_second_factor": true}),
    )
    .await;
    assert_eq!(first["reserved_for_second_factor"], true);
    assert_eq!(first["default_second_factor"], true);
    let second = add(
        &app,
        json!({"user_id": user_id, "phone_number": "+15555550112", "verified": true, "reserved_for_second_factor": true}),
    )
    .await;
    assert_eq!(second["default_second_factor"], false);
    let third = add(
        &app,
        json!({"user_id": user_id, "phone_number": "+15555550113"}),
    )
    .await;
    let third_id = third["id"].as_str().expect("id");
    app.patch(
        &format!("/phone_numbers/{third_id}"),
        json!({"reserved_for_second_factor": true}),
    )
    .await
    .assert_error(400, "identification_update_second_factor_unverified");

    let first_id = first["id"].as_str().expect("id");
    let unreserved = app
        .patch(
            &format!("/phone_numbers/{first_id}"),
            json!({"reserved_for_second_factor": false}),
        )
        .await
        .ok();
    assert_eq!(unreserved["default_second_factor"], false);
    let second = app
        .get(&format!(
            "/phone_numbers/{}",
            second["id"].as_str().expect("id")
        ))
        .await
        .ok();
    assert_eq!(second["default_second_factor"], true);
    // A second factor must stay verified.
    app.patch(
        &format!("/phone_numbers/{}", second["id"].as_str().expect("id")),
        json!({"verified": false}),
    )
    .await
    .assert_error(400, "identification_update_second_factor_unverified");
}

#[tokio::test]
async fn put_replaces_every_number() {
    let app = spawn_app().await;
    let user = app
        .create_user(json!({"phone_number": ["+15555550151", "+15555550152"]}))
        .await;
    let user_id = user["id"].as_str().expect("id");
    let replaced = app
        .put(
            &format!("/users/{user_id}/phone_number"),
            json!({"phone_number": "+15555550153", "identification_status": "unverified"}),
        )
        .await
        .ok();
    assert_eq!(replaced["verification"], Value::Null);
    assert_eq!(replaced["reserved"], false);
    assert_eq!(replaced["reserved_for_second_factor"], false);
    let after = app.user(user_id).await;
    assert_eq!(after["phone_numbers"].as_array().expect("numbers").len(), 1);
    assert_eq!(after["primary_phone_number_id"], replaced["id"]);
    app.put(
        &format!("/users/{user_id}/phone_number"),
        json!({"phone_number": "12"}),
    )
    .await
    .assert_error(422, "form_param_format_invalid");
}

#[tokio::test]
async fn a_second_factor_number_is_part_of_the_users_mfa() {
    let app = spawn_app().await;
    let user = app.create_user(json!({"username": "sms_factor"})).await;
    let user_id = user["id"].as_str().expect("id");
    assert_eq!(user["two_factor_enabled"], false);
    let number = add(
        &app,
        json!({"user_id": user_id, "phone_number": "+15555550161", "verified": true, "reserved_for_second_factor": true}),
    )
    .await;
    let with_sms = app.user(user_id).await;
    assert_eq!(with_sms["two_factor_enabled"], true);
    assert_eq!(with_sms["totp_enabled"], false);
    assert!(with_sms["mfa_enabled_at"].is_i64());
    // SMS codes are not TOTP codes.
    app.post(
        &format!("/users/{user_id}/verify_totp"),
        json!({"code": "123456"}),
    )
    .await
    .assert_error(400, "totp_disabled");

    app.delete(&format!("/users/{user_id}/mfa")).await.ok();
    let without = app.user(user_id).await;
    assert_eq!(without["two_factor_enabled"], false);
    assert!(without["mfa_disabled_at"].is_i64());
    assert_eq!(
        without["phone_numbers"][0]["reserved_for_second_factor"],
        false
    );
    assert_eq!(without["phone_numbers"][0]["id"], number["id"]);
}
