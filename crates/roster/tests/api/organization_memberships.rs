//! Memberships: add, list (per organization, per user, per instance), change a role, merge
//! metadata, remove; the refusals (already a member, unknown user or role, no seat left, the
//! last admin) change nothing; deleting a user or an organization ends memberships, with
//! their events. Also the user-initiated create's gate, through the domain service.

use std::sync::Arc;
use std::time::Duration;

use roster_domain::organizations::{NewOrganization, Organizations};
use roster_domain::{DomainError, EncryptionKeys, InstanceSettings};
use serde_json::{Value, json};

use crate::helpers::{TestApp, database_url_for, spawn_app};
use crate::receiver::Receiver;

async fn organization(app: &TestApp, body: Value) -> String {
    let org = app.post("/organizations", body).await.ok();
    org["id"].as_str().expect("id").to_owned()
}

async fn user(app: &TestApp, name: &str) -> String {
    let user = app
        .create_user(
            json!({"first_name": name, "username": format!("{}_member", name.to_lowercase()),
                            "email_address": [format!("{}@example.com", name.to_lowercase())]}),
        )
        .await;
    user["id"].as_str().expect("id").to_owned()
}

async fn add(app: &TestApp, org: &str, user: &str, role: &str) -> Value {
    app.post(
        &format!("/organizations/{org}/memberships"),
        json!({"user_id": user, "role": role}),
    )
    .await
    .ok()
}

fn user_ids(page: &Value) -> Vec<&str> {
    page["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|m| m["public_user_data"]["user_id"].as_str().expect("user_id"))
        .collect()
}

#[tokio::test]
async fn members_are_added_listed_changed_and_removed() {
    let app = spawn_app().await;
    let ada = user(&app, "Ada").await;
    let bob = user(&app, "Bob").await;
    let org = organization(&app, json!({"name": "Acme", "created_by": ada})).await;
    let added = app
        .post(
            &format!("/organizations/{org}/memberships"),
            json!({"user_id": bob, "role": "org:member", "public_metadata": {"team": "red"},
                   "private_metadata": {"note": 1}}),
        )
        .await
        .ok();
    assert_eq!(added["object"], "organization_membership");
    assert_eq!(added["role"], "org:member");
    assert_eq!(added["role_name"], "Member");
    assert_eq!(added["permissions"], json!(["org:sys_memberships:read"]));
    assert_eq!(added["public_metadata"], json!({"team": "red"}));
    assert_eq!(added["private_metadata"], json!({"note": 1}));
    assert_eq!(added["organization"]["id"], org);
    let public = &added["public_user_data"];
    assert_eq!(public["user_id"], bob);
    assert_eq!(public["first_name"], "Bob");
    assert_eq!(public["identifier"], "bob@example.com");
    assert_eq!(public["username"], "bob_member");
    assert_eq!(public["has_image"], false);
    assert!(public["image_url"].is_string() && public["profile_image_url"].is_string());

    let listed = app
        .get(&format!(
            "/organizations/{org}/memberships?order_by=created_at"
        ))
        .await
        .ok();
    assert_eq!(listed["total_count"], 2);
    assert_eq!(user_ids(&listed), [ada.as_str(), bob.as_str()]);
    let by_role = app
        .get(&format!("/organizations/{org}/memberships?role=org:admin"))
        .await
        .ok();
    assert_eq!(user_ids(&by_role), [ada.as_str()]);
    let by_query = app
        .get(&format!("/organizations/{org}/memberships?query=bob@exa"))
        .await
        .ok();
    assert_eq!(user_ids(&by_query), [bob.as_str()]);
    let excluded = app
        .get(&format!("/organizations/{org}/memberships?user_id=-{ada}"))
        .await
        .ok();
    assert_eq!(user_ids(&excluded), [bob.as_str()]);
    let by_name = app
        .get(&format!(
            "/organizations/{org}/memberships?order_by=-first_name&limit=1"
        ))
        .await
        .ok();
    assert_eq!(user_ids(&by_name), [bob.as_str()]);
    assert_eq!(by_name["total_count"], 2);

    let members = format!("/organizations/{org}/memberships");
    for (query, expected) in [
        ("email_address=BOB@example.com", vec![bob.as_str()]),
        ("username=ADA_member", vec![ada.as_str()]),
        ("email_address_query=ada@", vec![ada.as_str()]),
        ("username_query=b_mem", vec![bob.as_str()]),
        ("name_query=bo", vec![bob.as_str()]),
        ("created_at_before=1", vec![]),
        (
            "created_at_after=1&order_by=created_at",
            vec![ada.as_str(), bob.as_str()],
        ),
    ] {
        let page = app.get(&format!("{members}?{query}")).await.ok();
        assert_eq!(user_ids(&page), expected, "{query}");
        assert_eq!(page["total_count"], expected.len(), "{query}");
    }
    app.get(&format!("{members}?created_at_after=soon"))
        .await
        .assert_error(422, "form_param_value_invalid");

    // The users listing filters by organization.
    let outsider = user(&app, "Dan").await;
    let in_org = app.get(&format!("/users?organization_id={org}")).await.ok();
    assert_eq!(in_org.as_array().expect("users").len(), 2);
    let outside = app
        .get(&format!("/users?organization_id=-{org}"))
        .await
        .ok();
    assert_eq!(outside[0]["id"], outsider);
    assert_eq!(outside.as_array().expect("users").len(), 1);
    assert_eq!(app.count(&format!("organization_id={org}")).await, 2);

    let promoted = app
        .patch(
            &format!("/organizations/{org}/memberships/{bob}"),
            json!({"role": "org:admin"}),
        )
        .await
        .ok();
    assert_eq!(promoted["role"], "org:admin");
    assert_eq!(promoted["id"], added["id"]);
    let merged = app
        .patch(
            &format!("/organizations/{org}/memberships/{bob}/metadata"),
            json!({"public_metadata": {"team": null, "desk": 4}}),
        )
        .await
        .ok();
    assert_eq!(merged["public_metadata"], json!({"desk": 4}));
    assert_eq!(merged["private_metadata"], json!({"note": 1}));
    assert_eq!(merged["role"], "org:admin");

    let mine = app
        .get(&format!("/users/{bob}/organization_memberships"))
        .await
        .ok();
    assert_eq!(mine["total_count"], 1);
    assert_eq!(mine["data"][0], merged);
    let everyone = app.get("/organization_memberships").await.ok();
    assert_eq!(everyone["total_count"], 2);

    let removed = app
        .delete(&format!("/organizations/{org}/memberships/{ada}"))
        .await
        .ok();
    assert_eq!(removed["public_user_data"]["user_id"], ada);
    let counted = app
        .get(&format!("/organizations/{org}?include_members_count=true"))
        .await
        .ok();
    assert_eq!(counted["members_count"], 1);
    app.get("/users/user_missing/organization_memberships")
        .await
        .assert_error(404, "resource_not_found");
}

#[tokio::test]
async fn refused_membership_changes_change_nothing() {
    let app = spawn_app().await;
    let ada = user(&app, "Ada").await;
    let bob = user(&app, "Bob").await;
    let cy = user(&app, "Cy").await;
    let org = organization(
        &app,
        json!({"name": "Acme", "created_by": ada, "max_allowed_memberships": 2}),
    )
    .await;
    add(&app, &org, &bob, "org:member").await;
    let members = format!("/organizations/{org}/memberships?order_by=created_at");
    let before = app.get(&members).await.ok();
    let stored = app.get(&format!("/organizations/{org}")).await.ok();

    let path = format!("/organizations/{org}/memberships");
    app.post(&path, json!({"user_id": bob, "role": "org:member"}))
        .await
        .assert_error(400, "already_a_member_in_organization");
    app.post(&path, json!({"user_id": cy, "role": "org:member"}))
        .await
        .assert_error(403, "organization_membership_quota_exceeded");
    app.post(
        &path,
        json!({"user_id": "user_missing", "role": "org:member"}),
    )
    .await
    .assert_error(404, "resource_not_found");
    let unknown_role = app
        .post(&path, json!({"user_id": cy, "role": "org:owner"}))
        .await;
    unknown_role.assert_error(422, "form_param_value_invalid");
    assert_eq!(unknown_role.param(), "role");
    let missing = app.post(&path, json!({})).await;
    missing.assert_error(422, "form_param_missing");
    app.post(
        "/organizations/org_missing/memberships",
        json!({"user_id": cy, "role": "org:member"}),
    )
    .await
    .assert_error(404, "resource_not_found");

    // The last admin is neither demoted nor removed.
    app.patch(&format!("{path}/{ada}"), json!({"role": "org:member"}))
        .await
        .assert_error(422, "organization_minimum_permissions_needed");
    app.delete(&format!("{path}/{ada}"))
        .await
        .assert_error(422, "organization_minimum_permissions_needed");
    app.patch(&format!("{path}/{cy}"), json!({"role": "org:member"}))
        .await
        .assert_error(404, "resource_not_found");
    app.delete(&format!("{path}/user_missing"))
        .await
        .assert_error(404, "resource_not_found");
    app.delete(&format!("{path}/not-a-user-id"))
        .await
        .assert_error(404, "resource_not_found");
    app.patch(&format!("{path}/{bob}"), json!({"role": "org:nobody"}))
        .await
        .assert_error(422, "form_param_value_invalid");
    app.patch(
        &format!("{path}/{bob}/metadata"),
        json!({"public_metadata": "text"}),
    )
    .await
    .assert_error(422, "form_param_value_invalid");

    assert_eq!(app.get(&members).await.ok(), before);
    assert_eq!(app.get(&format!("/organizations/{org}")).await.ok(), stored);

    // With a second admin, the first may go.
    app.patch(&format!("{path}/{bob}"), json!({"role": "org:admin"}))
        .await
        .ok();
    app.patch(&format!("{path}/{ada}"), json!({"role": "org:member"}))
        .await
        .ok();
    app.delete(&format!("{path}/{ada}")).await.ok();
    // A freed seat can be taken again.
    add(&app, &org, &cy, "org:member").await;
}

async fn subscribe(app: &TestApp, receiver: &Receiver) {
    let endpoint = app
        .post("/webhook_endpoints", json!({"url": receiver.url}))
        .await
        .ok();
    receiver.set_secret(endpoint["secret"].as_str().expect("secret"));
}

#[tokio::test]
async fn changes_write_their_events_and_deletes_end_memberships() {
    let app = spawn_app().await;
    let ada = user(&app, "Ada").await;
    let bob = user(&app, "Bob").await;
    let receiver = Receiver::up().await;
    subscribe(&app, &receiver).await;
    let org = organization(&app, json!({"name": "Acme", "created_by": ada})).await;
    add(&app, &org, &bob, "org:member").await;
    app.patch(
        &format!("/organizations/{org}/memberships/{bob}"),
        json!({"role": "org:admin"}),
    )
    .await
    .ok();
    app.patch(&format!("/organizations/{org}"), json!({"name": "Acme 2"}))
        .await
        .ok();
    app.delete(&format!("/users/{bob}")).await.ok();
    let counted = app
        .get(&format!("/organizations/{org}?include_members_count=true"))
        .await
        .ok();
    assert_eq!(counted["members_count"], 1);
    app.delete(&format!("/organizations/{org}")).await.ok();

    let received = receiver.wait_for(9, Duration::from_secs(30)).await;
    let types: Vec<&str> = received
        .iter()
        .map(|r| r.event["type"].as_str().expect("type"))
        .filter(|t| !t.starts_with("user.") && !t.starts_with("session."))
        .collect();
    assert_eq!(
        types,
        [
            "organization.created",
            "organizationMembership.created",
            "organizationMembership.created",
            "organizationMembership.updated",
            "organization.updated",
            "organizationMembership.deleted",
            "organizationMembership.deleted",
            "organization.deleted",
        ]
    );
    let event = |kind: &str| {
        received
            .iter()
            .find(|r| r.event["type"] == kind)
            .map(|r| r.event["data"].clone())
            .expect(kind)
    };
    let created = event("organization.created");
    assert_eq!(created["object"], "organization");
    assert_eq!(created["id"], org);
    let membership = event("organizationMembership.updated");
    assert_eq!(membership["object"], "organization_membership");
    assert_eq!(membership["role"], "org:admin");
    assert_eq!(membership["organization"]["id"], org);
    assert_eq!(membership["public_user_data"]["user_id"], bob);
    assert_eq!(
        event("organization.deleted"),
        json!({"object": "organization", "id": org, "deleted": true})
    );
    assert_eq!(
        app.get("/organization_memberships").await.ok()["total_count"],
        0
    );
}

/// The service the Frontend API will call for a user's own create, on the server's database.
async fn organizations_service(app: &TestApp, settings: InstanceSettings) -> Organizations {
    let config = roster::Config {
        data_dir: app.data_dir().to_path_buf(),
        database_url: database_url_for(app.data_dir()),
        ..roster::Config::default()
    };
    let store = roster::open_store(&config).await.expect("store opens");
    let keys = EncryptionKeys::new(&EncryptionKeys::generate_key(), &[]).expect("keys");
    let context = roster_domain::Context::new(store, settings, keys).expect("context");
    Organizations::new(Arc::new(context))
}

fn named(name: &str) -> NewOrganization {
    NewOrganization {
        name: Some(name.to_owned()),
        ..NewOrganization::default()
    }
}

#[tokio::test]
async fn a_users_own_creates_are_gated_and_the_backends_are_not() {
    let app = spawn_app().await;
    let mut settings = InstanceSettings::default();
    settings.organizations.create_limit = 2;
    let service = organizations_service(&app, settings).await;
    let ada = user(&app, "Ada").await;
    let first = service
        .create_by_user(&ada, named("One"))
        .await
        .expect("first");
    assert_eq!(first.created_by.as_deref(), Some(ada.as_str()));
    assert_eq!(first.members_count, 1);
    service
        .create_by_user(&ada, named("Two"))
        .await
        .expect("second");
    let before = app.get("/organizations").await.ok();
    assert!(matches!(
        service.create_by_user(&ada, named("Three")).await,
        Err(DomainError::OrganizationQuotaExceeded { limit: 2 })
    ));
    assert_eq!(app.get("/organizations").await.ok(), before);
    // A Backend API create is not gated.
    organization(&app, json!({"name": "Three", "created_by": ada})).await;

    // The user's own limit wins over the instance's; 0 is unlimited.
    app.patch(
        &format!("/users/{ada}"),
        json!({"create_organizations_limit": 0}),
    )
    .await
    .ok();
    service
        .create_by_user(&ada, named("Four"))
        .await
        .expect("unlimited");
    app.patch(
        &format!("/users/{ada}"),
        json!({"create_organization_enabled": false}),
    )
    .await
    .ok();
    let before = app.get("/organizations").await.ok();
    assert!(matches!(
        service.create_by_user(&ada, named("Five")).await,
        Err(DomainError::OrganizationCreationNotAllowed)
    ));
    assert_eq!(app.get("/organizations").await.ok(), before);
    organization(&app, json!({"name": "Five", "created_by": ada})).await;

    let mut closed = InstanceSettings::default();
    closed.organizations.enabled = false;
    let bob = user(&app, "Bob").await;
    let closed = organizations_service(&app, closed).await;
    assert!(matches!(
        closed.create_by_user(&bob, named("Six")).await,
        Err(DomainError::OrganizationCreationNotAllowed)
    ));
}
