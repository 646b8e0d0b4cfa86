//! Passwords, TOTP and backup codes through clerk-rs: set at creation, verified, and removed.

mod common;

use clerk_rs::apis::{Error, users_api};
use clerk_rs::models;
use clerk_rs::models::verify_totp_200_response::CodeType;
use common::{clerk_errors, configuration, count_users, create, marker};
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// `JBSWY3DPEHPK3PXP` in base32, the secret Roster is given, is these bytes.
const TOTP_SECRET: &str = "JBSWY3DPEHPK3PXP";
const TOTP_KEY: &[u8] = b"Hello!\xde\xad\xbe\xef";

/// RFC 6238 with SHA-1, 30-second steps and 6 digits, as an authenticator app computes it.
fn totp_now() -> String {
    let step = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is past 1970")
        .as_secs()
        / 30;
    let mut mac = Hmac::<Sha1>::new_from_slice(TOTP_KEY).expect("any key length");
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let number = u32::from_be_bytes(digest[offset..offset + 4].try_into().expect("4 bytes"));
    format!("{:06}", (number & 0x7fff_ffff) % 1_000_000)
}

async fn verify_password(
    user_id: &str,
    password: &str,
) -> Result<models::VerifyPassword200Response, Error<users_api::VerifyPasswordError>> {
    let request = models::VerifyPasswordRequest {
        password: password.to_owned(),
    };
    users_api::verify_password(&configuration(), user_id, Some(request)).await
}

async fn verify_totp(
    user_id: &str,
    code: &str,
) -> Result<models::VerifyTotp200Response, Error<users_api::VerifyTotpError>> {
    let request = models::VerifyTotpRequest {
        code: code.to_owned(),
    };
    users_api::verify_totp(&configuration(), user_id, Some(request)).await
}

#[tokio::test]
async fn a_password_is_set_verified_flagged_and_removed() {
    let config = configuration();
    let user = create(models::CreateUserRequest {
        email_address: Some(vec![format!("pw.{}@example.com", marker())]),
        password: Some(Some("a sturdy passphrase".to_owned())),
        ..Default::default()
    })
    .await;
    assert!(user.password_enabled);
    assert!(matches!(user.password_last_updated_at, Some(Some(_))));

    let checked = verify_password(&user.id, "a sturdy passphrase")
        .await
        .expect("the right password verifies");
    assert_eq!(checked.verified, Some(true));
    let error = verify_password(&user.id, "not it")
        .await
        .expect_err("a wrong password is refused");
    let (status, errors) = clerk_errors(error);
    assert_eq!(status, 422);
    assert_eq!(errors.errors[0].code, "incorrect_password");

    let flagged = users_api::set_user_password_compromised(&config, &user.id, None)
        .await
        .expect("flagged");
    assert_eq!(flagged.id, user.id);
    users_api::unset_user_password_compromised(&config, &user.id)
        .await
        .expect("unflagged");

    let removed = users_api::remove_user_password(&config, &user.id, None)
        .await
        .expect("removed");
    assert!(!removed.password_enabled);
    let error = verify_password(&user.id, "a sturdy passphrase")
        .await
        .expect_err("nothing to verify against");
    let (status, errors) = clerk_errors(error);
    assert_eq!(status, 400);
    assert_eq!(errors.errors[0].code, "no_password_set");
}

#[tokio::test]
async fn a_breached_password_is_refused_and_no_user_is_made() {
    let m = marker();
    let error = users_api::create_user(
        &configuration(),
        models::CreateUserRequest {
            email_address: Some(vec![format!("pwned.{m}@example.com")]),
            password: Some(Some("password123".to_owned())),
            ..Default::default()
        },
    )
    .await
    .expect_err("a well-known password is refused");
    let (status, errors) = clerk_errors(error);
    assert_eq!(status, 422);
    assert_eq!(errors.errors[0].code, "form_password_pwned");
    let count = count_users(Some(vec![format!("pwned.{m}@example.com")]), None).await;
    assert_eq!(count.total_count, 0);
}

#[tokio::test]
async fn totp_and_backup_codes_verify_once_and_are_removed() {
    let config = configuration();
    let user = create(models::CreateUserRequest {
        email_address: Some(vec![format!("mfa.{}@example.com", marker())]),
        totp_secret: Some(Some(TOTP_SECRET.to_owned())),
        backup_codes: Some(vec!["recovery-one".to_owned(), "recovery-two".to_owned()]),
        ..Default::default()
    })
    .await;
    assert!(user.totp_enabled && user.backup_code_enabled && user.two_factor_enabled);
    assert!(user.mfa_enabled_at.is_some());

    let checked = verify_totp(&user.id, &totp_now())
        .await
        .expect("the current code verifies");
    assert_eq!(checked.verified, Some(true));
    assert_eq!(checked.code_type, Some(CodeType::Totp));

    let used = verify_totp(&user.id, "recovery-two")
        .await
        .expect("a backup code verifies");
    assert_eq!(used.code_type, Some(CodeType::BackupCode));
    let error = verify_totp(&user.id, "recovery-two")
        .await
        .expect_err("a backup code works once");
    let (status, errors) = clerk_errors(error);
    assert_eq!(status, 422);
    assert_eq!(errors.errors[0].code, "totp_incorrect_code");

    let removed = users_api::delete_backup_code(&config, &user.id)
        .await
        .expect("backup codes removed");
    assert_eq!(removed.user_id.as_deref(), Some(user.id.as_str()));
    let after = users_api::get_user(&config, &user.id).await.expect("user");
    assert!(!after.backup_code_enabled && after.totp_enabled);
    users_api::delete_totp(&config, &user.id)
        .await
        .expect("TOTP removed");
    let after = users_api::get_user(&config, &user.id).await.expect("user");
    assert!(!after.totp_enabled && !after.two_factor_enabled);
    assert!(after.mfa_disabled_at.is_some());
}
