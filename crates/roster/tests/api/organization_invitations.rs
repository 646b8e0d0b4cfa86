//! Invitations: create (one or a batch), list (per organization, per user, per instance),
//! read, revoke; the e-mail queued with each; the refusals change nothing; creating a user
//! with an invited, verified address accepts the invitation (unless the organization is
//! full); deleting an organization ends its invitations; every change has its event.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::receiver::Receiver;

const DAY: i64 = 24 * 60 * 60 * 1000;

async fn user(app: &TestApp, name: &str) -> String {
    let user = app
        .create_user(json!({"first_name": name,
            "email_address": [format!("{}@example.com", name.to_lowercase())]}))
        .await;
    user["id"].as_str().expect("id").to_owned()
}

async fn organization(app: &TestApp, body: Value) -> String {
    let org = app.post("/organizations", body).await.ok();
    org["id"].as_str().expect("id").to_owned()
}

async fn invite(app: &TestApp, org: &str, body: Value) -> Value {
    app.post(&format!("/organizations/{org}/invitations"), body)
        .await
        .ok()
}

async fn invitation_mails(app: &TestApp) -> Vec<(String, String)> {
    app.outbox()
        .await
        .into_iter()
        .filter(|m| m.template == "organization_invitation")
        .map(|m| (m.recipient, m.body))
        .collect()
}

fn emails(page: &Value) -> Vec<&str> {
    page["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|i| i["email_address"].as_str().expect("email_address"))
        .collect()
}

#[tokio::test]
async fn invitations_are_created_listed_read_and_revoked() {
    let app = spawn_app().await;
    let ada = user(&app, "Ada").await;
    let org = organization(&app, json!({"name": "Acme", "created_by": ada})).await;
    let invited = invite(
        &app,
        &org,
        json!({"email_address": "bob@example.com", "role": "org:member",
               "inviter_user_id": ada, "public_metadata": {"team": "red"},
               "private_metadata": {"note": 1}, "redirect_url": "https://app.example.com/join"}),
    )
    .await;
    assert_eq!(invited["object"], "organization_invitation");
    let id = invited["id"].as_str().expect("id").to_owned();
    assert!(id.starts_with("orginv_"), "{id}");
    assert_eq!(invited["email_address"], "bob@example.com");
    assert_eq!(invited["role"], "org:member");
    assert_eq!(invited["role_name"], "Member");
    assert_eq!(invited["organization_id"], org);
    assert_eq!(invited["status"], "pending");
    assert_eq!(invited["inviter_id"], ada);
    assert_eq!(invited["public_inviter_data"]["user_id"], ada);
    assert_eq!(invited["public_inviter_data"]["first_name"], "Ada");
    assert_eq!(
        invited["public_inviter_data"]["identifier"],
        "ada@example.com"
    );
    assert_eq!(invited["public_metadata"], json!({"team": "red"}));
    assert_eq!(invited["private_metadata"], json!({"note": 1}));
    assert!(invited["url"].is_null());
    assert!(invited.get("public_organization_data").is_none());
    let created_at = invited["created_at"].as_i64().expect("created_at");
    assert_eq!(invited["expires_at"].as_i64(), Some(created_at + 30 * DAY));

    let mails = invitation_mails(&app).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].0, "bob@example.com");
    assert!(mails[0].1.contains("Acme") && mails[0].1.contains("https://app.example.com/join"));

    // Without an inviter, for a day, without an e-mail.
    let quiet = invite(
        &app,
        &org,
        json!({"email_address": "cy@example.com", "role": "org:admin",
               "expires_in_days": 1, "notify": false}),
    )
    .await;
    assert!(quiet["inviter_id"].is_null() && quiet["public_inviter_data"].is_null());
    let quiet_created = quiet["created_at"].as_i64().expect("created_at");
    assert_eq!(quiet["expires_at"].as_i64(), Some(quiet_created + DAY));
    assert_eq!(invitation_mails(&app).await.len(), 1);

    let bulk = app
        .post(
            &format!("/organizations/{org}/invitations/bulk"),
            json!([{"email_address": "dee@example.com", "role": "org:member"},
                   {"email_address": "eve@example.com", "role": "org:member"}]),
        )
        .await
        .ok();
    assert_eq!(emails(&bulk), ["dee@example.com", "eve@example.com"]);
    assert_eq!(bulk["total_count"], 2);
    assert_eq!(invitation_mails(&app).await.len(), 3);

    let path = format!("/organizations/{org}/invitations");
    let read = app.get(&format!("{path}/{id}")).await.ok();
    assert_eq!(read, invited);
    let all = app.get(&format!("{path}?order_by=created_at")).await.ok();
    assert_eq!(all["total_count"], 4);
    assert_eq!(emails(&all)[0], "bob@example.com");
    let by_address = app
        .get(&format!("{path}?email_address=BOB@example.com"))
        .await
        .ok();
    assert_eq!(emails(&by_address), ["bob@example.com"]);
    let by_mail_order = app
        .get(&format!("{path}?order_by=-email_address&limit=2"))
        .await
        .ok();
    assert_eq!(
        emails(&by_mail_order),
        ["eve@example.com", "dee@example.com"]
    );
    assert_eq!(by_mail_order["total_count"], 4);

    let revoked = app
        .post(
            &format!("{path}/{id}/revoke"),
            json!({"requesting_user_id": ada}),
        )
        .await
        .ok();
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(revoked["id"], id);
    let revoked_list = app.get(&format!("{path}?status=revoked")).await.ok();
    assert_eq!(emails(&revoked_list), ["bob@example.com"]);
    let pending = app.get(&format!("{path}?status=pending")).await.ok();
    assert_eq!(pending["total_count"], 3);
    let pending_route = app.get(&format!("{path}/pending?limit=2")).await.ok();
    assert_eq!(pending_route["total_count"], 3);
    assert_eq!(pending_route["data"].as_array().map(Vec::len), Some(2));
    let expired = app.get(&format!("{path}?status=expired")).await.ok();
    assert_eq!(expired["total_count"], 0);
    // Revoked once is revoked for good.
    app.post(&format!("{path}/{id}/revoke"), json!({}))
        .await
        .assert_error(400, "organization_invitation_not_pending");
    // A body-less revoke, as `@clerk/backend` may send it.
    let quiet_id = quiet["id"].as_str().expect("id");
    let reply = app
        .request(
            reqwest::Method::POST,
            &format!("{path}/{quiet_id}/revoke"),
            None,
        )
        .await
        .ok();
    assert_eq!(reply["status"], "revoked");

    // Instance-wide, with the organization's public data.
    let other = organization(&app, json!({"name": "Globex"})).await;
    invite(
        &app,
        &other,
        json!({"email_address": "dee@example.com", "role": "org:member"}),
    )
    .await;
    let instance = app
        .get("/organization_invitations?order_by=created_at")
        .await
        .ok();
    assert_eq!(instance["total_count"], 5);
    let first = &instance["data"][0];
    assert_eq!(first["public_organization_data"]["id"], org);
    assert_eq!(first["public_organization_data"]["name"], "Acme");
    assert_eq!(first["public_organization_data"]["has_image"], false);
    let by_query = app.get("/organization_invitations?query=globex").await.ok();
    assert_eq!(by_query["total_count"], 1);
    let by_status = app
        .get("/organization_invitations?status=revoked")
        .await
        .ok();
    assert_eq!(by_status["total_count"], 2);
    let by_dee = app.get("/organization_invitations?query=dee@").await.ok();
    assert_eq!(by_dee["total_count"], 2);
}

#[tokio::test]
async fn refusals_change_nothing() {
    let app = spawn_app().await;
    let ada = user(&app, "Ada").await;
    let bob = user(&app, "Bob").await;
    let org = organization(&app, json!({"name": "Acme", "created_by": ada})).await;
    app.post(
        &format!("/organizations/{org}/memberships"),
        json!({"user_id": bob, "role": "org:member"}),
    )
    .await
    .ok();
    invite(
        &app,
        &org,
        json!({"email_address": "cy@example.com", "role": "org:member"}),
    )
    .await;
    let path = format!("/organizations/{org}/invitations");
    let before = app.get("/organization_invitations").await.ok();
    let mails = invitation_mails(&app).await.len();

    let refusals = [
        (json!({"role": "org:member"}), 422, "email_address"),
        (json!({"email_address": "dee@example.com"}), 422, "role"),
        (
            json!({"email_address": "not-an-email", "role": "org:member"}),
            422,
            "email_address",
        ),
        (
            json!({"email_address": "dee@example.com", "role": "org:owner"}),
            422,
            "role",
        ),
        (
            json!({"email_address": "dee@example.com", "role": "org:member", "expires_in_days": 0}),
            422,
            "expires_in_days",
        ),
        (
            json!({"email_address": "dee@example.com", "role": "org:member", "expires_in_days": 366}),
            422,
            "expires_in_days",
        ),
        (
            json!({"email_address": "dee@example.com", "role": "org:member", "public_metadata": [1]}),
            422,
            "public_metadata",
        ),
        (
            json!({"email_address": "dee@example.com", "role": "org:member", "colour": "red"}),
            422,
            "colour",
        ),
    ];
    for (body, status, param) in refusals {
        let reply = app.post(&path, body.clone()).await;
        assert_eq!(reply.status, status, "{body}");
        assert_eq!(reply.param(), param, "{body}");
    }
    // Bob is a member, not an admin; Bob's address is a member's; Cy is invited already.
    app.post(
        &path,
        json!({"email_address": "dee@example.com", "role": "org:member", "inviter_user_id": bob}),
    )
    .await
    .assert_error(403, "not_an_admin_in_organization");
    app.post(
        &path,
        json!({"email_address": "BOB@example.com", "role": "org:member"}),
    )
    .await
    .assert_error(400, "already_a_member_in_organization");
    app.post(
        &path,
        json!({"email_address": "Cy@Example.com", "role": "org:admin"}),
    )
    .await
    .assert_error(400, "duplicate_record");
    // A batch with one bad item, a batch too large, an empty batch, a batch repeating itself.
    let bulk = format!("{path}/bulk");
    let bad_batch = json!([{"email_address": "dee@example.com", "role": "org:member"},
                           {"email_address": "eve@example.com", "role": "org:nobody"}]);
    assert_eq!(app.post(&bulk, bad_batch).await.status, 422);
    let eleven: Vec<Value> = (0..11)
        .map(|i| json!({"email_address": format!("u{i}@example.com"), "role": "org:member"}))
        .collect();
    assert_eq!(app.post(&bulk, json!(eleven)).await.status, 422);
    assert_eq!(app.post(&bulk, json!([])).await.status, 422);
    let twice = json!([{"email_address": "dee@example.com", "role": "org:member"},
                       {"email_address": "DEE@example.com", "role": "org:member"}]);
    app.post(&bulk, twice)
        .await
        .assert_error(400, "duplicate_record");
    // Nothing to find.
    app.post(
        "/organizations/org_missing/invitations",
        json!({"email_address": "dee@example.com", "role": "org:member"}),
    )
    .await
    .assert_error(404, "resource_not_found");
    app.get(&format!("{path}/orginv_missing"))
        .await
        .assert_error(404, "resource_not_found");
    app.post(&format!("{path}/orginv_missing/revoke"), json!({}))
        .await
        .assert_error(404, "resource_not_found");
    app.get("/organizations/org_missing/invitations")
        .await
        .assert_error(404, "resource_not_found");
    app.get("/users/user_missing/organization_invitations")
        .await
        .assert_error(404, "resource_not_found");
    assert_eq!(app.get(&format!("{path}?status=lost")).await.status, 422);
    assert_eq!(
        app.get("/organization_invitations?order_by=role")
            .await
            .status,
        422
    );
    // Only an admin revokes.
    let cy = app
        .get(&format!("{path}?email_address=cy@example.com"))
        .await
        .ok();
    let cy_id = cy["data"][0]["id"].as_str().expect("id").to_owned();
    app.post(
        &format!("{path}/{cy_id}/revoke"),
        json!({"requesting_user_id": bob}),
    )
    .await
    .assert_error(403, "not_an_admin_in_organization");

    assert_eq!(app.get("/organization_invitations").await.ok(), before);
    assert_eq!(invitation_mails(&app).await.len(), mails);
}

async fn subscribe(app: &TestApp, receiver: &Receiver) {
    let endpoint = app
        .post("/webhook_endpoints", json!({"url": receiver.url}))
        .await
        .ok();
    receiver.set_secret(endpoint["secret"].as_str().expect("secret"));
}

#[tokio::test]
async fn a_new_user_with_an_invited_address_becomes_a_member() {
    let app = spawn_app().await;
    let receiver = Receiver::up().await;
    subscribe(&app, &receiver).await;
    let ada = user(&app, "Ada").await;
    let org = organization(&app, json!({"name": "Acme", "created_by": ada})).await;
    let full = organization(
        &app,
        json!({"name": "Full", "created_by": ada,
                                          "max_allowed_memberships": 1}),
    )
    .await;
    let gone = organization(&app, json!({"name": "Gone"})).await;
    let invited = invite(
        &app,
        &org,
        json!({"email_address": "Cy@example.com", "role": "org:admin",
               "public_metadata": {"team": "red"}, "private_metadata": {"seat": 7}}),
    )
    .await;
    invite(
        &app,
        &full,
        json!({"email_address": "cy@example.com", "role": "org:member"}),
    )
    .await;
    invite(
        &app,
        &gone,
        json!({"email_address": "cy@example.com", "role": "org:member"}),
    )
    .await;
    app.delete(&format!("/organizations/{gone}")).await.ok();

    let cy = user(&app, "Cy").await;
    let memberships = app
        .get(&format!("/users/{cy}/organization_memberships"))
        .await
        .ok();
    assert_eq!(memberships["total_count"], 1);
    let membership = &memberships["data"][0];
    assert_eq!(membership["organization"]["id"], org);
    assert_eq!(membership["role"], "org:admin");
    assert_eq!(membership["public_metadata"], json!({"team": "red"}));
    assert_eq!(membership["private_metadata"], json!({"seat": 7}));

    let id = invited["id"].as_str().expect("id");
    let read = app
        .get(&format!("/organizations/{org}/invitations/{id}"))
        .await
        .ok();
    assert_eq!(read["status"], "accepted");
    // The full organization's invitation waits for a seat.
    let mine = app
        .get(&format!("/users/{cy}/organization_invitations"))
        .await
        .ok();
    assert_eq!(mine["total_count"], 2);
    let statuses: Vec<(&str, &str)> = mine["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|i| {
            (
                i["public_organization_data"]["name"]
                    .as_str()
                    .expect("name"),
                i["status"].as_str().expect("status"),
            )
        })
        .collect();
    assert!(statuses.contains(&("Acme", "accepted")), "{statuses:?}");
    assert!(statuses.contains(&("Full", "pending")), "{statuses:?}");
    let pending = app
        .get(&format!(
            "/users/{cy}/organization_invitations?status=pending"
        ))
        .await
        .ok();
    assert_eq!(pending["total_count"], 1);
    // The deleted organization's invitation went with it.
    assert_eq!(
        app.get("/organization_invitations").await.ok()["total_count"],
        2
    );

    let received = receiver.wait_for(17, Duration::from_secs(30)).await;
    // Events keep their order per organization, not across organizations.
    let mut types: Vec<&str> = received
        .iter()
        .map(|r| r.event["type"].as_str().expect("type"))
        .filter(|t| t.starts_with("organizationInvitation."))
        .collect();
    types.sort_unstable();
    assert_eq!(
        types,
        [
            "organizationInvitation.accepted",
            "organizationInvitation.created",
            "organizationInvitation.created",
            "organizationInvitation.created",
            "organizationInvitation.revoked",
        ]
    );
    let accepted = received
        .iter()
        .find(|r| r.event["type"] == "organizationInvitation.accepted")
        .map(|r| r.event["data"].clone())
        .expect("accepted");
    assert_eq!(accepted["object"], "organization_invitation");
    assert_eq!(accepted["id"], id);
    assert_eq!(accepted["status"], "accepted");
    let joined = received
        .iter()
        .filter(|r| r.event["type"] == "organizationMembership.created")
        .count();
    assert_eq!(joined, 3);
}

#[tokio::test]
async fn an_imported_user_with_an_invited_verified_address_becomes_a_member() {
    let app = spawn_app().await;
    let org = organization(&app, json!({"name": "Acme"})).await;
    for address in ["ada@x.test", "bob@x.test"] {
        invite(
            &app,
            &org,
            json!({"email_address": address, "role": "org:member"}),
        )
        .await;
    }
    let header = "id,first_name,primary_email_address,verified_email_addresses,\
                  unverified_email_addresses";
    let csv = format!("{header}\nuser_ada,Ada,ada@x.test,ada@x.test,\nuser_bob,Bob,,,bob@x.test\n");
    let file = app.data_dir().join("users.csv");
    std::fs::write(&file, csv).expect("written");
    let args = ["import", file.to_str().expect("UTF-8"), "--from", "clerk"];
    let output = crate::helpers::run_roster(app.data_dir(), &args, &[("ROSTER_LOG", "warn")]).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // Imported users keep their Clerk id as `external_id`.
    let id_of = async |external: &str| {
        let found = app
            .get(&format!("/users?external_id={external}"))
            .await
            .ok();
        found[0]["id"].as_str().expect("imported").to_owned()
    };
    let ada_id = id_of("user_ada").await;
    let bob_id = id_of("user_bob").await;
    let ada = app
        .get(&format!("/users/{ada_id}/organization_memberships"))
        .await
        .ok();
    assert_eq!(ada["total_count"], 1);
    assert_eq!(ada["data"][0]["organization"]["id"], org);
    // Bob's address is not verified: his invitation waits.
    let bob = app
        .get(&format!(
            "/users/{bob_id}/organization_invitations?status=pending"
        ))
        .await
        .ok();
    assert_eq!(bob["total_count"], 1);
    let accepted = app
        .get(&format!("/organizations/{org}/invitations?status=accepted"))
        .await
        .ok();
    assert_eq!(emails(&accepted), ["ada@x.test"]);
}
