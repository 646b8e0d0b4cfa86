//! Profile images: an `images` row per upload (its user, format and size) and its bytes in
//! `image_blobs`. The rows always live here; the bytes live here in the database-backed image
//! store (`roster-domain/src/images/`), which is the default. Both go with their user
//! (`ON DELETE CASCADE`).

use roster_model::images::Image;
use sqlx::{FromRow, Row};

use crate::{Store, StoreResult, Tx, execute, on_connection};

const SELECT_IMAGE: &str = "SELECT id, user_id, content_type, width, height, byte_size, created_at \
                            FROM images WHERE id = $1";

#[derive(FromRow)]
struct ImageRow {
    id: String,
    user_id: String,
    content_type: String,
    width: i64,
    height: i64,
    byte_size: i64,
    created_at: i64,
}

impl From<ImageRow> for Image {
    fn from(row: ImageRow) -> Self {
        Image {
            id: row.id,
            user_id: row.user_id,
            content_type: row.content_type,
            width: row.width,
            height: row.height,
            byte_size: row.byte_size,
            created_at: row.created_at,
        }
    }
}

impl Store {
    /// The image with this id, if its user still exists (deleting a user deletes its rows).
    pub async fn get_image(&self, id: &str) -> StoreResult<Option<Image>> {
        let mut reader = self.reader().await?;
        let row: Option<ImageRow> = on_connection!(reader.conn(), |c| {
            sqlx::query_as(SELECT_IMAGE)
                .bind(id)
                .fetch_optional(&mut *c)
                .await?
        });
        Ok(row.map(Image::from))
    }

    /// The bytes stored for an image in `image_blobs`.
    pub async fn get_image_blob(&self, id: &str) -> StoreResult<Option<Vec<u8>>> {
        let mut reader = self.reader().await?;
        Ok(on_connection!(reader.conn(), |c| {
            sqlx::query("SELECT bytes FROM image_blobs WHERE image_id = $1")
                .bind(id)
                .fetch_optional(&mut *c)
                .await?
                .map(|row| row.try_get::<Vec<u8>, _>(0))
                .transpose()?
        }))
    }
}

impl Tx {
    pub async fn insert_image(&mut self, image: &Image) -> StoreResult<()> {
        execute!(
            self.conn(),
            "INSERT INTO images (id, user_id, content_type, width, height, byte_size, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &image.id,
            &image.user_id,
            &image.content_type,
            image.width,
            image.height,
            image.byte_size,
            image.created_at
        );
        Ok(())
    }

    /// Stores an image's bytes in `image_blobs`; its `images` row must exist.
    pub async fn put_image_blob(&mut self, id: &str, bytes: &[u8]) -> StoreResult<()> {
        execute!(
            self.conn(),
            "INSERT INTO image_blobs (image_id, bytes) VALUES ($1, $2)",
            id,
            bytes
        );
        Ok(())
    }

    /// The image with this id, read in the transaction (for `profile_image_id`).
    pub async fn image(&mut self, id: &str) -> StoreResult<Option<Image>> {
        let row: Option<ImageRow> = on_connection!(self.conn(), |c| {
            sqlx::query_as(SELECT_IMAGE)
                .bind(id)
                .fetch_optional(&mut *c)
                .await?
        });
        Ok(row.map(Image::from))
    }

    /// Deletes an image of `user_id` (and its bytes); false when it has no such image.
    pub async fn delete_image(&mut self, user_id: &str, id: &str) -> StoreResult<bool> {
        let rows = execute!(
            self.conn(),
            "DELETE FROM images WHERE id = $1 AND user_id = $2",
            id,
            user_id
        );
        Ok(rows == 1)
    }

    /// Deletes every image of `user_id` but the `keep` newest and `current`; gives the ids
    /// deleted, for a store that keeps their bytes elsewhere.
    pub async fn prune_images(
        &mut self,
        user_id: &str,
        keep: i64,
        current: Option<&str>,
    ) -> StoreResult<Vec<String>> {
        let ids: Vec<String> = on_connection!(self.conn(), |c| {
            sqlx::query(
                "DELETE FROM images WHERE user_id = $1 AND id <> coalesce($3, '') \
                   AND id NOT IN (SELECT id FROM images WHERE user_id = $1 \
                                  ORDER BY created_at DESC, id DESC LIMIT $2) \
                 RETURNING id",
            )
            .bind(user_id)
            .bind(keep)
            .bind(current)
            .fetch_all(&mut *c)
            .await?
            .iter()
            .map(|row| row.try_get(0))
            .collect::<Result<_, _>>()?
        });
        Ok(ids)
    }
}
