//! `POST /users`: the User object, identifiers, settings, and every refused input.

use roster_domain::InstanceSettings;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

/// Every key a strict SDK requires, present (null where empty), with the right types.
#[tokio::test]
async fn a_created_user_carries_every_required_key() {
    let app = spawn_app().await;
    let user = app
        .create_user(json!({
            "email_address": ["Ada@Example.com"],
            "phone_number": ["+15555550100"],
            "web3_wallet": ["0x52908400098527886E0F7030069857D2E4169EE7"],
            "username": "ada_l",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "locale": "en-GB",
            "external_id": "legacy-1",
            "public_metadata": {"role": "admin"},
            "private_metadata": {"tier": 3},
            "unsafe_metadata": {"theme": "dark"},
            "created_at": "2012-10-20T07:15:20.902Z",
            "legal_accepted_at": "2020-01-02T03:04:05.000Z",
            "delete_self_enabled": false,
            "create_organization_enabled": false,
            "create_organizations_limit": 3,
            "bypass_client_trust": true,
        }))
        .await;
    let id = user["id"].as_str().expect("id");
    assert!(id.starts_with("user_") && id.len() == 32, "{id}");
    assert_eq!(user["object"], "user");
    assert_eq!(user["created_at"], 1_350_717_320_902_i64);
    assert_eq!(user["legal_accepted_at"], 1_577_934_245_000_i64);
    assert!(user["updated_at"].as_i64().expect("updated_at") > 1_350_717_320_902);
    assert_eq!(user["delete_self_enabled"], false);
    assert_eq!(user["create_organization_enabled"], false);
    assert_eq!(user["create_organizations_limit"], 3);
    assert_eq!(user["bypass_client_trust"], true);
    assert_eq!(user["locale"], "en-GB");
    assert_eq!(user["public_metadata"], json!({"role": "admin"}));
    assert_eq!(user["private_metadata"], json!({"tier": 3}));
    assert_eq!(user["unsafe_metadata"], json!({"theme": "dark"}));

    let email = &user["email_addresses"][0];
    assert!(email["id"].as_str().expect("email id").starts_with("idn_"));
    assert_eq!(user["primary_email_address_id"], email["id"]);
    assert_eq!(email["object"], "email_address");
    assert_eq!(email["email_address"], "Ada@Example.com");
    assert_eq!(email["reserved"], false);
    assert_eq!(email["linked_to"], json!([]));
    assert_eq!(
        email["verification"],
        json!({"object": "verification_admin", "status": "verified", "strategy": "admin", "attempts": null, "expire_at": null})
    );
    assert_eq!(user["phone_numbers"][0]["phone_number"], "+15555550100");
    assert_eq!(
        user["primary_phone_number_id"],
        user["phone_numbers"][0]["id"]
    );
    assert_eq!(user["web3_wallets"][0]["object"], "web3_wallet");
    assert_eq!(
        user["primary_web3_wallet_id"],
        user["web3_wallets"][0]["id"]
    );

    for key in [
        "passkeys",
        "external_accounts",
        "saml_accounts",
        "enterprise_accounts",
    ] {
        assert_eq!(user[key], json!([]), "{key}");
    }
    let nullable = [
        "last_sign_in_at",
        "last_active_at",
        "mfa_enabled_at",
        "mfa_disabled_at",
        "lockout_expires_in_seconds",
        "password_last_updated_at",
    ];
    for key in nullable {
        assert!(
            user.get(key).is_some_and(Value::is_null),
            "{key} must be present and null"
        );
    }
    for key in [
        "banned",
        "locked",
        "password_enabled",
        "two_factor_enabled",
        "totp_enabled",
        "backup_code_enabled",
        "has_image",
        "requires_password_reset",
    ] {
        assert_eq!(user[key], false, "{key}");
    }
    assert_eq!(user["verification_attempts_remaining"], 10);
    // What was returned is what is stored.
    assert_eq!(app.user(id).await, user);
}

#[tokio::test]
async fn a_minimal_user_has_nulls_and_defaults() {
    let app = spawn_app().await;
    let user = app.create_user(json!({})).await;
    for key in [
        "username",
        "first_name",
        "last_name",
        "external_id",
        "primary_email_address_id",
        "primary_phone_number_id",
        "primary_web3_wallet_id",
        "locale",
        "create_organizations_limit",
        "legal_accepted_at",
    ] {
        assert!(user.get(key).is_some_and(Value::is_null), "{key}");
    }
    assert_eq!(user["public_metadata"], json!({}));
    assert_eq!(user["delete_self_enabled"], true);
    assert_eq!(user["create_organization_enabled"], true);
}

#[tokio::test]
async fn only_the_first_identifier_of_each_kind_is_primary_and_reserved_ones_are_unverified() {
    let app = spawn_app().await;
    let user = app
        .create_user(json!({
            "email_address": ["one@example.com", "two@example.com"],
            "email_address_identification_status": ["verified", "reserved"],
            "phone_number": ["+15555550101", "+15555550102"],
        }))
        .await;
    let emails = user["email_addresses"].as_array().expect("emails");
    assert_eq!(emails.len(), 2);
    assert_eq!(user["primary_email_address_id"], emails[0]["id"]);
    assert_eq!(emails[1]["reserved"], true);
    assert!(emails[1]["verification"].is_null());
    assert_eq!(
        user["primary_phone_number_id"],
        user["phone_numbers"][0]["id"]
    );
}

async fn assert_refused(app: &TestApp, body: Value, code: &str, param: &str) {
    let before = app.count("").await;
    let reply = app.post("/users", body.clone()).await;
    reply.assert_error(422, code);
    assert_eq!(reply.param(), param, "for {body}");
    assert_eq!(
        app.count("").await,
        before,
        "a refused create stored a user: {body}"
    );
}

#[tokio::test]
async fn identifiers_are_unique_across_the_instance_ignoring_case() {
    let app = spawn_app().await;
    app.sample_user("taken").await;
    assert_refused(
        &app,
        json!({"email_address": ["TAKEN@example.COM"]}),
        "form_identifier_exists",
        "email_address",
    )
    .await;
    assert_refused(
        &app,
        json!({"username": "USER_TAKEN"}),
        "form_identifier_exists",
        "username",
    )
    .await;
    assert_refused(
        &app,
        json!({"external_id": "ext-taken"}),
        "form_identifier_exists",
        "external_id",
    )
    .await;
    let phone =
        app.get("/users?username=user_taken").await.ok()[0]["phone_numbers"][0]["phone_number"]
            .clone();
    assert_refused(
        &app,
        json!({"phone_number": [phone]}),
        "form_identifier_exists",
        "phone_number",
    )
    .await;
    // The clash in the second email must not leave the first one behind.
    assert_refused(
        &app,
        json!({"email_address": ["fresh@example.com", "taken@example.com"]}),
        "form_identifier_exists",
        "email_address",
    )
    .await;
    app.create_user(json!({"email_address": ["fresh@example.com"]}))
        .await;
}

#[tokio::test]
async fn web3_wallets_are_unique_ignoring_hex_case() {
    let app = spawn_app().await;
    app.create_user(json!({"web3_wallet": ["0x52908400098527886E0F7030069857D2E4169EE7"]}))
        .await;
    assert_refused(
        &app,
        json!({"web3_wallet": ["0x52908400098527886e0f7030069857d2e4169ee7"]}),
        "form_identifier_exists",
        "web3_wallet",
    )
    .await;
}

#[tokio::test]
async fn badly_formed_values_are_refused_with_their_parameter() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"email_address": ["not-an-email"]}),
            "form_param_format_invalid",
            "email_address",
        ),
        (
            json!({"phone_number": ["5555550100"]}),
            "form_param_format_invalid",
            "phone_number",
        ),
        (
            json!({"web3_wallet": ["0x1234"]}),
            "form_param_format_invalid",
            "web3_wallet",
        ),
        (
            json!({"locale": "not a locale"}),
            "form_param_format_invalid",
            "locale",
        ),
        (
            json!({"username": "abc"}),
            "form_username_invalid_length",
            "username",
        ),
        (
            json!({"username": "has space"}),
            "form_username_invalid_character",
            "username",
        ),
        (
            json!({"username": "123456"}),
            "form_username_needs_non_number_char",
            "username",
        ),
        (
            json!({"created_at": "yesterday"}),
            "form_param_invalid_time",
            "created_at",
        ),
        (
            json!({"created_at": "2999-01-01T00:00:00Z"}),
            "form_disallow_future_date",
            "created_at",
        ),
        (
            json!({"legal_accepted_at": "2020-13-45"}),
            "form_param_invalid_time",
            "legal_accepted_at",
        ),
        (
            json!({"email_address": ["a@example.com", "A@example.com"]}),
            "form_param_duplicate",
            "email_address",
        ),
        (
            json!({"email_address": ["a@example.com"], "email_address_identification_status": ["verified", "reserved"]}),
            "form_param_array_length_mismatch",
            "email_address_identification_status",
        ),
        (
            json!({"public_metadata": "text"}),
            "form_param_value_invalid",
            "public_metadata",
        ),
        (
            json!({"private_metadata": [1, 2]}),
            "form_param_value_invalid",
            "private_metadata",
        ),
        (
            json!({"public_metadata": {"big": "x".repeat(9000)}}),
            "form_param_exceeds_allowed_size",
            "public_metadata",
        ),
        (
            json!({"first_name": 5}),
            "form_param_value_invalid",
            "first_name",
        ),
        (
            json!({"email_address": "single@example.com"}),
            "form_param_value_invalid",
            "email_address",
        ),
        (
            json!({"create_organizations_limit": -1}),
            "form_param_value_invalid",
            "create_organizations_limit",
        ),
        (
            json!({"first_name": "x".repeat(257)}),
            "form_param_max_length_exceeded",
            "first_name",
        ),
        (json!({"nickname": "Ada"}), "form_param_unknown", "nickname"),
        (
            json!({"email_address_identification_status": ["pending"], "email_address": ["p@example.com"]}),
            "form_param_value_invalid",
            "email_address_identification_status",
        ),
    ];
    for (body, code, param) in cases {
        assert_refused(&app, body, code, param).await;
    }
}

#[tokio::test]
async fn every_unknown_key_is_named() {
    let app = spawn_app().await;
    let reply = app
        .post("/users", json!({"nickname": "a", "shoe_size": 9}))
        .await;
    reply.assert_error(422, "form_param_unknown");
    let params: Vec<&str> = reply.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["meta"]["param_name"].as_str().expect("param"))
        .collect();
    assert_eq!(params, ["nickname", "shoe_size"]);
}

#[tokio::test]
async fn explicit_off_values_are_accepted() {
    let app = spawn_app().await;
    // Explicit "off" values change nothing and are accepted.
    let user = app
        .create_user(json!({"skip_password_checks": false, "password": null, "backup_codes": []}))
        .await;
    assert_eq!(user["password_enabled"], false);
    assert_eq!(user["backup_code_enabled"], false);
}

#[tokio::test]
async fn instance_settings_require_and_disable_attributes() {
    let mut settings = InstanceSettings::default();
    settings.email_address.required = true;
    settings.web3_wallet.enabled = false;
    settings.last_name.required = true;
    let app = spawn_app_with(settings).await;
    assert_refused(
        &app,
        json!({"last_name": "L", "username": "no_email"}),
        "form_data_missing",
        "email_address",
    )
    .await;
    assert_refused(
        &app,
        json!({"email_address": ["a@example.com"]}),
        "form_data_missing",
        "last_name",
    )
    .await;
    assert_refused(
        &app,
        json!({"email_address": ["a@example.com"], "last_name": "L", "web3_wallet": ["0x52908400098527886E0F7030069857D2E4169EE7"]}),
        "form_param_unknown",
        "web3_wallet",
    )
    .await;
    // skip_user_requirement relaxes the identifier requirement, but one enabled identifier
    // must still be given.
    app.create_user(
        json!({"username": "skipper", "last_name": "L", "skip_user_requirement": true}),
    )
    .await;
    assert_refused(
        &app,
        json!({"last_name": "L", "skip_user_requirement": true}),
        "form_data_missing",
        "identifier",
    )
    .await;
}

#[tokio::test]
async fn legal_consent_can_be_required_and_skipped() {
    let settings = InstanceSettings {
        legal_consent_required: true,
        ..InstanceSettings::default()
    };
    let app = spawn_app_with(settings).await;
    assert_refused(
        &app,
        json!({"first_name": "A"}),
        "form_data_missing",
        "legal_accepted_at",
    )
    .await;
    app.create_user(json!({"first_name": "A", "skip_legal_checks": true}))
        .await;
    app.create_user(json!({"first_name": "B", "legal_accepted_at": "2024-01-01T00:00:00Z"}))
        .await;
}

#[tokio::test]
async fn users_can_be_created_banned_or_locked() {
    let app = spawn_app().await;
    let user = app
        .create_user(json!({"banned": true, "locked": true}))
        .await;
    assert_eq!(user["banned"], true);
    assert_eq!(user["locked"], true);
    let remaining = user["lockout_expires_in_seconds"].as_i64().expect("expiry");
    assert!((3590..=3600).contains(&remaining), "{remaining}");
}
