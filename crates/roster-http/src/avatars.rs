//! The default avatar of a user without an uploaded image: a plain silhouette whose colour
//! comes from the user id. Deterministic and generated here (no network, no stored bytes), it
//! reveals nothing about the user, so it is served without a key, as browsers load it
//! directly, with the same validators as uploaded images (`images.rs`).

use axum::extract::Path;
use axum::http::HeaderMap;
use axum::response::Response;

use crate::images::{image_response, not_modified};
use crate::params::UserPath;

const AVATAR_CACHE_CONTROL: &str = "public, max-age=86400";

#[utoipa::path(
    get,
    path = "/avatars/{user_id}",
    tag = "meta",
    params(UserPath),
    responses(
        (status = 200, description = "The user's default avatar.", body = String, content_type = "image/svg+xml"),
        (status = 304, description = "The avatar is unchanged since the ETag given in If-None-Match."),
    )
)]
pub(crate) async fn default_avatar(Path(user_id): Path<String>, headers: HeaderMap) -> Response {
    let hue = user_id.bytes().fold(0u32, |hash, byte| {
        hash.wrapping_mul(31).wrapping_add(u32::from(byte))
    }) % 360;
    // The picture depends on the hue alone.
    let etag = format!("\"avatar-1-{hue}\"");
    if let Some(response) = not_modified(&headers, &etag, AVATAR_CACHE_CONTROL) {
        return response;
    }
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 64 64\" width=\"64\" height=\"64\">\
         <rect width=\"64\" height=\"64\" fill=\"hsl({hue},45%,55%)\"/>\
         <circle cx=\"32\" cy=\"25\" r=\"12\" fill=\"#fff\" fill-opacity=\".85\"/>\
         <path d=\"M12 58c2-12 10-18 20-18s18 6 20 18z\" fill=\"#fff\" fill-opacity=\".85\"/></svg>"
    );
    image_response(&etag, "image/svg+xml", AVATAR_CACHE_CONTROL, svg.into())
}
