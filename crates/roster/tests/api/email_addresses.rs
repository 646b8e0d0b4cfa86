//! `/email_addresses`: create, read, update, delete, `PUT /users/{id}/email_address`, and the
//! rules that guard them (one verified primary, case-insensitive uniqueness, no deleting the
//! primary or the last identifier), each refusal checked to change nothing.

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

async fn user_with_email(app: &TestApp, email: &str) -> Value {
    app.create_user(json!({"email_address": [email]})).await
}

fn id(value: &Value) -> String {
    value["id"].as_str().expect("id").to_owned()
}

fn emails(user: &Value) -> Vec<String> {
    user["email_addresses"]
        .as_array()
        .expect("email_addresses")
        .iter()
        .map(|e| e["email_address"].as_str().expect("address").to_owned())
        .collect()
}

/// The user with its volatile stamp removed, to compare before and after a refusal.
async fn snapshot(app: &TestApp, user_id: &str) -> Value {
    let mut user = app.user(user_id).await;
    user["updated_at"] = Value::Null;
    user
}

#[tokio::test]
async fn an_address_is_added_verified_made_primary_and_deleted() {
    let app = spawn_app().await;
    let user = user_with_email(&app, "first@example.com").await;
    let user_id = id(&user);
    let first_id = user["primary_email_address_id"]
        .as_str()
        .expect("primary")
        .to_owned();

    let added = app
        .post(
            "/email_addresses",
            json!({"user_id": user_id, "email_address": "Second@Example.com"}),
        )
        .await
        .ok();
    assert_eq!(added["object"], "email_address");
    assert_eq!(added["email_address"], "Second@Example.com");
    assert_eq!(added["reserved"], false);
    assert_eq!(added["verification"], Value::Null);
    assert_eq!(added["linked_to"], json!([]));
    let second_id = id(&added);
    assert_eq!(
        app.get(&format!("/email_addresses/{second_id}")).await.ok(),
        added
    );
    let user = app.user(&user_id).await;
    assert_eq!(emails(&user), ["first@example.com", "Second@Example.com"]);
    assert_eq!(user["primary_email_address_id"], first_id.as_str());

    let verified = app
        .patch(
            &format!("/email_addresses/{second_id}"),
            json!({"verified": true}),
        )
        .await
        .ok();
    assert_eq!(verified["verification"]["object"], "verification_admin");
    assert_eq!(verified["verification"]["status"], "verified");

    app.patch(
        &format!("/email_addresses/{second_id}"),
        json!({"primary": true}),
    )
    .await
    .ok();
    assert_eq!(
        app.user(&user_id).await["primary_email_address_id"],
        second_id.as_str()
    );

    let deleted = app
        .delete(&format!("/email_addresses/{first_id}"))
        .await
        .ok();
    assert_eq!(
        deleted,
        json!({"object": "email_address", "id": first_id, "deleted": true})
    );
    assert_eq!(emails(&app.user(&user_id).await), ["Second@Example.com"]);
    app.get(&format!("/email_addresses/{first_id}"))
        .await
        .assert_error(404, "resource_not_found");
}

#[tokio::test]
async fn the_first_address_becomes_primary_and_a_verified_one_can_be_made_primary_at_once() {
    let app = spawn_app().await;
    let user = app.create_user(json!({"username": "no_email_yet"})).await;
    let user_id = id(&user);
    let first = app
        .post(
            "/email_addresses",
            json!({"user_id": user_id, "email_address": "one@example.com", "verified": true}),
        )
        .await
        .ok();
    assert_eq!(
        app.user(&user_id).await["primary_email_address_id"],
        id(&first).as_str()
    );
    let second = app
        .post(
            "/email_addresses",
            json!({"user_id": user_id, "email_address": "two@example.com", "verified": true, "primary": true}),
        )
        .await
        .ok();
    assert_eq!(
        app.user(&user_id).await["primary_email_address_id"],
        id(&second).as_str()
    );
}

#[tokio::test]
async fn refused_creations_change_nothing() {
    let app = spawn_app().await;
    user_with_email(&app, "Taken@Example.com").await;
    let user = user_with_email(&app, "mine@example.com").await;
    let user_id = id(&user);
    let before = snapshot(&app, &user_id).await;

    let taken = app
        .post(
            "/email_addresses",
            json!({"user_id": user_id, "email_address": "taken@example.COM", "verified": true}),
        )
        .await;
    taken.assert_error(422, "form_identifier_exists");
    assert_eq!(taken.param(), "email_address");

    let own_again = app
        .post(
            "/email_addresses",
            json!({"user_id": user_id, "email_address": "MINE@example.com"}),
        )
        .await;
    own_again.assert_error(422, "form_identifier_exists");

    let malformed = app
        .post(
            "/email_addresses",
            json!({"user_id": user_id, "email_address": "not-an-email"}),
        )
        .await;
    malformed.assert_error(422, "form_param_format_invalid");
    assert_eq!(malformed.param(), "email_address");

    let unverified_primary = app
        .post(
            "/email_addresses",
            json!({"user_id": user_id, "email_address": "p@example.com", "primary": true}),
        )
        .await;
    unverified_primary.assert_error(422, "form_verification_needed");
    assert_eq!(unverified_primary.param(), "primary");

    app.post(
        "/email_addresses",
        json!({"email_address": "x@example.com"}),
    )
    .await
    .assert_error(422, "form_param_missing");
    app.post(
        "/email_addresses",
        json!({"user_id": user_id, "email_address": "x@example.com", "colour": "blue"}),
    )
    .await
    .assert_error(422, "form_param_unknown");
    app.post(
        "/email_addresses",
        json!({"user_id": "user_missing", "email_address": "x@example.com"}),
    )
    .await
    .assert_error(404, "resource_not_found");

    assert_eq!(snapshot(&app, &user_id).await, before);
    assert_eq!(app.count("email_address=p@example.com").await, 0);
}

#[tokio::test]
async fn refused_updates_and_deletions_change_nothing() {
    let app = spawn_app().await;
    let user = user_with_email(&app, "primary@example.com").await;
    let user_id = id(&user);
    let primary_id = user["primary_email_address_id"]
        .as_str()
        .expect("primary")
        .to_owned();
    let other = app
        .post(
            "/email_addresses",
            json!({"user_id": user_id, "email_address": "other@example.com"}),
        )
        .await
        .ok();
    let other_id = id(&other);
    let before = snapshot(&app, &user_id).await;

    let unverified = app
        .patch(
            &format!("/email_addresses/{other_id}"),
            json!({"primary": true}),
        )
        .await;
    unverified.assert_error(422, "form_verification_needed");
    assert_eq!(unverified.param(), "primary");

    let unverify_primary = app
        .patch(
            &format!("/email_addresses/{primary_id}"),
            json!({"verified": false}),
        )
        .await;
    unverify_primary.assert_error(422, "form_param_value_invalid");
    assert_eq!(unverify_primary.param(), "verified");

    app.patch(
        &format!("/email_addresses/{primary_id}"),
        json!({"primary": false}),
    )
    .await
    .assert_error(422, "form_param_value_invalid");

    let primary_delete = app.delete(&format!("/email_addresses/{primary_id}")).await;
    primary_delete.assert_error(400, "identification_deletion_failed");

    for path in ["/email_addresses/idn_missing"] {
        app.get(path).await.assert_error(404, "resource_not_found");
        app.patch(path, json!({"verified": true}))
            .await
            .assert_error(404, "resource_not_found");
        app.delete(path)
            .await
            .assert_error(404, "resource_not_found");
    }
    // A phone number's id is not an email address's.
    let phone_user = app
        .create_user(json!({"phone_number": ["+15555550142"]}))
        .await;
    let phone_id = phone_user["primary_phone_number_id"]
        .as_str()
        .expect("phone");
    app.get(&format!("/email_addresses/{phone_id}"))
        .await
        .assert_error(404, "resource_not_found");

    assert_eq!(snapshot(&app, &user_id).await, before);

    // The sole identifier of a user stays.
    let lonely = user_with_email(&app, "lonely@example.com").await;
    let lonely_email = lonely["primary_email_address_id"]
        .as_str()
        .expect("primary");
    app.delete(&format!("/email_addresses/{lonely_email}"))
        .await
        .assert_error(400, "identification_deletion_failed");
    assert_eq!(
        emails(&app.user(&id(&lonely)).await),
        ["lonely@example.com"]
    );
}

#[tokio::test]
async fn the_last_address_of_a_required_kind_stays() {
    let mut settings = roster_domain::InstanceSettings::default();
    settings.email_address.required = true;
    let app = crate::helpers::spawn_app_with(settings).await;
    let user = app
        .create_user(json!({"email_address": ["req@example.com"], "username": "has_name"}))
        .await;
    let email_id = user["primary_email_address_id"].as_str().expect("primary");
    app.delete(&format!("/email_addresses/{email_id}"))
        .await
        .assert_error(400, "last_required_identification_deletion_failed");
    assert_eq!(emails(&app.user(&id(&user)).await), ["req@example.com"]);
}

#[tokio::test]
async fn put_replaces_every_address_with_one_primary() {
    let app = spawn_app().await;
    let user = app
        .create_user(json!({"email_address": ["a@example.com", "b@example.com"]}))
        .await;
    let user_id = id(&user);
    let replaced = app
        .put(
            &format!("/users/{user_id}/email_address"),
            json!({"email_address": "c@example.com"}),
        )
        .await
        .ok();
    assert_eq!(replaced["verification"]["status"], "verified");
    let after = app.user(&user_id).await;
    assert_eq!(emails(&after), ["c@example.com"]);
    assert_eq!(after["primary_email_address_id"], replaced["id"]);
    assert_eq!(app.count("email_address=a@example.com").await, 0);

    let reserved = app
        .put(
            &format!("/users/{user_id}/email_address"),
            json!({"email_address": "d@example.com", "identification_status": "reserved"}),
        )
        .await
        .ok();
    assert_eq!(reserved["reserved"], true);
    assert_eq!(reserved["verification"], Value::Null);

    // A taken address refuses the whole replacement.
    user_with_email(&app, "held@example.com").await;
    let before = snapshot(&app, &user_id).await;
    app.put(
        &format!("/users/{user_id}/email_address"),
        json!({"email_address": "HELD@example.com"}),
    )
    .await
    .assert_error(422, "form_identifier_exists");
    app.put(
        &format!("/users/{user_id}/email_address"),
        json!({"identification_status": "verified"}),
    )
    .await
    .assert_error(422, "form_param_missing");
    assert_eq!(snapshot(&app, &user_id).await, before);
    app.put(
        "/users/user_missing/email_address",
        json!({"email_address": "e@example.com"}),
    )
    .await
    .assert_error(404, "resource_not_found");
}

#[tokio::test]
async fn wallets_are_deleted_and_passkeys_or_external_accounts_are_not_found() {
    let app = spawn_app().await;
    let wallet = "0x52908400098527886E0F7030069857D2E4169EE7";
    let user = app
        .create_user(json!({"web3_wallet": [wallet], "username": "wallet_owner"}))
        .await;
    let user_id = id(&user);
    let wallet_id = user["primary_web3_wallet_id"]
        .as_str()
        .expect("wallet")
        .to_owned();
    let stranger = app.create_user(json!({"username": "stranger"})).await;

    app.delete(&format!(
        "/users/{}/web3_wallets/{wallet_id}",
        id(&stranger)
    ))
    .await
    .assert_error(404, "resource_not_found");
    app.delete(&format!("/users/user_missing/web3_wallets/{wallet_id}"))
        .await
        .assert_error(404, "resource_not_found");
    let deleted = app
        .delete(&format!("/users/{user_id}/web3_wallets/{wallet_id}"))
        .await
        .ok();
    assert_eq!(
        deleted,
        json!({"object": "web3_wallet", "id": wallet_id, "deleted": true})
    );
    let after = app.user(&user_id).await;
    assert_eq!(after["web3_wallets"], json!([]));
    assert_eq!(after["primary_web3_wallet_id"], Value::Null);

    for path in [
        format!("/users/{user_id}/passkeys/pk_missing"),
        format!("/users/{user_id}/external_accounts/eac_missing"),
        "/users/user_missing/passkeys/pk_missing".to_owned(),
    ] {
        app.delete(&path)
            .await
            .assert_error(404, "resource_not_found");
    }
}

#[tokio::test]
async fn wallets_created_with_a_user_must_be_well_formed() {
    let app = spawn_app().await;
    let reply = app.post("/users", json!({"web3_wallet": ["0x1234"]})).await;
    reply.assert_error(422, "form_param_format_invalid");
    assert_eq!(reply.param(), "web3_wallet");
}

/// An empty identifier is `form_param_nil` on each kind's `PUT`, as on its `POST`: both kinds
/// read their bodies alike.
#[tokio::test]
async fn an_empty_identifier_is_nil_on_put_as_on_post() {
    let app = spawn_app().await;
    let user = app
        .create_user(
            json!({"email_address": ["keep@example.com"], "phone_number": ["+15555550171"]}),
        )
        .await;
    let user_id = id(&user);
    let before = snapshot(&app, &user_id).await;
    for (kind, plural) in [
        ("email_address", "email_addresses"),
        ("phone_number", "phone_numbers"),
    ] {
        let put = app
            .put(&format!("/users/{user_id}/{kind}"), json!({kind: ""}))
            .await;
        put.assert_error(422, "form_param_nil");
        assert_eq!(put.param(), kind);
        let post = app
            .post(&format!("/{plural}"), json!({"user_id": user_id, kind: ""}))
            .await;
        post.assert_error(422, "form_param_nil");
        assert_eq!(post.param(), kind);
    }
    assert_eq!(snapshot(&app, &user_id).await, before);
}

/// An identification id of the wrong kind or malformed gets exactly the answer an unknown
/// well-formed one gets on the routes that read or change one, quoting the id as given.
#[tokio::test]
async fn malformed_identification_ids_get_the_unknown_id_answer() {
    use reqwest::Method;
    let app = spawn_app().await;
    let unknown = "idn_2g7np7Hrk0SN6kj5EDMLDaKNL0S";
    for kind in ["email_addresses", "phone_numbers"] {
        let requests = [
            (Method::GET, "", ""),
            (Method::PATCH, "", "{}"),
            (Method::PATCH, "", r#"{"verified": true}"#),
            (Method::POST, "/prepare_verification", "{}"),
            (Method::POST, "/attempt_verification", "{}"),
            (
                Method::POST,
                "/attempt_verification",
                r#"{"verification_id": "ver_x", "code": "123456"}"#,
            ),
        ];
        for (method, tail, body) in requests {
            let malformed = [
                "user_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
                "idn_a-b",
                "idn_",
                "id_abc",
            ];
            let path = format!("/{kind}/{{id}}{tail}");
            app.assert_answered_as_unknown(method, &path, body, unknown, &malformed)
                .await;
        }
    }
}
