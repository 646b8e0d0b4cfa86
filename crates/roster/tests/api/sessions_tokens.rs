//! Session tokens: RS256 JWTs that verify against `GET /jwks`, with Clerk's claims, refused
//! for sessions that are no longer active; signing keys kept across restarts and rotated.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_app_configured};
use crate::sessions::create_session;

async fn session(app: &TestApp) -> (String, String) {
    let user = app.create_user(json!({"first_name": "T"})).await;
    let user = user["id"].as_str().expect("id").to_owned();
    let session = create_session(app, &user).await;
    (user, session["id"].as_str().expect("id").to_owned())
}

/// Verifies `jwt` with the key the JWKS publishes under its `kid`.
async fn verify(app: &TestApp, jwt: &str) -> Value {
    let header = jsonwebtoken::decode_header(jwt).expect("header");
    assert_eq!(header.alg, Algorithm::RS256);
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    let kid = header.kid.expect("kid");
    let jwks = app.get("/jwks").await.ok();
    let key = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .find(|key| key["kid"] == kid.as_str())
        .expect("the token's key is published");
    assert_eq!(
        (&key["kty"], &key["alg"], &key["use"]),
        (&json!("RSA"), &json!("RS256"), &json!("sig"))
    );
    let decoding = DecodingKey::from_rsa_components(
        key["n"].as_str().expect("n"),
        key["e"].as_str().expect("e"),
    )
    .expect("an RSA key");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_required_spec_claims(&["exp", "nbf", "sub", "iss"]);
    validation.validate_nbf = true;
    jsonwebtoken::decode::<Value>(jwt, &decoding, &validation)
        .expect("the token verifies")
        .claims
}

#[tokio::test]
async fn a_session_token_carries_clerks_claims_and_verifies_against_the_jwks() {
    let app = spawn_app().await;
    let (user, id) = session(&app).await;
    let before = app.user(&user).await["last_active_at"]
        .as_i64()
        .expect("set");
    let token = app
        .post(&format!("/sessions/{id}/tokens"), json!({}))
        .await
        .ok();
    assert_eq!(token["object"], "token");
    let claims = verify(&app, token["jwt"].as_str().expect("jwt")).await;
    assert_eq!(claims["sub"], user.as_str());
    assert_eq!(claims["sid"], id.as_str());
    assert_eq!(claims["iss"], app.base.as_str());
    assert_eq!(claims["v"], 2);
    let iat = claims["iat"].as_i64().expect("iat");
    assert_eq!(claims["exp"].as_i64(), Some(iat + 60));
    assert!(claims["nbf"].as_i64().expect("nbf") <= iat);

    let longer = app
        .post(
            &format!("/sessions/{id}/tokens"),
            json!({"expires_in_seconds": 3600}),
        )
        .await
        .ok();
    let claims = verify(&app, longer["jwt"].as_str().expect("jwt")).await;
    assert_eq!(
        claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat"),
        3600
    );
    // Issuing a token is activity.
    assert!(
        app.user(&user).await["last_active_at"]
            .as_i64()
            .expect("set")
            >= before
    );
    let session = app.get(&format!("/sessions/{id}")).await.ok();
    assert!(session["last_active_at"].as_i64().expect("set") >= before);
}

#[tokio::test]
async fn token_lifetimes_outside_clerks_range_are_refused() {
    let app = spawn_app().await;
    let (_, id) = session(&app).await;
    for seconds in [29, 315_360_001] {
        let reply = app
            .post(
                &format!("/sessions/{id}/tokens"),
                json!({"expires_in_seconds": seconds}),
            )
            .await;
        reply.assert_error(422, "form_param_value_invalid");
        assert_eq!(reply.param(), "expires_in_seconds");
    }
}

#[tokio::test]
async fn revoked_and_ended_sessions_get_no_tokens() {
    let app = spawn_app().await;
    let (_, revoked) = session(&app).await;
    app.post(&format!("/sessions/{revoked}/revoke"), json!({}))
        .await
        .ok();
    let reply = app
        .post(&format!("/sessions/{revoked}/tokens"), json!({}))
        .await;
    reply.assert_error(404, "resource_not_found");
    let (user, ended) = session(&app).await;
    app.delete(&format!("/users/{user}")).await.ok();
    app.post(&format!("/sessions/{ended}/tokens"), json!({}))
        .await
        .assert_error(404, "resource_not_found");
    app.post("/sessions/sess_missing/tokens", json!({}))
        .await
        .assert_error(404, "resource_not_found");
}

#[tokio::test]
async fn the_signing_key_is_created_once_private_and_kept_across_restarts() {
    let data_dir = tempfile::tempdir().expect("folder");
    let path = data_dir.path().to_path_buf();
    let first = spawn_app_configured(|config| config.data_dir = path.clone()).await;
    let kid = first.get("/jwks").await.ok()["keys"][0]["kid"].clone();
    let key_file = data_dir.path().join("session-signing-key.pem");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file)
            .expect("key file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let second = spawn_app_configured(|config| config.data_dir = path.clone()).await;
    assert_eq!(second.get("/jwks").await.ok()["keys"][0]["kid"], kid);
}

/// A key file that the earlier, `rsa`-crate backend wrote, with its `kid` then and a token it
/// signed (valid until 2100); see crates/roster-domain/testdata/.
const EARLIER_KEY_FILE: &str =
    include_str!("../../../roster-domain/testdata/session-signing-key-pkcs8.pem");
const EARLIER_KID: &str = "t5RQ01rfFumh8WBL0nZ6OTsBqrZ5bSaOcagaKFQj0Us";
const EARLIER_TOKEN: &str = concat!(
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsImtpZCI6InQ1UlEwMXJmRnVtaDhXQkwwblo2T1RzQnFyWjViU2FPY2FnYUtGUWowVXMifQ",
    ".eyJleHAiOjQxMDI0NDQ4MDAsImlhdCI6MTc2NzIyNTYwMCwiaXNzIjoiaHR0cHM6Ly9yb3N0ZXIuZXhhbXBsZSIsIm5iZiI6MTc2NzIyNTU5MCwic2lkIjoic2Vzc19maXh0dXJlIiwic3ViIjoidXNlcl9maXh0dXJlIiwidiI6Mn0",
    ".KY9zQLIEfKabsD-mpqW1hpsGwzynOJZ64XVUbSzbcCoxdWvEtSRNm-LdzVhpPDoPVE8I8NnU9ep0mf3p_b-EzXAFxfM8f-0Sxb2Yw30vnedYYJL0MTcMbrDg7uVi2M8KzZ0q1kl1fDcMr4HwBUVpi2-xYrwlsJ6r8ZB3PB_DsUPxTpJOjJ4T-HjInQmSbBxj7TLxInRbkT815ZRLIEiSz-gAIdI1qLSSs61fYSRnw0ylb9kMIHZo5_yFNq6xbwfsCv7Km1kpkZVTDOCOYS1Wruu3xqrrWXLaqK2jvZSioWgaenmUor-89HEVGzj4ah1QhaCWjCfUojseRmvpTUC4Lw",
);

#[tokio::test]
async fn a_key_file_from_an_earlier_version_keeps_its_kid_and_its_tokens() {
    let data_dir = tempfile::tempdir().expect("folder");
    std::fs::write(
        data_dir.path().join("session-signing-key.pem"),
        EARLIER_KEY_FILE,
    )
    .expect("key file");
    let path = data_dir.path().to_path_buf();
    let app = spawn_app_configured(|config| config.data_dir = path.clone()).await;
    let jwks = app.get("/jwks").await.ok();
    assert_eq!(jwks["keys"].as_array().expect("keys").len(), 1);
    assert_eq!(jwks["keys"][0]["kid"], EARLIER_KID);
    let earlier = verify(&app, EARLIER_TOKEN).await;
    assert_eq!(earlier["sub"], "user_fixture");

    let (user, id) = session(&app).await;
    let token = app
        .post(&format!("/sessions/{id}/tokens"), json!({}))
        .await
        .ok();
    let jwt = token["jwt"].as_str().expect("jwt");
    let kid = jsonwebtoken::decode_header(jwt).expect("header").kid;
    assert_eq!(kid.as_deref(), Some(EARLIER_KID));
    assert_eq!(verify(&app, jwt).await["sub"], user.as_str());
    assert_eq!(
        std::fs::read_to_string(data_dir.path().join("session-signing-key.pem")).expect("key file"),
        EARLIER_KEY_FILE,
        "the key file is left as it was"
    );
}

#[tokio::test]
async fn after_a_rotation_the_retired_key_is_still_published() {
    let old = roster_domain::SigningKeys::generate_pem().expect("key");
    let new = roster_domain::SigningKeys::generate_pem().expect("key");
    let before =
        spawn_app_configured(|config| config.session_signing_key = Some(old.clone())).await;
    let (_, id) = session(&before).await;
    let old_token = before
        .post(&format!("/sessions/{id}/tokens"), json!({}))
        .await
        .ok()["jwt"]
        .as_str()
        .expect("jwt")
        .to_owned();

    let after = spawn_app_configured(|config| {
        config.session_signing_key = Some(new.clone());
        config.retired_session_signing_keys = vec![old.clone()];
    })
    .await;
    let jwks = after.get("/jwks").await.ok();
    assert_eq!(jwks["keys"].as_array().expect("keys").len(), 2);
    // A token signed before the rotation still verifies against the new server's JWKS, and
    // new tokens are signed with the new key.
    verify(&after, &old_token).await;
    let (_, id) = session(&after).await;
    let new_token = after
        .post(&format!("/sessions/{id}/tokens"), json!({}))
        .await
        .ok();
    let kid = jsonwebtoken::decode_header(new_token["jwt"].as_str().expect("jwt"))
        .expect("header")
        .kid;
    assert_eq!(kid.as_deref(), jwks["keys"][0]["kid"].as_str());
}

#[tokio::test]
async fn a_session_in_an_organization_carries_clerks_organization_claims() {
    let app = spawn_app().await;
    let user = app
        .create_user(json!({"email_address": ["ada@example.com"]}))
        .await;
    let user = user["id"].as_str().expect("id").to_owned();
    let mut permission_ids = Vec::new();
    for key in ["org:billing:manage", "org:billing:read", "org:reports:read"] {
        let permission = app
            .post(
                "/organization_permissions",
                json!({"name": key, "key": key}),
            )
            .await
            .ok();
        permission_ids.push(permission["id"].as_str().expect("id").to_owned());
    }
    app.post(
        "/organization_roles",
        json!({"name": "Billing", "key": "org:billing_admin",
               "permissions": [permission_ids[0], permission_ids[1], permission_ids[2],
                               "perm_sysmembershipsread"]}),
    )
    .await
    .ok();
    let org = app
        .post("/organizations", json!({"name": "Acme", "slug": "acme"}))
        .await
        .ok();
    let org = org["id"].as_str().expect("id").to_owned();
    let other = app
        .post("/organizations", json!({"name": "Other"}))
        .await
        .ok();

    // Not a member yet: refused, and no session is made.
    let refused = app
        .post(
            "/sessions",
            json!({"user_id": user, "active_organization_id": org}),
        )
        .await;
    assert_eq!(
        (refused.status.as_u16(), refused.param()),
        (422, "active_organization_id")
    );
    let sessions = app.get(&format!("/sessions?user_id={user}")).await.ok();
    assert_eq!(sessions.as_array().map(Vec::len), Some(0));

    app.post(
        &format!("/organizations/{org}/memberships"),
        json!({"user_id": user, "role": "org:billing_admin"}),
    )
    .await
    .ok();
    let refused = app
        .post(
            "/sessions",
            json!({"user_id": user, "active_organization_id": other["id"]}),
        )
        .await;
    assert_eq!(refused.status, 422);
    let session = app
        .post(
            "/sessions",
            json!({"user_id": user, "active_organization_id": org}),
        )
        .await
        .ok();
    assert_eq!(session["last_active_organization_id"], org.as_str());
    let id = session["id"].as_str().expect("id");
    let token = app
        .post(&format!("/sessions/{id}/tokens"), json!({}))
        .await
        .ok();
    let claims = verify(&app, token["jwt"].as_str().expect("jwt")).await;
    assert_eq!(claims["v"], 2);
    assert_eq!(claims["o"]["id"], org.as_str());
    assert_eq!(claims["o"]["slg"], "acme");
    assert_eq!(claims["o"]["rol"], "billing_admin");
    // Actions manage, read; billing grants both (0b11), reports read (0b10); the system
    // permission is left out, as on Clerk.
    assert_eq!(claims["o"]["per"], "manage,read");
    assert_eq!(claims["o"]["fpm"], "3,2");
    assert_eq!(claims["fea"], "o:billing,o:reports");

    // A session without an organization carries none; nor one whose member left.
    let plain = crate::sessions::create_session(&app, &user).await;
    let plain_id = plain["id"].as_str().expect("id");
    let token = app
        .post(&format!("/sessions/{plain_id}/tokens"), json!({}))
        .await
        .ok();
    let claims = verify(&app, token["jwt"].as_str().expect("jwt")).await;
    assert!(claims.get("o").is_none() && claims.get("fea").is_none());
    app.delete(&format!("/organizations/{org}/memberships/{user}"))
        .await
        .ok();
    let token = app
        .post(&format!("/sessions/{id}/tokens"), json!({}))
        .await
        .ok();
    let claims = verify(&app, token["jwt"].as_str().expect("jwt")).await;
    assert!(claims.get("o").is_none());
}
