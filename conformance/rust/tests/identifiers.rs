//! Email addresses and phone numbers through clerk-rs: their own endpoints, the primary and
//! verification rules, and the errors that guard them.

mod common;

use clerk_rs::apis::{email_addresses_api, phone_numbers_api, users_api};
use clerk_rs::models;
use common::{clerk_errors, configuration, create, marker};
use serde_json::json;

/// A fresh E.164 number in the North American plan: +1, an area code and exchange that are
/// valid (2xx–9xx), and digits from the marker's clock.
fn phone_number() -> String {
    let digits: String = marker()
        .bytes()
        .map(|byte| char::from(b'0' + byte % 10))
        .collect();
    format!(
        "+1415{}{}",
        2 + (digits.as_bytes()[0] - b'0') % 8,
        &digits[1..7]
    )
}

#[tokio::test]
async fn an_email_address_is_added_verified_made_primary_and_the_old_one_deleted() {
    let m = marker();
    let config = configuration();
    let user = create(models::CreateUserRequest {
        email_address: Some(vec![format!("first.{m}@example.com")]),
        ..Default::default()
    })
    .await;
    let first_id = user
        .primary_email_address_id
        .clone()
        .expect("a primary address");

    let added = email_addresses_api::create_email_address(
        &config,
        Some(models::CreateEmailAddressRequest {
            user_id: user.id.clone(),
            email_address: format!("Second.{m}@Example.com"),
            ..Default::default()
        }),
    )
    .await
    .expect("the address is added");
    let added_id = added.id.clone().expect("an id");
    assert_eq!(
        added.email_address,
        format!("Second.{m}@Example.com"),
        "as given"
    );
    assert_eq!(added.object, models::email_address::Object::EmailAddress);
    assert!(added.verification.is_none(), "not verified unless asked");
    assert!(added.linked_to.is_empty());

    let fetched = email_addresses_api::get_email_address(&config, &added_id)
        .await
        .expect("the address is found");
    assert_eq!(fetched, added);

    let verified = email_addresses_api::update_email_address(
        &config,
        &added_id,
        Some(models::UpdateEmailAddressRequest {
            verified: Some(Some(true)),
            ..Default::default()
        }),
    )
    .await
    .expect("the address is verified");
    assert!(verified.verification.is_some());
    email_addresses_api::update_email_address(
        &config,
        &added_id,
        Some(models::UpdateEmailAddressRequest {
            primary: Some(Some(true)),
            ..Default::default()
        }),
    )
    .await
    .expect("a verified address can become primary");
    let user_now = users_api::get_user(&config, &user.id).await.expect("user");
    assert_eq!(
        user_now.primary_email_address_id.as_deref(),
        Some(added_id.as_str())
    );

    let deleted = email_addresses_api::delete_email_address(&config, &first_id)
        .await
        .expect("a former primary can be deleted");
    assert!(deleted.deleted);
    assert_eq!(deleted.id.as_deref(), Some(first_id.as_str()));
    assert_eq!(deleted.object, "email_address");
    let remaining = users_api::get_user(&config, &user.id).await.expect("user");
    let addresses: Vec<_> = remaining
        .email_addresses
        .iter()
        .map(|email| email.email_address.clone())
        .collect();
    assert_eq!(addresses, [format!("Second.{m}@Example.com")]);
}

#[tokio::test]
async fn the_rules_on_email_addresses_answer_with_clerks_codes_and_change_nothing() {
    let m = marker();
    let config = configuration();
    create(models::CreateUserRequest {
        email_address: Some(vec![format!("taken.{m}@example.com")]),
        ..Default::default()
    })
    .await;
    let user = create(models::CreateUserRequest {
        email_address: Some(vec![format!("mine.{m}@example.com")]),
        ..Default::default()
    })
    .await;

    let error = email_addresses_api::create_email_address(
        &config,
        Some(models::CreateEmailAddressRequest {
            user_id: user.id.clone(),
            email_address: format!("TAKEN.{m}@example.com"),
            ..Default::default()
        }),
    )
    .await
    .expect_err("another user has it");
    let (status, errors) = clerk_errors(error);
    assert_eq!(status, 422);
    assert_eq!(errors.errors[0].code, "form_identifier_exists");
    assert_eq!(
        errors.errors[0]
            .meta
            .as_ref()
            .and_then(|meta| meta.get("param_name")),
        Some(&json!("email_address"))
    );

    let unverified = email_addresses_api::create_email_address(
        &config,
        Some(models::CreateEmailAddressRequest {
            user_id: user.id.clone(),
            email_address: format!("unverified.{m}@example.com"),
            ..Default::default()
        }),
    )
    .await
    .expect("added");
    let error = email_addresses_api::update_email_address(
        &config,
        unverified.id.as_deref().expect("an id"),
        Some(models::UpdateEmailAddressRequest {
            primary: Some(Some(true)),
            ..Default::default()
        }),
    )
    .await
    .expect_err("an unverified address cannot be primary");
    let (status, errors) = clerk_errors(error);
    assert_eq!(status, 422);
    assert_eq!(errors.errors[0].code, "form_verification_needed");

    let primary = user.primary_email_address_id.clone().expect("a primary");
    let error = email_addresses_api::delete_email_address(&config, &primary)
        .await
        .expect_err("the primary address stays while others are unverified");
    let (_, errors) = clerk_errors(error);
    assert_eq!(errors.errors[0].code, "identification_deletion_failed");

    let error = email_addresses_api::get_email_address(&config, "idn_missing")
        .await
        .expect_err("no such address");
    let (status, errors) = clerk_errors(error);
    assert_eq!(status, 404);
    assert_eq!(errors.errors[0].code, "resource_not_found");

    let after = users_api::get_user(&config, &user.id).await.expect("user");
    assert_eq!(
        after.primary_email_address_id,
        user.primary_email_address_id
    );
    assert_eq!(after.email_addresses.len(), 2);
}

#[tokio::test]
async fn a_phone_number_reserved_for_the_second_factor_is_its_default() {
    let m = marker();
    let config = configuration();
    let user = create(models::CreateUserRequest {
        username: Some(Some(format!("p_{m}"))),
        ..Default::default()
    })
    .await;
    let number = phone_number();
    let created = phone_numbers_api::create_phone_number(
        &config,
        Some(models::CreatePhoneNumberRequest {
            user_id: user.id.clone(),
            phone_number: number.clone(),
            verified: Some(Some(true)),
            reserved_for_second_factor: Some(Some(true)),
            ..Default::default()
        }),
    )
    .await
    .expect("the number is added");
    let id = created.id.clone().expect("an id");
    assert_eq!(created.object, models::phone_number::Object::PhoneNumber);
    assert_eq!(created.phone_number, number);
    assert_eq!(created.reserved_for_second_factor, Some(true));
    assert_eq!(created.default_second_factor, Some(true));
    let user_now = users_api::get_user(&config, &user.id).await.expect("user");
    assert_eq!(
        user_now.primary_phone_number_id.as_deref(),
        Some(id.as_str())
    );

    let updated = phone_numbers_api::update_phone_number(
        &config,
        &id,
        Some(models::UpdatePhoneNumberRequest {
            reserved_for_second_factor: Some(Some(false)),
            ..Default::default()
        }),
    )
    .await
    .expect("updated");
    assert_eq!(updated.reserved_for_second_factor, Some(false));
    let fetched = phone_numbers_api::get_phone_number(&config, &id)
        .await
        .expect("found");
    assert_eq!(fetched.default_second_factor, Some(false));

    let error = phone_numbers_api::create_phone_number(
        &config,
        Some(models::CreatePhoneNumberRequest {
            user_id: user.id.clone(),
            phone_number: "555-0100".to_owned(),
            ..Default::default()
        }),
    )
    .await
    .expect_err("not E.164");
    let (status, errors) = clerk_errors(error);
    assert_eq!(status, 422);
    assert_eq!(errors.errors[0].code, "form_param_format_invalid");
    assert_eq!(
        errors.errors[0]
            .meta
            .as_ref()
            .and_then(|meta| meta.get("param_name")),
        Some(&json!("phone_number"))
    );

    let deleted = phone_numbers_api::delete_phone_number(&config, &id)
        .await
        .expect("deleted");
    assert!(deleted.deleted);
    assert_eq!(deleted.object, "phone_number");
}
