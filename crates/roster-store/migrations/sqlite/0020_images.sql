-- Profile images. `images` describes each upload; `image_blobs` holds its bytes, apart, so an
-- object store can take the bytes over while the rows stay. Both go with their user.
ALTER TABLE users ADD COLUMN profile_image_id TEXT;

CREATE TABLE images (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    byte_size INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX images_user ON images (user_id, created_at);

CREATE TABLE image_blobs (
    image_id TEXT PRIMARY KEY NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    bytes BLOB NOT NULL
);
