//! Emails and usernames are one identity across case and Unicode compatibility forms (the
//! Kelvin sign, fullwidth letters), for uniqueness and for lookups alike; names and usernames
//! refuse characters that hide or forge text.

use serde_json::json;

use crate::helpers::spawn_app;

const KATE: &str = "kate@example.com";
/// `Kate@example.com` with U+212A KELVIN SIGN for the K.
const KELVIN_KATE: &str = "\u{212a}ate@example.com";
/// `kate@example.com` in fullwidth letters.
const FULLWIDTH_KATE: &str = "\u{ff4b}\u{ff41}\u{ff54}\u{ff45}@example.com";

#[tokio::test]
async fn emails_differing_in_case_or_width_are_one_identity() {
    let app = spawn_app().await;
    let kate = app.create_user(json!({"email_address": [KATE]})).await;
    let other = app.create_user(json!({"first_name": "Other"})).await;
    let other_id = other["id"].as_str().expect("id");
    for spelling in [KELVIN_KATE, FULLWIDTH_KATE, "KATE@EXAMPLE.COM"] {
        let reply = app
            .post("/users", json!({"email_address": [spelling]}))
            .await;
        reply.assert_error(422, "form_identifier_exists");
        assert_eq!(reply.param(), "email_address", "{spelling}");
        let reply = app
            .post(
                "/email_addresses",
                json!({"user_id": other_id, "email_address": spelling}),
            )
            .await;
        reply.assert_error(422, "form_identifier_exists");
    }
    // Two spellings of one address in one request are that address twice.
    let reply = app
        .post(
            "/users",
            json!({"email_address": ["new@example.com", "\u{ff4e}\u{ff45}\u{ff57}@example.com"]}),
        )
        .await;
    reply.assert_error(422, "form_param_duplicate");
    assert_eq!(app.count("").await, 2);

    let found = app
        .get(&format!(
            "/users?email_address={}",
            urlencode(FULLWIDTH_KATE)
        ))
        .await
        .ok();
    assert_eq!(found[0]["id"], kate["id"]);
    for spelling in [KELVIN_KATE, FULLWIDTH_KATE] {
        let count = app
            .count(&format!("email_address={}", urlencode(spelling)))
            .await;
        assert_eq!(count, 1, "{spelling}");
    }
    // What the user entered is what the user object shows.
    assert_eq!(kate["email_addresses"][0]["email_address"], KATE);
}

#[tokio::test]
async fn a_fullwidth_email_is_shown_as_given_and_found_by_the_plain_spelling() {
    let app = spawn_app().await;
    let user = app
        .create_user(json!({"email_address": [FULLWIDTH_KATE]}))
        .await;
    assert_eq!(user["email_addresses"][0]["email_address"], FULLWIDTH_KATE);
    let found = app.get(&format!("/users?email_address={KATE}")).await.ok();
    assert_eq!(found[0]["id"], user["id"]);
    let reply = app.post("/users", json!({"email_address": [KATE]})).await;
    reply.assert_error(422, "form_identifier_exists");
}

#[tokio::test]
async fn usernames_are_found_by_any_width_or_case() {
    let app = spawn_app().await;
    let user = app.create_user(json!({"username": "kate_1"})).await;
    for spelling in [
        "KATE_1",
        "\u{ff2b}\u{ff21}\u{ff34}\u{ff25}_1",
        "\u{212a}ate_1",
    ] {
        let found = app
            .get(&format!("/users?username={}", urlencode(spelling)))
            .await
            .ok();
        assert_eq!(found.as_array().map(Vec::len), Some(1), "{spelling}");
        assert_eq!(found[0]["id"], user["id"]);
    }
    let reply = app.post("/users", json!({"username": "Kate_1"})).await;
    reply.assert_error(422, "form_identifier_exists");
}

#[tokio::test]
async fn control_and_bidi_characters_in_names_and_usernames_are_refused() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"first_name": "Eve\nFORGED admin signed in"}),
            "first_name",
        ),
        (json!({"first_name": "Eve\r"}), "first_name"),
        (json!({"last_name": "\u{202e}gnp.exe"}), "last_name"),
        (json!({"last_name": "a\u{2066}b\u{2069}"}), "last_name"),
        (json!({"first_name": "tab\there"}), "first_name"),
        (json!({"first_name": "c1\u{85}"}), "first_name"),
    ];
    for (body, param) in &cases {
        let reply = app.post("/users", body.clone()).await;
        reply.assert_error(422, "form_param_format_invalid");
        assert_eq!(reply.param(), *param, "{body}");
    }
    for username in ["eve\r\nx", "eve\u{202e}x", "eve\u{0}x"] {
        let reply = app.post("/users", json!({"username": username})).await;
        assert_eq!(reply.status.as_u16(), 422, "{}", reply.body);
        assert_eq!(reply.param(), "username");
    }
    assert_eq!(app.count("").await, 0);

    let user = app
        .create_user(json!({"first_name": "Zo\u{eb}", "last_name": "\u{5d0}\u{5d1}"}))
        .await;
    let id = user["id"].as_str().expect("id");
    let reply = app
        .patch(&format!("/users/{id}"), json!({"first_name": "x\u{202d}y"}))
        .await;
    reply.assert_error(422, "form_param_format_invalid");
    assert_eq!(reply.param(), "first_name");
    assert_eq!(app.user(id).await["first_name"], "Zo\u{eb}");
}

/// Percent-encodes every byte outside unreserved ASCII, as a query value needs.
fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}
