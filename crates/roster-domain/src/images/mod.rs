//! The `Images` service: a user's profile image uploaded, deleted, and served at any size.
//!
//! An upload is decoded and re-encoded on the imaging pool's threads (`codec.rs`; the
//! hashing pool's kind, apart from password hashing), never on an async worker: at most one
//! decode per thread runs at once, so concurrent uploads cost bounded memory, and past the
//! queue or its deadline they get 429.
//! Then one `Tx` stores the image, makes it the user's current one, drops the oldest beyond
//! `KEPT_IMAGES`, and emits `user.updated`. Renditions (resized variants) are made on the same
//! threads and cached in memory (`cache.rs`); the bytes are kept by an `ImageStore`
//! (`store.rs`), the database unless another is given.

mod cache;
mod codec;
mod store;

pub use codec::{Fit, MAX_DECODED_SIDE, MAX_SIDE, MAX_UPLOAD_BYTES, Variant};
pub use store::{BoxFuture, DatabaseImages, ImageStore};

use std::sync::Arc;

use roster_model::ids::{ImageId, UserId};
use roster_model::images::Image;
use roster_model::time::now_millis;
use roster_model::users::User;

use crate::context::Context;
use crate::error::{DomainError, DomainResult};
use crate::user_record::{self, load_for_update, present, write};
use cache::RenditionCache;
use codec::CodecError;

/// Images kept per user: the current one and the most recent others, which
/// `profile_image_id` can switch back to.
pub const KEPT_IMAGES: i64 = 10;
/// Memory the cached renditions of one node may take.
const CACHE_BYTES: usize = 64 * 1024 * 1024;

/// An image encoded for serving.
#[derive(Debug)]
pub struct Rendition {
    /// Unique per image and canonical variant; what an ETag is made from.
    pub tag: String,
    pub content_type: &'static str,
    pub bytes: bytes::Bytes,
}

#[derive(Clone)]
pub struct Images {
    cx: Arc<Context>,
    store: Arc<dyn ImageStore>,
    cache: Arc<RenditionCache>,
}

impl Images {
    /// Images whose bytes are kept in the database.
    pub fn new(cx: Arc<Context>) -> Self {
        let store = Arc::new(DatabaseImages::new(cx.store.clone()));
        Images::with_store(cx, store)
    }

    /// Images whose bytes `store` keeps.
    pub fn with_store(cx: Arc<Context>, store: Arc<dyn ImageStore>) -> Self {
        Images {
            cx,
            store,
            cache: Arc::new(RenditionCache::new(CACHE_BYTES)),
        }
    }

    /// Stores `file` as a new image of the user and makes it the current one.
    pub async fn upload(&self, user_id: &UserId, file: Vec<u8>) -> DomainResult<User> {
        let id = user_id.as_str();
        if file.len() > MAX_UPLOAD_BYTES {
            return Err(DomainError::ImageTooLarge { pixels: false });
        }
        if self.cx.store.get_user(id).await?.is_none() {
            return Err(DomainError::user_not_found(id));
        }
        let encoded = self
            .cx
            .imaging
            .run(move || codec::normalize(&file))
            .await?
            .map_err(codec_error)?;
        let now = now_millis();
        let image = Image {
            id: ImageId::generate().into_string(),
            user_id: id.to_owned(),
            content_type: encoded.content_type.to_owned(),
            width: i64::from(encoded.width),
            height: i64::from(encoded.height),
            byte_size: encoded.bytes.len() as i64,
            created_at: now,
        };
        let mut tx = self.cx.store.begin().await?;
        let mut user = load_for_update(&mut tx, id).await?;
        tx.insert_image(&image).await?;
        self.store.put(&mut tx, &image, &encoded.bytes).await?;
        let pruned = tx.prune_images(id, KEPT_IMAGES, Some(&image.id)).await?;
        self.store.forget(&mut tx, pruned).await?;
        user.profile_image_id = Some(image.id);
        let was_banned = user.banned;
        write(&mut tx, &mut user, now).await?;
        user_record::updated(&self.cx, &mut tx, was_banned, &user, now).await?;
        tx.commit().await?;
        Ok(present(&self.cx, user, now))
    }

    /// Deletes the user's current image; the user then shows the default avatar. A user
    /// without one is answered as it is.
    pub async fn delete_profile_image(&self, user_id: &UserId) -> DomainResult<User> {
        let id = user_id.as_str();
        let now = now_millis();
        let mut tx = self.cx.store.begin().await?;
        let mut user = load_for_update(&mut tx, id).await?;
        let Some(current) = user.profile_image_id.take() else {
            return Ok(present(&self.cx, user, now));
        };
        tx.delete_image(id, &current).await?;
        self.store.forget(&mut tx, vec![current]).await?;
        let was_banned = user.banned;
        write(&mut tx, &mut user, now).await?;
        user_record::updated(&self.cx, &mut tx, was_banned, &user, now).await?;
        tx.commit().await?;
        Ok(present(&self.cx, user, now))
    }

    /// The image with this id, while its user exists.
    pub async fn find(&self, image_id: &ImageId) -> DomainResult<Image> {
        let image_id = image_id.as_str();
        self.cx
            .store
            .get_image(image_id)
            .await?
            .ok_or_else(|| image_not_found(image_id))
    }

    /// The tag of a rendition of `image`, known without making it (for `If-None-Match`).
    pub fn tag(&self, image: &Image, variant: Variant) -> String {
        variant.canonical(&image.content_type).tag(&image.id)
    }

    /// `variant` of `image`: from the cache, or made on the pool and cached.
    pub async fn render(&self, image: &Image, variant: Variant) -> DomainResult<Arc<Rendition>> {
        let content_type = stored_type(&image.content_type);
        let variant = variant.canonical(content_type);
        let tag = variant.tag(&image.id);
        if let Some(rendition) = self.cache.get(&tag) {
            return Ok(rendition);
        }
        let original = self
            .store
            .get(image)
            .await?
            .ok_or_else(|| image_not_found(&image.id))?;
        let bytes = if variant == Variant::default() {
            original
        } else {
            self.cx
                .imaging
                .run(move || codec::render(&original, content_type, &variant))
                .await?
                .map_err(codec_error)?
                .bytes
        };
        let rendition = Arc::new(Rendition {
            tag,
            content_type,
            bytes: bytes.into(),
        });
        self.cache.put(rendition.clone());
        Ok(rendition)
    }
}

/// `profile_image_id` must name one of the user's images.
pub(crate) async fn ensure_image_of(
    tx: &mut roster_store::Tx,
    user_id: &str,
    image_id: &str,
) -> DomainResult<()> {
    let image = match ImageId::parse(image_id) {
        Some(id) => tx.image(id.as_str()).await?,
        None => None,
    };
    match image {
        Some(image) if image.user_id == user_id => Ok(()),
        _ => Err(DomainError::field(
            "profile_image_id",
            crate::error::FieldErrorKind::ResourceNotFound,
        )),
    }
}

fn stored_type(content_type: &str) -> &'static str {
    if content_type == codec::JPEG {
        codec::JPEG
    } else {
        codec::PNG
    }
}

fn image_not_found(id: &str) -> DomainError {
    DomainError::NotFound {
        resource: "image",
        id: id.to_owned(),
    }
}

fn codec_error(error: CodecError) -> DomainError {
    match error {
        CodecError::NotAnImage => DomainError::ImageInvalid,
        CodecError::TooManyPixels => DomainError::ImageTooLarge { pixels: true },
        CodecError::Encoding => DomainError::Internal("an image could not be encoded"),
    }
}
