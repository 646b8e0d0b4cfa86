//! Organizations on the Backend API: create (slugs, the creator as first admin), read by id or
//! slug, list with filters and paging, update, merge metadata, delete; each refusal changes
//! nothing. Also the user-initiated create's gate, through the domain service.

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

async fn create(app: &TestApp, body: Value) -> Value {
    app.post("/organizations", body).await.ok()
}

#[tokio::test]
async fn an_organization_is_created_read_updated_and_deleted() {
    let app = spawn_app().await;
    let user = app.create_user(json!({"first_name": "Ada"})).await;
    let user_id = user["id"].as_str().expect("id");
    let org = create(
        &app,
        json!({"name": "Acme Inc.", "created_by": user_id, "public_metadata": {"plan": "pro"},
               "private_metadata": {"seats": 5}, "max_allowed_memberships": 10}),
    )
    .await;
    let id = org["id"].as_str().expect("id");
    assert!(id.starts_with("org_"), "{id}");
    assert_eq!(org["object"], "organization");
    assert_eq!(org["name"], "Acme Inc.");
    assert_eq!(org["slug"], "acme-inc");
    assert_eq!(org["created_by"], user_id);
    assert_eq!(org["max_allowed_memberships"], 10);
    assert_eq!(org["admin_delete_enabled"], true);
    assert_eq!(org["has_image"], false);
    assert!(org["image_url"].as_str().expect("image_url").ends_with(id));
    assert_eq!(org["public_metadata"], json!({"plan": "pro"}));
    assert_eq!(org["private_metadata"], json!({"seats": 5}));
    assert!(org.get("members_count").is_none());
    assert!(org["created_at"].is_i64() && org["updated_at"].is_i64());

    // The creator is its first admin.
    let members = app
        .get(&format!("/organizations/{id}/memberships"))
        .await
        .ok();
    assert_eq!(members["total_count"], 1);
    let admin = &members["data"][0];
    assert_eq!(admin["object"], "organization_membership");
    assert!(admin["id"].as_str().expect("id").starts_with("orgmem_"));
    assert_eq!(admin["role"], "org:admin");
    assert_eq!(admin["role_name"], "Admin");
    assert!(
        admin["permissions"]
            .as_array()
            .expect("permissions")
            .contains(&json!("org:sys_memberships:manage"))
    );
    assert_eq!(admin["organization"]["id"], id);
    assert_eq!(admin["public_user_data"]["user_id"], user_id);
    assert_eq!(admin["public_user_data"]["first_name"], "Ada");

    // By id or by slug, with the count when asked.
    let by_slug = app
        .get("/organizations/acme-inc?include_members_count=true")
        .await
        .ok();
    assert_eq!(by_slug["id"], id);
    assert_eq!(by_slug["members_count"], 1);
    assert_eq!(app.get(&format!("/organizations/{id}")).await.ok(), org);

    let updated = app
        .patch(
            &format!("/organizations/{id}"),
            json!({"name": "Acme Corp", "slug": "acme-corp", "admin_delete_enabled": false,
                   "max_allowed_memberships": null}),
        )
        .await
        .ok();
    assert_eq!(updated["name"], "Acme Corp");
    assert_eq!(updated["slug"], "acme-corp");
    assert_eq!(updated["admin_delete_enabled"], false);
    assert_eq!(updated["max_allowed_memberships"], 10);
    assert_eq!(updated["public_metadata"], json!({"plan": "pro"}));

    let merged = app
        .patch(
            &format!("/organizations/{id}/metadata"),
            json!({"public_metadata": {"plan": null, "tier": {"a": 1}}, "private_metadata": {"x": true}}),
        )
        .await
        .ok();
    assert_eq!(merged["public_metadata"], json!({"tier": {"a": 1}}));
    assert_eq!(merged["private_metadata"], json!({"seats": 5, "x": true}));

    let replaced = app
        .put(
            &format!("/organizations/{id}/metadata"),
            json!({"private_metadata": {"only": 1}}),
        )
        .await
        .ok();
    assert_eq!(replaced["public_metadata"], json!({"tier": {"a": 1}}));
    assert_eq!(replaced["private_metadata"], json!({"only": 1}));
    app.patch(
        &format!("/organizations/{id}/metadata"),
        json!({"unsafe_metadata": {}}),
    )
    .await
    .assert_error(422, "form_param_unknown");

    let deleted = app.delete(&format!("/organizations/{id}")).await.ok();
    assert_eq!(
        deleted,
        json!({"object": "organization", "id": id, "deleted": true})
    );
    app.get(&format!("/organizations/{id}"))
        .await
        .assert_error(404, "resource_not_found");
    let memberships = app
        .get(&format!("/users/{user_id}/organization_memberships"))
        .await
        .ok();
    assert_eq!(memberships, json!({"data": [], "total_count": 0}));
}

#[tokio::test]
async fn slugs_are_made_from_the_name_and_stay_unique() {
    let app = spawn_app().await;
    let first = create(&app, json!({"name": "Grid Walkers"})).await;
    assert_eq!(first["slug"], "grid-walkers");
    assert_eq!(first["created_by"], "");
    let second = create(&app, json!({"name": "Grid  Walkers!"})).await;
    let slug = second["slug"].as_str().expect("slug");
    assert!(
        slug.starts_with("grid-walkers-") && slug.len() > 13,
        "{slug}"
    );

    let before = app.get("/organizations").await.ok();
    let taken = app
        .post(
            "/organizations",
            json!({"name": "Other", "slug": "grid-walkers"}),
        )
        .await;
    taken.assert_error(422, "form_identifier_exists");
    assert_eq!(taken.param(), "slug");
    let renamed = app
        .patch(
            &format!("/organizations/{}", second["id"].as_str().unwrap()),
            json!({"slug": "grid-walkers"}),
        )
        .await;
    renamed.assert_error(422, "form_identifier_exists");
    for (body, code, param) in [
        (json!({}), "form_param_missing", "name"),
        (json!({"name": ""}), "form_param_nil", "name"),
        (
            json!({"name": "x", "slug": "Not_A Slug"}),
            "form_param_format_invalid",
            "slug",
        ),
        (
            json!({"name": "x", "max_allowed_memberships": -1}),
            "form_param_value_invalid",
            "max_allowed_memberships",
        ),
        (
            json!({"name": "x", "created_by": "user_missing"}),
            "form_resource_not_found",
            "created_by",
        ),
        (
            json!({"name": "x", "public_metadata": [1]}),
            "form_param_value_invalid",
            "public_metadata",
        ),
        (
            json!({"name": "x", "colour": "red"}),
            "form_param_unknown",
            "colour",
        ),
    ] {
        let reply = app.post("/organizations", body.clone()).await;
        reply.assert_error(422, code);
        assert_eq!(reply.param(), param, "{body}");
    }
    assert_eq!(app.get("/organizations").await.ok(), before);
    assert_eq!(
        app.get(&format!(
            "/organizations/{}",
            second["id"].as_str().unwrap()
        ))
        .await
        .ok(),
        second
    );
}

#[tokio::test]
async fn unknown_organizations_are_not_found() {
    let app = spawn_app().await;
    for path in ["/organizations/org_missing", "/organizations/no-such-slug"] {
        app.get(path).await.assert_error(404, "resource_not_found");
        app.patch(path, json!({"name": "x"}))
            .await
            .assert_error(404, "resource_not_found");
        app.delete(path)
            .await
            .assert_error(404, "resource_not_found");
        app.patch(&format!("{path}/metadata"), json!({"public_metadata": {}}))
            .await
            .assert_error(404, "resource_not_found");
        app.get(&format!("{path}/memberships"))
            .await
            .assert_error(404, "resource_not_found");
    }
}

#[tokio::test]
async fn listings_filter_order_and_page() {
    let app = spawn_app().await;
    let ada = app.create_user(json!({"first_name": "Ada"})).await;
    let ada_id = ada["id"].as_str().unwrap();
    let mut ids = Vec::new();
    for name in ["Bravo", "Alpha", "Charlie"] {
        let org = create(&app, json!({"name": name})).await;
        ids.push(org["id"].as_str().unwrap().to_owned());
    }
    app.post(
        &format!("/organizations/{}/memberships", ids[2]),
        json!({"user_id": ada_id, "role": "org:member"}),
    )
    .await
    .ok();

    let names = |page: &Value| -> Vec<String> {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = app.get("/organizations").await.ok();
    assert_eq!(all["total_count"], 3);
    assert_eq!(names(&all), ["Charlie", "Alpha", "Bravo"], "newest first");
    let by_name = app.get("/organizations?order_by=name&limit=2").await.ok();
    assert_eq!(names(&by_name), ["Alpha", "Bravo"]);
    assert_eq!(by_name["total_count"], 3);
    let offset = app
        .get("/organizations?order_by=-name&limit=2&offset=2")
        .await
        .ok();
    assert_eq!(names(&offset), ["Alpha"]);
    let counted = app
        .get("/organizations?order_by=-members_count&include_members_count=true")
        .await
        .ok();
    assert_eq!(counted["data"][0]["name"], "Charlie");
    assert_eq!(counted["data"][0]["members_count"], 1);
    assert_eq!(counted["data"][1]["members_count"], 0);

    let query = app.get("/organizations?query=LPH").await.ok();
    assert_eq!(names(&query), ["Alpha"]);
    let exact = app
        .get(&format!("/organizations?query={}", ids[0]))
        .await
        .ok();
    assert_eq!(names(&exact), ["Bravo"]);
    let member = app
        .get(&format!("/organizations?user_id={ada_id}"))
        .await
        .ok();
    assert_eq!(names(&member), ["Charlie"]);
    let not_member = app
        .get(&format!("/organizations?user_id=-{ada_id}&order_by=name"))
        .await
        .ok();
    assert_eq!(names(&not_member), ["Alpha", "Bravo"]);
    let chosen = app
        .get(&format!(
            "/organizations?organization_id={}&organization_id={}&organization_id=-{}&order_by=name",
            ids[0], ids[1], ids[1]
        ))
        .await
        .ok();
    assert_eq!(names(&chosen), ["Bravo"]);

    for query in [
        "order_by=slug",
        "limit=0",
        "limit=501",
        "offset=-1",
        "limit=x",
    ] {
        app.get(&format!("/organizations?{query}"))
            .await
            .assert_error(422, "form_param_value_invalid");
    }
}

#[tokio::test]
async fn the_instance_sets_the_default_seats_and_an_explicit_zero_is_unlimited() {
    let mut settings = roster_domain::InstanceSettings::default();
    settings.organizations.max_allowed_memberships = 3;
    let app = crate::helpers::spawn_app_with(settings).await;
    let defaulted = create(&app, json!({"name": "Default"})).await;
    assert_eq!(defaulted["max_allowed_memberships"], 3);
    let unlimited = create(&app, json!({"name": "Open", "max_allowed_memberships": 0})).await;
    assert_eq!(unlimited["max_allowed_memberships"], 0);
}
