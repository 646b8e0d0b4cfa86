//! Uploaded profile images: what is known of one besides its bytes.

use crate::time::Millis;

/// One stored image of a user, as normalised at upload (re-encoded, metadata stripped, at
/// most `MAX_SIDE` pixels a side). Its bytes never change, so a rendition of it is cacheable
/// by its id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    pub id: String,
    pub user_id: String,
    /// `image/png` or `image/jpeg`: the format it was re-encoded in.
    pub content_type: String,
    pub width: i64,
    pub height: i64,
    pub byte_size: i64,
    pub created_at: Millis,
}
