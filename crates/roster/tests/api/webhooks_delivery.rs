//! Delivering events: Clerk's envelope, signed per Standard Webhooks, in order per user,
//! retried while the receiver is down, replayable, and never lost when Roster is killed.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_configured};
use crate::receiver::{Received, Receiver};

/// Retries every second, so that a test waits seconds, not Svix's minutes.
async fn fast_retrying_app() -> TestApp {
    spawn_app_configured(|config| config.webhooks.retry_schedule_seconds = vec![1; 7]).await
}

async fn subscribe(app: &TestApp, receiver: &Receiver, events: Option<Value>) -> Value {
    let mut body = json!({"url": receiver.url});
    if let Some(events) = events {
        body["events"] = events;
    }
    let endpoint = app.post("/webhook_endpoints", body).await.ok();
    receiver.set_secret(endpoint["secret"].as_str().expect("secret"));
    endpoint
}

fn types(received: &[Received]) -> Vec<&str> {
    received
        .iter()
        .map(|r| r.event["type"].as_str().expect("type"))
        .collect()
}

#[tokio::test]
async fn every_change_arrives_signed_in_clerks_envelope_and_in_order() {
    let app = fast_retrying_app().await;
    let receiver = Receiver::up().await;
    let endpoint = subscribe(&app, &receiver, None).await;
    let user = app
        .create_user(
            json!({"first_name": "Ada", "external_id": "ext-ada", "private_metadata": {"k": 1}}),
        )
        .await;
    let id = user["id"].as_str().expect("id");
    app.patch(&format!("/users/{id}"), json!({"last_name": "L"}))
        .await
        .ok();
    let session = app.post("/sessions", json!({"user_id": id})).await.ok();
    let sid = session["id"].as_str().expect("id");
    app.post(&format!("/sessions/{sid}/revoke"), json!({}))
        .await
        .ok();
    let second = app.post("/sessions", json!({"user_id": id})).await.ok();
    app.delete(&format!("/users/{id}")).await.ok();

    let received = receiver.wait_for(7, Duration::from_secs(30)).await;
    assert_eq!(
        types(&received),
        [
            "user.created",
            "user.updated",
            "session.created",
            "session.revoked",
            "session.created",
            "session.ended",
            "user.deleted"
        ]
    );
    let instance = received[0].event["instance_id"].as_str().expect("instance");
    assert!(instance.starts_with("ins_"));
    for delivery in &received {
        let event = &delivery.event;
        assert_eq!(event["object"], "event");
        assert_eq!(event["instance_id"], instance);
        assert!(event["timestamp"].as_i64().expect("ms") > 1_600_000_000_000);
        assert!(delivery.svix_id.starts_with("msg_"));
    }
    // user.created carries the whole User, private metadata included.
    assert_eq!(received[0].event["data"]["id"], id);
    assert_eq!(received[0].event["data"]["object"], "user");
    assert_eq!(
        received[0].event["data"]["private_metadata"],
        json!({"k": 1})
    );
    assert_eq!(received[1].event["data"]["last_name"], "L");
    // session.* carry the session and its user.
    assert_eq!(received[2].event["data"]["id"], sid);
    assert_eq!(received[2].event["data"]["object"], "session");
    assert_eq!(received[2].event["data"]["user"]["id"], id);
    assert_eq!(received[3].event["data"]["status"], "revoked");
    assert_eq!(received[5].event["data"]["id"], second["id"]);
    assert_eq!(received[5].event["data"]["status"], "ended");
    assert_eq!(
        received[6].event["data"],
        json!({"object": "user", "id": id, "deleted": true, "external_id": "ext-ada"})
    );

    let endpoint_id = endpoint["id"].as_str().expect("id");
    // The worker records an attempt after the receiver has answered, so the last event can
    // arrive a moment before its delivery is marked delivered.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let deliveries = loop {
        let deliveries = app
            .get(&format!("/webhook_endpoints/{endpoint_id}/deliveries"))
            .await
            .ok();
        let settled = deliveries
            .as_array()
            .expect("array")
            .iter()
            .all(|delivery| delivery["status"] != "pending");
        if settled || tokio::time::Instant::now() > deadline {
            break deliveries;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let deliveries = deliveries.as_array().expect("array");
    assert_eq!(deliveries.len(), 7);
    for delivery in deliveries {
        assert_eq!(delivery["object"], "webhook_delivery");
        assert_eq!(delivery["status"], "delivered");
        assert_eq!(delivery["attempts"], 1);
        assert_eq!(delivery["last_response_code"], 204);
    }
    // Newest first; the event ids are the svix-ids that arrived.
    assert_eq!(
        deliveries[0]["event_id"].as_str(),
        Some(received[6].svix_id.as_str())
    );
    assert_eq!(deliveries[0]["event_type"], "user.deleted");
}

#[tokio::test]
async fn an_endpoint_gets_only_the_events_it_subscribed_to() {
    let app = fast_retrying_app().await;
    let sessions_only = Receiver::up().await;
    let everything = Receiver::up().await;
    subscribe(&app, &sessions_only, Some(json!(["session.created"]))).await;
    subscribe(&app, &everything, None).await;
    let user = app.create_user(json!({"first_name": "F"})).await;
    app.post("/sessions", json!({"user_id": user["id"]}))
        .await
        .ok();
    let all = everything.wait_for(2, Duration::from_secs(30)).await;
    assert_eq!(types(&all), ["user.created", "session.created"]);
    let filtered = sessions_only.wait_for(1, Duration::from_secs(30)).await;
    assert_eq!(types(&filtered), ["session.created"]);
    // The same event has the same svix-id at every endpoint.
    assert_eq!(filtered[0].svix_id, all[1].svix_id);
}

#[tokio::test]
async fn events_made_while_the_receiver_is_down_all_arrive_in_order_once_it_is_up() {
    let app = fast_retrying_app().await;
    let mut receiver = Receiver::down().await;
    let endpoint = subscribe(&app, &receiver, None).await;
    let mut expected = Vec::new();
    for n in 0..3 {
        let user = app
            .create_user(json!({"first_name": format!("U{n}")}))
            .await;
        let id = user["id"].as_str().expect("id").to_owned();
        for name in ["a", "b"] {
            app.patch(&format!("/users/{id}"), json!({"last_name": name}))
                .await
                .ok();
        }
        expected.push(id);
    }
    // Give the worker time to fail at least once.
    let endpoint_id = endpoint["id"].as_str().expect("id");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let deliveries = app
            .get(&format!("/webhook_endpoints/{endpoint_id}/deliveries"))
            .await
            .ok();
        if deliveries
            .as_array()
            .expect("array")
            .iter()
            .any(|d| d["attempts"].as_i64() > Some(0))
        {
            let failed = deliveries
                .as_array()
                .expect("array")
                .iter()
                .find(|d| d["attempts"].as_i64() > Some(0))
                .expect("one")
                .clone();
            assert_eq!(failed["status"], "pending");
            assert!(failed["last_error"].is_string());
            assert!(failed["next_attempt_at"].is_i64());
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no attempt was made"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    receiver.start().await;
    let received = receiver.wait_for(9, Duration::from_secs(60)).await;
    assert_eq!(received.len(), 9);
    for id in &expected {
        let of_user: Vec<&Value> = received
            .iter()
            .filter(|r| r.event["data"]["id"] == id.as_str())
            .map(|r| &r.event)
            .collect();
        let sequence: Vec<(&Value, &Value)> = of_user
            .iter()
            .map(|e| (&e["type"], &e["data"]["last_name"]))
            .collect();
        assert_eq!(
            sequence,
            [
                (&json!("user.created"), &Value::Null),
                (&json!("user.updated"), &json!("a")),
                (&json!("user.updated"), &json!("b")),
            ],
            "user {id}"
        );
    }
}

#[tokio::test]
async fn a_replay_sends_the_event_again_with_the_same_id() {
    let app = fast_retrying_app().await;
    let receiver = Receiver::up().await;
    let endpoint = subscribe(&app, &receiver, None).await;
    app.create_user(json!({"first_name": "R"})).await;
    let first = receiver.wait_for(1, Duration::from_secs(30)).await;
    let endpoint_id = endpoint["id"].as_str().expect("id");
    let replay = app
        .post(
            &format!(
                "/webhook_endpoints/{endpoint_id}/replay/{}",
                first[0].svix_id
            ),
            json!({}),
        )
        .await
        .ok();
    assert_eq!(replay["object"], "webhook_delivery");
    assert_eq!(replay["event_id"].as_str(), Some(first[0].svix_id.as_str()));
    let both = receiver.wait_for(2, Duration::from_secs(30)).await;
    assert_eq!(both[1].svix_id, first[0].svix_id);
    assert_eq!(both[1].event, first[0].event);
}

#[tokio::test]
async fn an_endpoint_that_never_answers_holds_back_neither_the_api_nor_other_endpoints() {
    let app = spawn_app_configured(|config| {
        config.webhooks.concurrency = 4;
        config.webhooks.timeout_seconds = 120;
    })
    .await;
    // Accepts connections and never answers.
    let stalled = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let stalled_url = format!("http://{}/hook", stalled.local_addr().expect("address"));
    let held = tokio::spawn(async move {
        let mut connections = Vec::new();
        while let Ok((socket, _)) = stalled.accept().await {
            connections.push(socket);
        }
    });
    app.post("/webhook_endpoints", json!({"url": stalled_url}))
        .await
        .ok();
    let healthy = Receiver::up().await;
    subscribe(&app, &healthy, None).await;

    for n in 0..6 {
        app.create_user(json!({"first_name": format!("H{n}")}))
            .await;
    }
    // Far less than the stalled requests' timeout: the healthy endpoint got slots of its own.
    let received = healthy.wait_for(6, Duration::from_secs(60)).await;
    assert_eq!(types(&received), ["user.created"; 6]);
    held.abort();
}

#[tokio::test]
async fn adding_and_deleting_an_email_address_is_a_user_update() {
    let app = fast_retrying_app().await;
    let receiver = Receiver::up().await;
    subscribe(&app, &receiver, Some(json!(["user.updated"]))).await;
    let user = app
        .create_user(json!({"email_address": ["first@example.com"]}))
        .await;
    let id = user["id"].as_str().expect("id");
    let added = app
        .post(
            "/email_addresses",
            json!({"user_id": id, "email_address": "second@example.com", "verified": true}),
        )
        .await
        .ok();
    app.delete(&format!(
        "/email_addresses/{}",
        added["id"].as_str().expect("id")
    ))
    .await
    .ok();
    let received = receiver.wait_for(2, Duration::from_secs(30)).await;
    let addresses = |event: &Value| -> Vec<String> {
        event["data"]["email_addresses"]
            .as_array()
            .expect("addresses")
            .iter()
            .map(|a| a["email_address"].as_str().expect("address").to_owned())
            .collect()
    };
    assert_eq!(
        addresses(&received[0].event),
        ["first@example.com", "second@example.com"]
    );
    assert_eq!(addresses(&received[1].event), ["first@example.com"]);
}

#[tokio::test]
async fn queued_messages_are_announced_as_email_and_sms_created() {
    let app = fast_retrying_app().await;
    let receiver = Receiver::up().await;
    subscribe(
        &app,
        &receiver,
        Some(json!(["email.created", "sms.created"])),
    )
    .await;
    let user = app.create_user(json!({"username": "messaged"})).await;
    let user_id = user["id"].as_str().expect("id");
    let email = app
        .post(
            "/email_addresses",
            json!({"user_id": user_id, "email_address": "codes@example.com"}),
        )
        .await
        .ok();
    let email_id = email["id"].as_str().expect("id");
    app.post(
        &format!("/email_addresses/{email_id}/prepare_verification"),
        json!({}),
    )
    .await
    .ok();
    let phone = app
        .post(
            "/phone_numbers",
            json!({"user_id": user_id, "phone_number": "+15555550199"}),
        )
        .await
        .ok();
    let phone_id = phone["id"].as_str().expect("id");
    app.post(
        &format!("/phone_numbers/{phone_id}/prepare_verification"),
        json!({}),
    )
    .await
    .ok();

    let received = receiver.wait_for(2, Duration::from_secs(30)).await;
    assert_eq!(types(&received), ["email.created", "sms.created"]);
    let mail = &received[0].event["data"];
    assert_eq!(mail["object"], "email");
    assert_eq!(mail["to_email_address"], "codes@example.com");
    assert_eq!(mail["email_address_id"], email_id);
    assert_eq!(mail["user_id"], user_id);
    assert_eq!(mail["slug"], "verification_code");
    // The application that delivers its own mail needs the code, as it needs the body.
    let code = app.code_sent_to("codes@example.com").await;
    assert!(mail["body"].as_str().expect("body").contains(&code));
    let sms = &received[1].event["data"];
    assert_eq!(sms["object"], "sms_message");
    assert_eq!(sms["to_phone_number"], "+15555550199");
    assert_eq!(sms["phone_number_id"], phone_id);
    assert!(sms["message"].as_str().expect("message").len() > 6);
}

/// Where events go follows every change of the endpoints from the next write on, also after
/// writes that found no endpoint at all.
#[tokio::test]
async fn subscriptions_take_effect_from_the_next_write() {
    let app = fast_retrying_app().await;
    let user = app.create_user(json!({"first_name": "Before"})).await;
    let id = user["id"].as_str().expect("id");
    let path = format!("/users/{id}");
    app.patch(&path, json!({"first_name": "Unheard"}))
        .await
        .ok();

    let receiver = Receiver::up().await;
    let endpoint = subscribe(&app, &receiver, Some(json!(["user.updated"]))).await;
    let endpoint_path = format!(
        "/webhook_endpoints/{}",
        endpoint["id"].as_str().expect("id")
    );
    app.patch(&path, json!({"first_name": "One"})).await.ok();
    let received = receiver.wait_for(1, Duration::from_secs(30)).await;
    assert_eq!(types(&received), ["user.updated"]);
    assert_eq!(received[0].event["data"]["first_name"], "One");

    // Narrowed to deletions: the next update goes nowhere, the deletion arrives.
    app.patch(&endpoint_path, json!({"events": ["user.deleted"]}))
        .await
        .ok();
    app.patch(&path, json!({"first_name": "Two"})).await.ok();
    app.delete(&path).await.ok();
    let received = receiver.wait_for(2, Duration::from_secs(30)).await;
    assert_eq!(types(&received), ["user.updated", "user.deleted"]);

    // Once the endpoint is gone, writes still succeed and are delivered nowhere.
    app.delete(&endpoint_path).await.ok();
    let other = app.create_user(json!({"first_name": "After"})).await;
    app.delete(&format!("/users/{}", other["id"].as_str().expect("id")))
        .await
        .ok();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), 2);
}
