//! The users API driven through clerk-rs, the Rust SDK, as an application would drive Clerk.
//!
//! The SDK's models are strict: a required key missing from a response, a `null` where it expects
//! a value, or an unknown `object` discriminator fails deserialisation, so every successful call
//! here also checks the shape of what Roster sent.
//!
//! `conformance/run.sh` starts a fresh server and sets `ROSTER_URL` and `ROSTER_SECRET_KEY`. Every
//! test makes its own users, named from a fresh marker, and narrows each listing to them.

mod common;

use clerk_rs::apis::users_api;
use clerk_rs::models::{self, email_address_verification::EmailAddressVerification};
use common::{
    clerk_errors, configuration, configuration_with, count_users, create, create_named, ids,
    marker, now_ms, object,
};
use serde_json::json;

#[allow(clippy::too_many_arguments)]
async fn list(
    email_address: Option<Vec<String>>,
    external_id: Option<Vec<String>>,
    username: Option<Vec<String>>,
    user_id: Option<Vec<String>>,
    query: Option<&str>,
    limit: Option<u32>,
    offset: Option<u32>,
    order_by: Option<&str>,
) -> Vec<models::User> {
    users_api::get_user_list(
        &configuration(),
        email_address,
        None,
        external_id,
        username,
        None,
        user_id,
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
        limit,
        offset,
        None,
        order_by,
    )
    .await
    .expect("the listing succeeds")
}

#[tokio::test]
async fn a_created_user_comes_back_whole_from_create_and_get() {
    let m = marker();
    let before = now_ms();
    let created = create(models::CreateUserRequest {
        email_address: Some(vec![
            format!("first.{m}@example.com"),
            format!("second.{m}@example.org"),
        ]),
        username: Some(Some(format!("user_{m}"))),
        external_id: Some(Some(format!("ext-{m}"))),
        first_name: Some(Some("Ada".to_owned())),
        last_name: Some(Some("Lovelace".to_owned())),
        public_metadata: Some(object(json!({"role": "admin", "nested": {"level": 1}}))),
        private_metadata: Some(object(json!({"secret": [1, 2, 3]}))),
        unsafe_metadata: Some(object(json!({"theme": "dark"}))),
        created_at: Some(Some("2015-06-15T12:00:00.000Z".to_owned())),
        legal_accepted_at: Some(Some("2016-03-01T08:00:00.000Z".to_owned())),
        delete_self_enabled: Some(Some(false)),
        create_organization_enabled: Some(Some(false)),
        create_organizations_limit: Some(Some(5)),
        ..Default::default()
    })
    .await;

    assert!(created.id.starts_with("user_"), "{}", created.id);
    assert_eq!(created.object, models::user::Object::User);
    assert_eq!(
        created.username.as_deref(),
        Some(format!("user_{m}").as_str())
    );
    assert_eq!(
        created.external_id.as_deref(),
        Some(format!("ext-{m}").as_str())
    );
    assert_eq!(created.first_name.as_deref(), Some("Ada"));
    assert_eq!(created.last_name.as_deref(), Some("Lovelace"));
    let addresses: Vec<&str> = created
        .email_addresses
        .iter()
        .map(|email| email.email_address.as_str())
        .collect();
    assert_eq!(
        addresses,
        [
            format!("first.{m}@example.com"),
            format!("second.{m}@example.org")
        ]
    );
    assert_eq!(
        created.primary_email_address_id, created.email_addresses[0].id,
        "the first address is primary"
    );
    for email in &created.email_addresses {
        assert!(email.id.as_deref().is_some_and(|id| id.starts_with("idn_")));
        assert!(!email.reserved);
        assert!(email.linked_to.is_empty());
        match email.verification.as_deref() {
            Some(EmailAddressVerification::VerificationAdmin(verification)) => {
                assert_eq!(
                    verification.status,
                    models::verification_admin::Status::Verified
                );
                assert_eq!(
                    verification.strategy,
                    models::verification_admin::Strategy::Admin
                );
            }
            other => panic!("an address made by the admin is admin-verified: {other:?}"),
        }
    }
    assert_eq!(
        created.public_metadata,
        object(json!({"role": "admin", "nested": {"level": 1}}))
    );
    assert_eq!(
        created.private_metadata,
        Some(Some(object(json!({"secret": [1, 2, 3]}))))
    );
    assert_eq!(
        created.unsafe_metadata,
        Some(object(json!({"theme": "dark"})))
    );
    assert_eq!(created.created_at, 1_434_369_600_000);
    assert_eq!(created.legal_accepted_at, Some(1_456_819_200_000));
    assert!(created.updated_at >= before - 1000);
    assert!(!created.delete_self_enabled);
    assert!(!created.create_organization_enabled);
    assert_eq!(created.create_organizations_limit, Some(Some(5)));
    assert!(!created.password_enabled && !created.totp_enabled && !created.backup_code_enabled);
    assert!(!created.two_factor_enabled && !created.banned && !created.locked);
    assert!(created.phone_numbers.is_empty() && created.web3_wallets.is_empty());
    assert!(created.passkeys.is_empty() && created.external_accounts.is_empty());
    assert_eq!(created.last_sign_in_at, None);

    let fetched = users_api::get_user(&configuration(), &created.id)
        .await
        .expect("the user is found");
    assert_eq!(fetched, created, "GET gives back what POST answered");
}

#[tokio::test]
async fn listings_filter_order_page_and_count_like_clerk() {
    let m = marker();
    let mut made = Vec::new();
    for suffix in ["carol", "alice", "bob"] {
        made.push(create_named(&m, suffix).await);
    }
    let newest_first: Vec<String> = ids(&made).into_iter().rev().collect();

    let found = list(None, None, None, None, Some(&m), None, None, None).await;
    assert_eq!(ids(&found), newest_first, "newest first by default");

    let by_name = list(
        None,
        None,
        None,
        None,
        Some(&m),
        None,
        None,
        Some("+username"),
    )
    .await;
    let names: Vec<_> = by_name.iter().map(|u| u.first_name.clone()).collect();
    assert_eq!(
        names,
        [
            Some("alice".into()),
            Some("bob".into()),
            Some("carol".into())
        ]
    );
    let oldest_first = list(
        None,
        None,
        None,
        None,
        Some(&m),
        None,
        None,
        Some("+created_at"),
    )
    .await;
    assert_eq!(ids(&oldest_first), ids(&made));

    let page = list(None, None, None, None, Some(&m), Some(1), Some(1), None).await;
    assert_eq!(ids(&page), [newest_first[1].clone()], "limit 1, offset 1");

    let by_email = list(
        Some(vec![format!("BOB.{m}@example.com")]),
        None,
        None,
        None,
        None,
        None,
        None,
        None,
    )
    .await;
    assert_eq!(
        ids(&by_email),
        [made[2].id.clone()],
        "emails match case-insensitively"
    );
    let by_username = list(
        None,
        None,
        Some(vec![format!("alice_{m}"), format!("carol_{m}")]),
        None,
        None,
        None,
        None,
        Some("+created_at"),
    )
    .await;
    assert_eq!(ids(&by_username), [made[0].id.clone(), made[1].id.clone()]);
    let by_id = list(
        None,
        None,
        None,
        Some(vec![made[1].id.clone()]),
        None,
        None,
        None,
        None,
    )
    .await;
    assert_eq!(ids(&by_id), [made[1].id.clone()]);

    let count = count_users(None, Some(&m)).await;
    assert_eq!(count.total_count, 3);
    assert_eq!(count.object, models::total_count::Object::TotalCount);
}

#[tokio::test]
async fn updates_change_the_fields_given_and_keep_the_rest() {
    let m = marker();
    let user = create_named(&m, "grace").await;
    let updated = users_api::update_user(
        &configuration(),
        &user.id,
        models::UpdateUserRequest {
            first_name: Some(Some("Grace".to_owned())),
            last_name: Some(Some("Hopper".to_owned())),
            username: Some(Some(format!("hopper_{m}"))),
            external_id: Some(Some(format!("navy-{m}"))),
            delete_self_enabled: Some(Some(false)),
            create_organization_enabled: Some(Some(false)),
            create_organizations_limit: Some(Some(2)),
            ..Default::default()
        },
    )
    .await
    .expect("the update succeeds");
    assert_eq!(updated.first_name.as_deref(), Some("Grace"));
    assert_eq!(updated.last_name.as_deref(), Some("Hopper"));
    assert_eq!(
        updated.username.as_deref(),
        Some(format!("hopper_{m}").as_str())
    );
    assert_eq!(
        updated.external_id.as_deref(),
        Some(format!("navy-{m}").as_str())
    );
    assert!(!updated.delete_self_enabled && !updated.create_organization_enabled);
    assert_eq!(updated.create_organizations_limit, Some(Some(2)));
    assert_eq!(updated.email_addresses, user.email_addresses, "untouched");
    assert!(updated.updated_at >= user.updated_at);

    let cleared = users_api::update_user(
        &configuration(),
        &user.id,
        models::UpdateUserRequest {
            last_name: Some(None),
            external_id: Some(None),
            ..Default::default()
        },
    )
    .await
    .expect("null clears a field");
    assert_eq!(cleared.last_name, None);
    assert_eq!(cleared.external_id, None);
    assert_eq!(cleared.first_name.as_deref(), Some("Grace"));
}

#[tokio::test]
async fn metadata_merges_deeply_and_replaces_what_is_given() {
    let m = marker();
    let user = create(models::CreateUserRequest {
        email_address: Some(vec![format!("meta.{m}@example.com")]),
        public_metadata: Some(object(
            json!({"plan": "free", "limits": {"seats": 1, "sso": false}}),
        )),
        private_metadata: Some(object(json!({"crm": "x1"}))),
        ..Default::default()
    })
    .await;

    let merged = users_api::update_user_metadata(
        &configuration(),
        &user.id,
        Some(models::UpdateUserMetadataRequest {
            public_metadata: Some(object(json!({"limits": {"seats": 5, "sso": null}}))),
            unsafe_metadata: Some(object(json!({"seen_tour": true}))),
            ..Default::default()
        }),
    )
    .await
    .expect("the merge succeeds");
    assert_eq!(
        merged.public_metadata,
        object(json!({"plan": "free", "limits": {"seats": 5}})),
        "merged at every depth, null deletes"
    );
    assert_eq!(
        merged.private_metadata,
        Some(Some(object(json!({"crm": "x1"}))))
    );
    assert_eq!(
        merged.unsafe_metadata,
        Some(object(json!({"seen_tour": true})))
    );

    let replaced = users_api::replace_user_metadata(
        &configuration(),
        &user.id,
        Some(models::ReplaceUserMetadataRequest {
            public_metadata: Some(object(json!({"plan": "pro"}))),
            ..Default::default()
        }),
    )
    .await
    .expect("the replace succeeds");
    assert_eq!(replaced.public_metadata, object(json!({"plan": "pro"})));
    assert_eq!(
        replaced.private_metadata,
        Some(Some(object(json!({"crm": "x1"})))),
        "a tier not given is kept"
    );
}

#[tokio::test]
async fn ban_lock_and_their_reversals_one_user_and_in_bulk() {
    let m = marker();
    let user = create_named(&m, "mallory").await;
    let config = configuration();

    let banned = users_api::ban_user(&config, &user.id).await.expect("ban");
    assert!(banned.banned);
    let unbanned = users_api::unban_user(&config, &user.id)
        .await
        .expect("unban");
    assert!(!unbanned.banned);

    let locked = users_api::lock_user(&config, &user.id).await.expect("lock");
    assert!(locked.locked);
    let unlocked = users_api::unlock_user(&config, &user.id)
        .await
        .expect("unlock");
    assert!(!unlocked.locked);
    assert_eq!(unlocked.lockout_expires_in_seconds, None);

    let other = create_named(&m, "trudy").await;
    let both = vec![user.id.clone(), other.id.clone()];
    let banned = users_api::users_ban(
        &config,
        models::UsersBanRequest {
            user_ids: both.clone(),
        },
    )
    .await
    .expect("bulk ban");
    assert_eq!(ids(&banned), both);
    assert!(banned.iter().all(|u| u.banned));
    let unbanned = users_api::users_unban(&config, models::UsersUnbanRequest { user_ids: both })
        .await
        .expect("bulk unban");
    assert!(unbanned.iter().all(|u| !u.banned));
}

#[tokio::test]
async fn a_deleted_user_is_gone() {
    let m = marker();
    let user = create_named(&m, "eve").await;
    let deleted = users_api::delete_user(&configuration(), &user.id)
        .await
        .expect("the delete succeeds");
    assert_eq!(deleted.object, "user");
    assert_eq!(deleted.id.as_deref(), Some(user.id.as_str()));
    assert!(deleted.deleted);

    let error = users_api::get_user(&configuration(), &user.id)
        .await
        .expect_err("a deleted user is not found");
    let (status, errors) = clerk_errors(error);
    assert_eq!(status, 404);
    assert_eq!(errors.errors[0].code, "resource_not_found");
}

#[tokio::test]
async fn errors_come_in_clerks_envelope_with_clerks_codes() {
    let m = marker();
    let user = create_named(&m, "dup").await;

    let error = users_api::create_user(
        &configuration(),
        models::CreateUserRequest {
            email_address: Some(vec![format!("DUP.{m}@example.com")]),
            ..Default::default()
        },
    )
    .await
    .expect_err("an address is taken whatever its case");
    let (status, errors) = clerk_errors(error);
    assert_eq!(status, 422);
    let first = &errors.errors[0];
    assert_eq!(first.code, "form_identifier_exists");
    assert!(!first.message.is_empty() && !first.long_message.is_empty());
    assert_eq!(
        first.meta.as_ref().and_then(|meta| meta.get("param_name")),
        Some(&json!("email_address"))
    );
    assert!(errors.clerk_trace_id.is_some());

    let error = users_api::update_user(
        &configuration(),
        &user.id,
        models::UpdateUserRequest {
            primary_email_address_id: Some(Some("idn_doesnotexist".to_owned())),
            ..Default::default()
        },
    )
    .await
    .expect_err("a primary address must be one of the user's");
    let (status, _) = clerk_errors(error);
    assert_eq!(status, 422);
    let unchanged = users_api::get_user(&configuration(), &user.id)
        .await
        .expect("still there");
    assert_eq!(unchanged, user, "a refused update changes nothing");

    let error = users_api::get_user(&configuration(), "user_2doesnotexist0000000000000")
        .await
        .expect_err("no such user");
    let (status, errors) = clerk_errors(error);
    assert_eq!(status, 404);
    assert_eq!(errors.errors[0].code, "resource_not_found");

    let error = users_api::get_user(&configuration_with("sk_test_not_a_key"), &user.id)
        .await
        .expect_err("a wrong key is refused");
    let (status, errors) = clerk_errors(error);
    assert_eq!(status, 401);
    assert!(!errors.errors.is_empty());
}
