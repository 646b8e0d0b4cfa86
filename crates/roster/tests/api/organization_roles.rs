//! Roles and permissions: the defaults and the system permissions are there; custom ones are
//! created, listed, read, changed and deleted; keys follow Clerk's format; a membership holds
//! its role's permissions; the refusals (system permissions, default roles, roles in use,
//! unknown roles for members) change nothing.

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

fn keys(page: &Value) -> Vec<&str> {
    page["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|r| r["key"].as_str().expect("key"))
        .collect()
}

async fn permission_id(app: &TestApp, key: &str) -> String {
    let page = app
        .get(&format!("/organization_permissions?query={key}&limit=100"))
        .await
        .ok();
    page["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|p| p["key"] == key)
        .and_then(|p| p["id"].as_str())
        .expect(key)
        .to_owned()
}

#[tokio::test]
async fn roles_and_permissions_are_managed_and_members_hold_them() {
    let app = spawn_app().await;
    let roles = app.get("/organization_roles?order_by=key").await.ok();
    assert_eq!(keys(&roles), ["org:admin", "org:member"]);
    let admin = &roles["data"][0];
    assert_eq!(admin["object"], "role");
    assert_eq!(admin["is_creator_eligible"], true);
    assert_eq!(roles["data"][1]["is_creator_eligible"], false);
    let admin_permissions: Vec<&str> = admin["permissions"]
        .as_array()
        .expect("permissions")
        .iter()
        .map(|p| p["key"].as_str().expect("key"))
        .collect();
    assert!(admin_permissions.contains(&"org:sys_memberships:manage"));
    assert_eq!(admin["permissions"][0]["object"], "permission");
    assert_eq!(admin["permissions"][0]["type"], "system");
    let system = app.get("/organization_permissions?limit=100").await.ok();
    assert_eq!(system["total_count"], 6);

    let permission = app
        .post(
            "/organization_permissions",
            json!({"name": "Manage billing", "key": "org:billing:manage",
                   "description": "Pay the bills"}),
        )
        .await
        .ok();
    assert_eq!(permission["object"], "permission");
    assert_eq!(permission["type"], "user");
    assert_eq!(permission["description"], "Pay the bills");
    let perm = permission["id"].as_str().expect("id").to_owned();
    assert!(perm.starts_with("perm_"));
    assert_eq!(
        app.get(&format!("/organization_permissions/{perm}"))
            .await
            .ok(),
        permission
    );
    let read_members = permission_id(&app, "org:sys_memberships:read").await;

    let role = app
        .post(
            "/organization_roles",
            json!({"name": "Billing", "key": "org:billing", "description": "Money",
                   "permissions": [perm, read_members]}),
        )
        .await
        .ok();
    let role_id = role["id"].as_str().expect("id").to_owned();
    assert!(role_id.starts_with("role_"));
    assert_eq!(role["key"], "org:billing");
    assert_eq!(role["description"], "Money");
    assert_eq!(role["permissions"][0]["key"], "org:billing:manage");
    assert_eq!(role["permissions"][1]["key"], "org:sys_memberships:read");
    assert_eq!(
        app.get(&format!("/organization_roles/{role_id}"))
            .await
            .ok(),
        role
    );
    let found = app.get("/organization_roles?query=bill").await.ok();
    assert_eq!(keys(&found), ["org:billing"]);

    // A member holds the role's permissions.
    let ada = app
        .create_user(json!({"email_address": ["ada@example.com"]}))
        .await;
    let ada = ada["id"].as_str().expect("id");
    let org = app
        .post("/organizations", json!({"name": "Acme"}))
        .await
        .ok();
    let org = org["id"].as_str().expect("id");
    let member = app
        .post(
            &format!("/organizations/{org}/memberships"),
            json!({"user_id": ada, "role": "org:billing"}),
        )
        .await
        .ok();
    assert_eq!(member["role_name"], "Billing");
    assert_eq!(
        member["permissions"],
        json!(["org:billing:manage", "org:sys_memberships:read"])
    );

    // Renaming a permission's key follows into its roles; withdrawing and granting.
    app.patch(
        &format!("/organization_permissions/{perm}"),
        json!({"key": "org:billing:pay", "name": "Pay"}),
    )
    .await
    .ok();
    let role = app
        .get(&format!("/organization_roles/{role_id}"))
        .await
        .ok();
    assert_eq!(role["permissions"][0]["key"], "org:billing:pay");
    let path = format!("/organization_roles/{role_id}/permissions/{perm}");
    let withdrawn = app.delete(&path).await.ok();
    assert_eq!(withdrawn["permissions"].as_array().map(Vec::len), Some(1));
    app.delete(&path)
        .await
        .assert_error(404, "resource_not_found");
    let granted = app.post(&path, json!({})).await.ok();
    assert_eq!(granted["permissions"].as_array().map(Vec::len), Some(2));
    assert_eq!(app.post(&path, json!({})).await.status, 409);
    let renamed = app
        .patch(
            &format!("/organization_roles/{role_id}"),
            json!({"name": "Finance", "permissions": [read_members]}),
        )
        .await
        .ok();
    assert_eq!(renamed["name"], "Finance");
    assert_eq!(renamed["permissions"].as_array().map(Vec::len), Some(1));

    // Deleting a permission withdraws it; a role no one holds can be deleted.
    app.delete(&format!("/organization_permissions/{perm}"))
        .await
        .ok();
    let spare = app
        .post(
            "/organization_roles",
            json!({"name": "Spare", "key": "org:spare"}),
        )
        .await
        .ok();
    let spare_id = spare["id"].as_str().expect("id");
    let deleted = app
        .delete(&format!("/organization_roles/{spare_id}"))
        .await
        .ok();
    assert_eq!(deleted["object"], "role");
    assert_eq!(deleted["deleted"], true);
    app.get(&format!("/organization_roles/{spare_id}"))
        .await
        .assert_error(404, "resource_not_found");
}

#[tokio::test]
async fn refusals_change_nothing() {
    let app = spawn_app().await;
    let role = app
        .post(
            "/organization_roles",
            json!({"name": "Billing", "key": "org:billing"}),
        )
        .await
        .ok();
    let role_id = role["id"].as_str().expect("id").to_owned();
    let ada = app
        .create_user(json!({"email_address": ["ada@example.com"]}))
        .await;
    let org = app
        .post("/organizations", json!({"name": "Acme"}))
        .await
        .ok();
    let org = org["id"].as_str().expect("id");
    app.post(
        &format!("/organizations/{org}/memberships"),
        json!({"user_id": ada["id"], "role": "org:billing"}),
    )
    .await
    .ok();
    let roles_before = app.get("/organization_roles?limit=100").await.ok();
    let permissions_before = app.get("/organization_permissions?limit=100").await.ok();

    for (body, param) in [
        (json!({"key": "org:x"}), "name"),
        (json!({"name": "X"}), "key"),
        (json!({"name": "X", "key": "admin"}), "key"),
        (json!({"name": "X", "key": "org:Big"}), "key"),
        (json!({"name": "X", "key": "org:a:b"}), "key"),
        (json!({"name": "X", "key": "org:billing"}), "key"),
        (
            json!({"name": "X", "key": "org:x", "permissions": ["perm_missing"]}),
            "permissions",
        ),
    ] {
        let reply = app.post("/organization_roles", body.clone()).await;
        assert_eq!(reply.status, 422, "{body}");
        assert_eq!(reply.param(), param, "{body}");
    }
    for (body, param) in [
        (json!({"name": "X", "key": "org:sys_profile:manage"}), "key"),
        (json!({"name": "X", "key": "org:sys_custom:read"}), "key"),
        (json!({"name": "X", "key": "org:billing"}), "key"),
        (json!({"name": "X", "key": "org:billing:Read"}), "key"),
        (json!({"name": "X", "key": "billing:read:x"}), "key"),
        (json!({"key": "org:billing:read"}), "name"),
    ] {
        let reply = app.post("/organization_permissions", body.clone()).await;
        assert_eq!(reply.status, 422, "{body}");
        assert_eq!(reply.param(), param, "{body}");
    }
    // System permissions stay as they are.
    let system = permission_id(&app, "org:sys_profile:manage").await;
    for reply in [
        app.delete(&format!("/organization_permissions/{system}"))
            .await,
        app.patch(
            &format!("/organization_permissions/{system}"),
            json!({"name": "Mine"}),
        )
        .await,
    ] {
        assert_eq!(reply.status, 422);
    }
    // Default roles and roles in use are neither deleted nor re-keyed.
    for id in ["role_orgadmin", "role_orgmember", role_id.as_str()] {
        assert_eq!(
            app.delete(&format!("/organization_roles/{id}"))
                .await
                .status,
            422,
            "{id}"
        );
        let rekey = app
            .patch(
                &format!("/organization_roles/{id}"),
                json!({"key": "org:other"}),
            )
            .await;
        assert_eq!(rekey.status, 422, "{id}");
    }
    // A member cannot be given a role that does not exist.
    let bob = app
        .create_user(json!({"email_address": ["bob@example.com"]}))
        .await;
    let reply = app
        .post(
            &format!("/organizations/{org}/memberships"),
            json!({"user_id": bob["id"], "role": "org:nobody"}),
        )
        .await;
    assert_eq!((reply.status.as_u16(), reply.param()), (422, "role"));
    for path in [
        "/organization_roles/role_missing",
        "/organization_permissions/perm_missing",
    ] {
        app.get(path).await.assert_error(404, "resource_not_found");
        app.delete(path)
            .await
            .assert_error(404, "resource_not_found");
    }
    assert_eq!(
        app.get("/organization_roles?order_by=color").await.status,
        422
    );

    assert_eq!(
        app.get("/organization_roles?limit=100").await.ok(),
        roles_before
    );
    assert_eq!(
        app.get("/organization_permissions?limit=100").await.ok(),
        permissions_before
    );
}
