//! Profile images through clerk-rs: `set_user_profile_image` (which streams a file from disk,
//! without a Content-Length) and `delete_user_profile_image`.

mod common;

use clerk_rs::apis::users_api;
use clerk_rs::models;
use common::{configuration, create, marker};

/// A 4 × 2 RGB PNG.
const PNG: [u8; 73] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x02, 0x08, 0x02, 0x00, 0x00, 0x00, 0xf0, 0xca, 0xea,
    0x34, 0x00, 0x00, 0x00, 0x10, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x38, 0xa1, 0xa1, 0x01,
    0x47, 0x0c, 0xc8, 0x1c, 0x00, 0x76, 0xda, 0x08, 0xc1, 0xf4, 0xba, 0xfd, 0x50, 0x00, 0x00, 0x00,
    0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

#[tokio::test]
async fn set_and_delete_a_profile_image() {
    let user = create(models::CreateUserRequest {
        first_name: Some(Some("Pic".to_owned())),
        ..Default::default()
    })
    .await;
    assert!(!user.has_image);
    let path = std::env::temp_dir().join(format!("roster-{}.png", marker()));
    std::fs::write(&path, PNG).expect("written");
    let uploaded =
        users_api::set_user_profile_image(&configuration(), &user.id, Some(path.clone()))
            .await
            .expect("uploaded");
    let _ = std::fs::remove_file(&path);
    assert!(uploaded.has_image);
    let url = uploaded.image_url.clone().expect("image_url");
    assert!(url.contains("/images/img_"), "{url}");
    let served = reqwest::get(&url).await.expect("fetched");
    assert_eq!(served.status().as_u16(), 200);
    assert_eq!(served.headers()["content-type"], "image/png");

    let deleted = users_api::delete_user_profile_image(&configuration(), &user.id)
        .await
        .expect("deleted");
    assert!(!deleted.has_image);
    assert_eq!(deleted.image_url, user.image_url);
    assert_eq!(
        reqwest::get(&url).await.expect("fetched").status().as_u16(),
        404
    );
}
