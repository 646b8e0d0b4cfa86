//! `roster export` and `GET /v1/users/export`: every user in Roster's own format, which
//! `roster import --from roster` reads back into an empty instance as the same users.

use serde_json::{Value, json};

use crate::helpers::{TOTP_SECRET, TestApp, run_roster, spawn_app, totp_code};
use crate::users_passwords::verify;

const PASSWORD: &str = "a long and unusual pass phrase";

/// Users with every field an export carries.
async fn populate(app: &TestApp) -> Vec<Value> {
    let full = app
        .create_user(json!({
            "external_id": "legacy-1",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "locale": "en-GB",
            "username": "ada_lovelace",
            "email_address": ["ada@x.test", "ada.old@x.test"],
            "email_address_identification_status": ["verified", "reserved"],
            "phone_number": ["+12125550100"],
            "password": PASSWORD,
            "totp_secret": TOTP_SECRET,
            "public_metadata": {"plan": "pro", "seats": [1, 2]},
            "private_metadata": {"crm": {"id": 7}},
            "unsafe_metadata": {"theme": "dark"},
            "created_at": "2020-02-03T04:05:06.789Z",
            "legal_accepted_at": "2021-01-01T00:00:00.000Z",
            "delete_self_enabled": false,
            "create_organization_enabled": false,
            "create_organizations_limit": 3,
            "bypass_client_trust": true,
        }))
        .await;
    let banned = app
        .create_user(json!({"email_address": ["ban@x.test"], "skip_password_requirement": true}))
        .await;
    let id = banned["id"].as_str().expect("id");
    let banned = app.post(&format!("/users/{id}/ban"), json!({})).await.ok();
    let bare = app
        .create_user(json!({"username": "bare", "skip_password_requirement": true}))
        .await;
    vec![full, banned, bare]
}

/// What must come back the same: everything but the ids, which the new instance mints, and
/// `updated_at`.
fn portable(user: &Value) -> Value {
    let identifiers = |key: &str, value_key: &str| -> Vec<Value> {
        user[key]
            .as_array()
            .expect("a list")
            .iter()
            .map(|i| json!([i[value_key], i["verification"]["status"]]))
            .collect()
    };
    json!({
        "external_id": user["external_id"],
        "username": user["username"],
        "first_name": user["first_name"],
        "last_name": user["last_name"],
        "locale": user["locale"],
        "emails": identifiers("email_addresses", "email_address"),
        "phones": identifiers("phone_numbers", "phone_number"),
        "public_metadata": user["public_metadata"],
        "private_metadata": user["private_metadata"],
        "unsafe_metadata": user["unsafe_metadata"],
        "password_enabled": user["password_enabled"],
        "totp_enabled": user["totp_enabled"],
        "banned": user["banned"],
        "created_at": user["created_at"],
        "legal_accepted_at": user["legal_accepted_at"],
        "delete_self_enabled": user["delete_self_enabled"],
        "create_organization_enabled": user["create_organization_enabled"],
        "create_organizations_limit": user["create_organizations_limit"],
        "bypass_client_trust": user["bypass_client_trust"],
    })
}

async fn by_username_or_email(app: &TestApp, original: &Value) -> Value {
    let query = match original["username"].as_str() {
        Some(username) => format!("username={username}"),
        None => format!(
            "email_address={}",
            original["email_addresses"][0]["email_address"]
                .as_str()
                .expect("email")
        ),
    };
    let page = app.get(&format!("/users?{query}")).await.ok();
    page.as_array().expect("page")[0].clone()
}

#[tokio::test]
async fn an_export_imported_into_an_empty_instance_gives_back_the_same_users() {
    let source = spawn_app().await;
    let originals = populate(&source).await;
    let folder = tempfile::tempdir().expect("folder");
    let file = folder.path().join("users.ndjson");
    let path = file.to_str().expect("UTF-8");
    let exported = run_roster(
        source.data_dir(),
        &[
            "export",
            "--to",
            "roster",
            "--output",
            path,
            "--include-secrets",
        ],
        &[("ROSTER_LOG", "warn")],
    )
    .await;
    assert!(exported.status.success(), "{exported:?}");
    assert!(String::from_utf8_lossy(&exported.stderr).contains("exported 3 users"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).expect("file").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let text = std::fs::read_to_string(&file).expect("export");
    assert_eq!(text.lines().count(), 3);
    assert!(text.contains(TOTP_SECRET), "secrets were asked for");

    let target = spawn_app().await;
    let imported = run_roster(
        target.data_dir(),
        &["import", path, "--from", "roster"],
        &[("ROSTER_LOG", "warn")],
    )
    .await;
    let summary = String::from_utf8_lossy(&imported.stderr).into_owned();
    assert!(
        summary.contains("imported 3, skipped 0, refused 0"),
        "{summary}"
    );
    assert_eq!(target.count("").await, 3);
    for original in &originals {
        let copy = by_username_or_email(&target, original).await;
        assert_eq!(portable(&copy), portable(original), "{}", original["id"]);
    }
    let ada = by_username_or_email(&target, &originals[0]).await;
    let ada_id = ada["id"].as_str().expect("id");
    verify(&target, ada_id, PASSWORD).await.ok();
    let totp = target
        .post(
            &format!("/users/{ada_id}/verify_totp"),
            json!({"code": totp_code(0)}),
        )
        .await
        .ok();
    assert_eq!(totp["verified"], true);
}

#[tokio::test]
async fn the_http_export_streams_the_same_records_and_keeps_secrets_unless_asked() {
    let app = spawn_app().await;
    populate(&app).await;
    let response = app
        .client
        .get(format!("{}/v1/users/export", app.base))
        .bearer_auth(&app.key)
        .send()
        .await
        .expect("export");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().expect("type"),
        "application/x-ndjson"
    );
    let text = response.text().await.expect("body");
    let records: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    assert_eq!(records.len(), 3);
    assert!(records.iter().all(|r| r["object"] == "roster_user_export"));
    let ada = records
        .iter()
        .find(|r| r["external_id"] == "legacy-1")
        .expect("Ada");
    assert_eq!(ada["totp_secret"], Value::Null, "no secrets unless asked");
    assert!(
        ada["password_digest"]
            .as_str()
            .expect("digest")
            .starts_with("$argon2id$")
    );
    assert_eq!(ada["password_hasher"], "argon2id");
    assert_eq!(
        ada["email_addresses"][0],
        json!({"value": "ada@x.test", "verified": true})
    );
    assert_eq!(
        ada["email_addresses"][1],
        json!({"value": "ada.old@x.test", "verified": false})
    );
    let with_secrets = app
        .client
        .get(format!("{}/v1/users/export?include_secrets=true", app.base))
        .bearer_auth(&app.key)
        .send()
        .await
        .expect("export")
        .text()
        .await
        .expect("body");
    assert!(with_secrets.contains(TOTP_SECRET));
    let anonymous = app
        .client
        .get(format!("{}/v1/users/export", app.base))
        .send()
        .await
        .expect("export");
    assert_eq!(anonymous.status(), 401);
    app.get("/users/export?include_secrets=maybe")
        .await
        .assert_error(422, "form_param_value_invalid");
}
