//! `GET /users` and `GET /users/count`: every filter, ordering and paging rule.

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

fn ids(users: &Value) -> Vec<String> {
    users
        .as_array()
        .expect("a bare array")
        .iter()
        .map(|u| u["id"].as_str().expect("id").to_owned())
        .collect()
}

/// Three users with distinct values in every orderable field, created oldest first.
async fn seed(app: &TestApp) -> Vec<Value> {
    let specs = [
        json!({"email_address": ["carol@zeta.example"], "phone_number": ["+15555550003"], "web3_wallet": ["0x3333333333333333333333333333333333333333"], "username": "carol_c", "first_name": "Carol", "last_name": "Adams", "external_id": "ext-c", "created_at": "2020-01-01T00:00:00Z"}),
        json!({"email_address": ["alice@alpha.example"], "phone_number": ["+15555550001"], "web3_wallet": ["0x1111111111111111111111111111111111111111"], "username": "alice_a", "first_name": "Alice", "last_name": "Carter", "external_id": "ext-a", "created_at": "2021-01-01T00:00:00Z"}),
        json!({"email_address": ["bob@beta.example"], "phone_number": ["+15555550002"], "web3_wallet": ["0x2222222222222222222222222222222222222222"], "username": "bob_b", "first_name": "Bob", "last_name": "Baker", "external_id": "ext-b", "created_at": "2022-01-01T00:00:00Z", "banned": true}),
    ];
    let mut users = Vec::new();
    for spec in specs {
        users.push(app.create_user(spec).await);
    }
    users
}

#[tokio::test]
async fn filters_select_the_right_users_on_list_and_count() {
    let app = spawn_app().await;
    let users = seed(&app).await;
    let id = |i: usize| users[i]["id"].as_str().expect("id").to_owned();
    let cases: Vec<(String, Vec<String>)> = vec![
        ("email_address=ALICE@alpha.example".into(), vec![id(1)]),
        (
            "email_address=alice@alpha.example&email_address=bob@beta.example".into(),
            vec![id(2), id(1)],
        ),
        ("phone_number=%2B15555550003".into(), vec![id(0)]),
        (
            "web3_wallet=0x2222222222222222222222222222222222222222".into(),
            vec![id(2)],
        ),
        ("username=Carol_C".into(), vec![id(0)]),
        (
            "external_id=ext-a&external_id=%2Bext-b".into(),
            vec![id(2), id(1)],
        ),
        ("external_id=-ext-a".into(), vec![id(2), id(0)]),
        (format!("user_id={}", id(0)), vec![id(0)]),
        (format!("user_id=-{}", id(0)), vec![id(2), id(1)]),
        ("query=alpha".into(), vec![id(1)]),
        // Two characters are too short for trigrams (a scan instead). `@` keeps the term out of
        // the random base62 user ids, which `query` also searches.
        ("query=b%40".into(), vec![id(2)]),
        ("query=5555550002".into(), vec![id(2)]),
        ("query=carter".into(), vec![id(1)]),
        (format!("query={}", &id(0)[5..20]), vec![id(0)]),
        ("email_address_query=ETA.EXAMPLE".into(), vec![id(2), id(0)]),
        ("email_address_query=carter".into(), vec![]),
        ("phone_number_query=0001".into(), vec![id(1)]),
        ("username_query=_b".into(), vec![id(2)]),
        ("name_query=baker".into(), vec![id(2)]),
        ("name_query=alice carter".into(), vec![id(1)]),
        ("banned=true".into(), vec![id(2)]),
        ("banned=false".into(), vec![id(1), id(0)]),
        ("created_at_after=1609459200000".into(), vec![id(2)]),
        ("created_at_before=1609459200001".into(), vec![id(1), id(0)]),
        ("organization_id=org_1".into(), vec![]),
        ("organization_id=-org_1".into(), vec![id(2), id(1), id(0)]),
        ("provider=oauth_google&provider_user_id=123".into(), vec![]),
        ("last_sign_in_at_after=0".into(), vec![]),
        ("last_active_at_before=9999999999999".into(), vec![]),
        ("email_address=nobody@example.com".into(), vec![]),
    ];
    for (query, expected) in cases {
        let listed = app.get(&format!("/users?{query}")).await.ok();
        assert_eq!(ids(&listed), expected, "GET /users?{query}");
        assert_eq!(
            app.count(&query).await,
            expected.len() as i64,
            "count?{query}"
        );
    }
}

#[tokio::test]
async fn every_order_by_value_sorts_both_ways() {
    let app = spawn_app().await;
    let users = seed(&app).await;
    let id = |i: usize| users[i]["id"].as_str().expect("id").to_owned();
    // Ascending orders; descending is the reverse.
    let cases = [
        ("created_at", vec![id(0), id(1), id(2)]),
        ("email_address", vec![id(1), id(2), id(0)]),
        ("phone_number", vec![id(1), id(2), id(0)]),
        ("web3wallet", vec![id(1), id(2), id(0)]),
        ("username", vec![id(1), id(2), id(0)]),
        ("first_name", vec![id(1), id(2), id(0)]),
        ("last_name", vec![id(0), id(2), id(1)]),
        ("updated_at", vec![id(0), id(1), id(2)]),
    ];
    for (field, ascending) in cases {
        for prefix in ["", "+"] {
            let listed = app
                .get(&format!("/users?order_by={prefix}{field}"))
                .await
                .ok();
            assert_eq!(ids(&listed), ascending, "order_by={prefix}{field}");
        }
        let listed = app.get(&format!("/users?order_by=-{field}")).await.ok();
        let mut descending = ascending.clone();
        descending.reverse();
        assert_eq!(ids(&listed), descending, "order_by=-{field}");
    }
    // No order means newest first.
    assert_eq!(
        ids(&app.get("/users").await.ok()),
        vec![id(2), id(1), id(0)]
    );
    for field in ["last_active_at", "last_sign_in_at"] {
        let listed = app.get(&format!("/users?order_by=-{field}")).await.ok();
        assert_eq!(ids(&listed).len(), 3, "{field}");
    }
}

#[tokio::test]
async fn limit_offset_and_cursor_page_through_users() {
    let app = spawn_app().await;
    let mut created = Vec::new();
    for n in 0..25 {
        let user = app
            .create_user(json!({"first_name": format!("P{n}")}))
            .await;
        created.push(user["id"].as_str().expect("id").to_owned());
    }
    created.reverse();
    // The default page is ten users, newest first.
    assert_eq!(ids(&app.get("/users").await.ok()), created[..10]);
    assert_eq!(
        ids(&app.get("/users?limit=10&offset=20").await.ok()),
        created[20..]
    );
    assert_eq!(
        ids(&app
            .get("/users?limit=1&offset=0&order_by=-created_at")
            .await
            .ok()),
        created[..1]
    );
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = cursor
            .as_ref()
            .map(|c| format!("&starting_after={c}"))
            .unwrap_or_default();
        let page = ids(&app.get(&format!("/users?limit=7{query}")).await.ok());
        paged.extend(page.iter().cloned());
        if page.len() < 7 {
            break;
        }
        cursor = page.last().cloned();
    }
    assert_eq!(paged, created);
    assert_eq!(app.count("limit=1&offset=5").await, 25);
}

#[tokio::test]
async fn out_of_range_paging_and_bad_values_are_422() {
    let app = spawn_app().await;
    let cases = [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=ten", "limit"),
        ("offset=-1", "offset"),
        ("order_by=shoe_size", "order_by"),
        ("banned=maybe", "banned"),
        ("created_at_after=yesterday", "created_at_after"),
        ("order_by=username&starting_after=user_x", "starting_after"),
        ("offset=3&starting_after=user_x", "starting_after"),
        ("provider_user_id=1", "provider"),
        ("provider=oauth_google", "provider_user_id"),
    ];
    for (query, param) in cases {
        let reply = app.get(&format!("/users?{query}")).await;
        assert_eq!(reply.status, 422, "{query}: {}", reply.body);
        assert_eq!(reply.param(), param, "{query}");
    }
    let many: Vec<String> = (0..101)
        .map(|n| format!("email_address=u{n}@example.com"))
        .collect();
    let reply = app.get(&format!("/users/count?{}", many.join("&"))).await;
    reply.assert_error(422, "form_param_array_size_exceeded");
}

#[tokio::test]
async fn substring_search_follows_updates_and_deletes() {
    let app = spawn_app().await;
    let user = app
        .create_user(json!({"first_name": "Quorra", "email_address": ["grid.walker@example.com"]}))
        .await;
    let id = user["id"].as_str().unwrap();
    assert_eq!(app.count("query=quorr").await, 1);
    assert_eq!(app.count("email_address_query=walker").await, 1);

    app.patch(
        &format!("/users/{id}"),
        json!({"first_name": "Tron", "username": "flynn_k"}),
    )
    .await
    .ok();
    assert_eq!(app.count("query=quorr").await, 0);
    assert_eq!(app.count("name_query=tron").await, 1);
    assert_eq!(app.count("username_query=flynn").await, 1);

    // Names and identifiers are indexed apart: a rename alone, a new address alone, and a
    // term found in both (counted once).
    app.patch(&format!("/users/{id}"), json!({"last_name": "Walker"}))
        .await
        .ok();
    assert_eq!(app.count("query=walker").await, 1);
    assert_eq!(app.count("name_query=walker").await, 1);
    assert_eq!(app.count("username_query=flynn").await, 1);
    app.post(
        "/email_addresses",
        json!({"user_id": id, "email_address": "end.of.line@example.com", "verified": true}),
    )
    .await
    .ok();
    assert_eq!(app.count("email_address_query=of.line").await, 1);
    assert_eq!(app.count("email_address_query=walker").await, 1);
    assert_eq!(app.count("name_query=tron walker").await, 1);
    // Metadata-only changes keep the indexed row as it was.
    app.patch(
        &format!("/users/{id}/metadata"),
        json!({"public_metadata": {"a": 1}}),
    )
    .await
    .ok();
    assert_eq!(app.count("query=walker").await, 1);

    app.delete(&format!("/users/{id}")).await.ok();
    for query in [
        "query=tron",
        "email_address_query=walker",
        "username_query=flynn",
    ] {
        assert_eq!(app.count(query).await, 0, "{query}");
    }
    // The next user may reuse the deleted row's key; it must not inherit its search entry.
    app.create_user(json!({"first_name": "Yori"})).await;
    assert_eq!(app.count("query=tron").await, 0);
    assert_eq!(app.count("query=yori").await, 1);
}

/// Many small writes make the search index merge its segments (early, at `automerge = 2`);
/// merging must never change what a search finds.
#[tokio::test]
async fn search_results_survive_index_merges() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for n in 0..40 {
        let user = app
            .create_user(
                json!({"first_name": format!("Merge{n:02}"), "username": format!("merger_{n:02}")}),
            )
            .await;
        ids.push(user["id"].as_str().unwrap().to_owned());
    }
    for (n, id) in ids.iter().enumerate().filter(|(n, _)| n % 2 == 0) {
        app.patch(
            &format!("/users/{id}"),
            json!({"first_name": format!("Renamed{n:02}")}),
        )
        .await
        .ok();
    }
    for id in ids.iter().skip(30) {
        app.delete(&format!("/users/{id}")).await.ok();
    }
    let expected = [
        ("name_query=merge", 15),
        ("query=renamed", 15),
        ("username_query=merger_", 30),
    ];
    for (query, count) in expected {
        assert_eq!(app.count(query).await, count, "{query}");
    }
}
