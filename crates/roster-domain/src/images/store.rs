//! Where the bytes of images live. The `images` rows (whose image, which format, how large)
//! are always in the database, written in the transaction of the change; an `ImageStore`
//! keeps the bytes. `DatabaseImages`, the default, keeps them in `image_blobs`, in the same
//! transaction, so every node of a PostgreSQL deployment serves every image and a backup of
//! the database is a backup of the images. An object store (S3 and the like) is another
//! implementation: `put` uploads the object before the transaction commits (a rolled-back
//! upload leaves an orphan object, which a sweep of keys without a row removes) and `forget`
//! deletes objects once the transaction has committed.

use std::future::Future;
use std::pin::Pin;

use roster_model::images::Image;
use roster_store::{Store, StoreResult, Tx};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

pub trait ImageStore: Send + Sync {
    /// Keeps the bytes of `image`, whose row `tx` has just inserted.
    fn put<'a>(
        &'a self,
        tx: &'a mut Tx,
        image: &'a Image,
        bytes: &'a [u8],
    ) -> BoxFuture<'a, StoreResult<()>>;

    /// The bytes of `image`, if they are still kept.
    fn get<'a>(&'a self, image: &'a Image) -> BoxFuture<'a, StoreResult<Option<Vec<u8>>>>;

    /// The rows of `ids` were deleted in `tx`: their bytes go once it commits.
    fn forget<'a>(&'a self, tx: &'a mut Tx, ids: Vec<String>) -> BoxFuture<'a, StoreResult<()>>;
}

/// The bytes in the database's `image_blobs`, deleted with their row.
pub struct DatabaseImages {
    store: Store,
}

impl DatabaseImages {
    pub fn new(store: Store) -> Self {
        DatabaseImages { store }
    }
}

impl ImageStore for DatabaseImages {
    fn put<'a>(
        &'a self,
        tx: &'a mut Tx,
        image: &'a Image,
        bytes: &'a [u8],
    ) -> BoxFuture<'a, StoreResult<()>> {
        Box::pin(tx.put_image_blob(&image.id, bytes))
    }

    fn get<'a>(&'a self, image: &'a Image) -> BoxFuture<'a, StoreResult<Option<Vec<u8>>>> {
        Box::pin(self.store.get_image_blob(&image.id))
    }

    fn forget<'a>(&'a self, _tx: &'a mut Tx, _ids: Vec<String>) -> BoxFuture<'a, StoreResult<()>> {
        // `ON DELETE CASCADE` took the bytes with the rows.
        Box::pin(async { Ok(()) })
    }
}
