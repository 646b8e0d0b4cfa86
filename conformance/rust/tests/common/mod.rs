//! What every test file shares: the SDK's configuration for the server under test, fresh
//! markers for unique identifiers, and the error envelope of a refused call.

// Each test file is its own crate and uses only some of these.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use clerk_rs::apis::configuration::Configuration;
use clerk_rs::apis::users_api;
use clerk_rs::apis::{Error, ResponseContent};
use clerk_rs::models;
use serde_json::Value;

pub fn configuration_with(secret_key: &str) -> Configuration {
    let url = std::env::var("ROSTER_URL").expect("ROSTER_URL names the server under test");
    Configuration::new(secret_key).with_base_path(format!("{}/v1", url.trim_end_matches('/')))
}

pub fn configuration() -> Configuration {
    let key = std::env::var("ROSTER_SECRET_KEY").expect("ROSTER_SECRET_KEY is the server's key");
    configuration_with(&key)
}

/// Lower-case letters and digits, starting with a letter, different on every call.
pub fn marker() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is past 1970")
        .as_nanos() as u64;
    let mut n = nanos
        ^ (u64::from(std::process::id()) << 40)
        ^ COUNTER
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut text = String::from("r");
    for _ in 0..11 {
        text.push(alphabet[(n % 36) as usize] as char);
        n /= 36;
    }
    text
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is past 1970")
        .as_millis() as i64
}

pub fn object(value: Value) -> HashMap<String, Value> {
    serde_json::from_value(value).expect("a JSON object")
}

/// The status and the error envelope of a failed call, read with the SDK's own error model.
pub fn clerk_errors<T: std::fmt::Debug>(error: Error<T>) -> (u16, models::ClerkErrors) {
    match error {
        Error::ResponseError(ResponseContent {
            status, content, ..
        }) => {
            let errors = serde_json::from_str(&content)
                .unwrap_or_else(|e| panic!("not Clerk's error envelope ({e}): {content}"));
            (status.as_u16(), errors)
        }
        other => panic!("expected an error answer, got {other:?}"),
    }
}

pub async fn create(request: models::CreateUserRequest) -> models::User {
    users_api::create_user(&configuration(), request)
        .await
        .expect("the user is created")
}

pub async fn create_named(m: &str, suffix: &str) -> models::User {
    create(models::CreateUserRequest {
        email_address: Some(vec![format!("{suffix}.{m}@example.com")]),
        username: Some(Some(format!("{suffix}_{m}"))),
        first_name: Some(Some(suffix.to_owned())),
        ..Default::default()
    })
    .await
}

pub fn ids(users: &[models::User]) -> Vec<String> {
    users.iter().map(|user| user.id.clone()).collect()
}

/// How many users match, by email address or by `query`: the two filters the suites count by.
pub async fn count_users(
    email_address: Option<Vec<String>>,
    query: Option<&str>,
) -> models::TotalCount {
    users_api::get_users_count(
        &configuration(),
        email_address,
        None,
        None,
        None,
        None,
        None,
        None,
        query,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
    )
    .await
    .expect("the count succeeds")
}
