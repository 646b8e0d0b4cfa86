//! The default avatar every user's `image_url` points at until image uploads exist: a plain
//! silhouette whose colour comes from the user id. It reveals nothing about the user, so it is
//! served without a key, as browsers load it directly.

use axum::extract::Path;
use axum::http::header;
use axum::response::IntoResponse;

use crate::params::UserPath;

#[utoipa::path(
    get,
    path = "/avatars/{user_id}",
    tag = "meta",
    params(UserPath),
    responses((status = 200, description = "The user's default avatar.", body = String, content_type = "image/svg+xml"))
)]
pub(crate) async fn default_avatar(Path(user_id): Path<String>) -> impl IntoResponse {
    let hue = user_id.bytes().fold(0u32, |hash, byte| {
        hash.wrapping_mul(31).wrapping_add(u32::from(byte))
    }) % 360;
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 64 64\" width=\"64\" height=\"64\">\
         <rect width=\"64\" height=\"64\" fill=\"hsl({hue},45%,55%)\"/>\
         <circle cx=\"32\" cy=\"25\" r=\"12\" fill=\"#fff\" fill-opacity=\".85\"/>\
         <path d=\"M12 58c2-12 10-18 20-18s18 6 20 18z\" fill=\"#fff\" fill-opacity=\".85\"/></svg>"
    );
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        svg,
    )
}
