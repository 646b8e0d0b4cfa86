//! Profile image uploads: the multipart form `POST /users/{user_id}/profile_image` takes.

use utoipa::ToSchema;

/// `multipart/form-data` with one part, `file`: a PNG, JPEG, GIF or WebP image of at most
/// 10 MB. Described for the OpenAPI document; the edge reads the parts as they stream.
#[derive(ToSchema)]
pub struct ProfileImageUpload {
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}
