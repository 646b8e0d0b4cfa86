//! Decoding, normalising and resizing images: pure CPU, run on the imaging pool's threads.
//!
//! An upload is decoded under limits that `image` checks against the header before it
//! allocates a pixel, so a small file that declares 50,000 × 50,000 pixels is refused at once.
//! It is then re-encoded from its pixels alone, so EXIF (a phone's GPS position), XMP, ICC and
//! text chunks are gone; only EXIF's orientation is applied to the pixels first. The stored
//! original is at most `MAX_SIDE` pixels a side, as PNG (anything with transparency, and
//! every lossless source) or JPEG (photos).

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits};

/// The largest upload accepted, in bytes (Clerk's limit).
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;
/// The longest side of a stored original and of any rendition, in pixels.
pub const MAX_SIDE: u32 = 1024;
/// The longest side an upload may declare.
pub const MAX_DECODED_SIDE: u32 = 12_000;
/// The most memory decoding one upload may allocate.
const MAX_DECODED_BYTES: u64 = 160 * 1024 * 1024;
/// JPEG quality of stored originals, and of renditions that ask for none.
pub const DEFAULT_QUALITY: u8 = 85;

pub const PNG: &str = "image/png";
pub const JPEG: &str = "image/jpeg";

/// An image encoded as stored or served.
#[derive(Debug)]
pub(crate) struct Encoded {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum CodecError {
    /// Not a PNG, JPEG, GIF or WebP file that decodes.
    NotAnImage,
    /// Declares more pixels, or needs more memory, than the limits allow.
    TooManyPixels,
    /// Encoding failed (it does not for images this code made).
    Encoding,
}

/// How a rendition fills the box `width` × `height`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Fit {
    /// Within the box, never enlarged (Clerk's default).
    #[default]
    ScaleDown,
    /// Within the box, enlarged if smaller.
    Contain,
    /// Covers the box, cropped about the centre (`cover` or `crop`).
    Cover,
}

impl Fit {
    pub fn parse(raw: &str) -> Option<Fit> {
        match raw {
            "scale-down" => Some(Fit::ScaleDown),
            "contain" => Some(Fit::Contain),
            "cover" | "crop" => Some(Fit::Cover),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Fit::ScaleDown => "scale-down",
            Fit::Contain => "contain",
            Fit::Cover => "cover",
        }
    }
}

/// A requested rendition of a stored image; `Variant::default()` is the original.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Variant {
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub fit: Fit,
    pub quality: Option<u8>,
}

impl Variant {
    /// The same rendition in its one canonical spelling, so equal renditions share a cache
    /// entry and an ETag: sides clamped to `1..=MAX_SIDE`, quality to `1..=100` and dropped
    /// for PNG, the fit dropped when there is no box.
    pub fn canonical(self, content_type: &str) -> Variant {
        let side = |value: Option<u32>| value.map(|v| v.clamp(1, MAX_SIDE));
        let (width, height) = (side(self.width), side(self.height));
        let boxed = width.is_some() || height.is_some();
        Variant {
            width,
            height,
            fit: if boxed { self.fit } else { Fit::ScaleDown },
            quality: self
                .quality
                .filter(|_| content_type == JPEG)
                .map(|q| q.clamp(1, 100)),
        }
    }

    /// A name for the rendition of `image_id`, unique per image and canonical variant.
    pub fn tag(&self, image_id: &str) -> String {
        format!(
            "{image_id}-w{}-h{}-{}-q{}",
            self.width.unwrap_or(0),
            self.height.unwrap_or(0),
            self.fit.as_str(),
            self.quality.unwrap_or(0)
        )
    }

    fn is_original(&self) -> bool {
        self.width.is_none() && self.height.is_none() && self.quality.is_none()
    }
}

fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DECODED_SIDE);
    limits.max_image_height = Some(MAX_DECODED_SIDE);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    limits
}

fn decoding_error(error: ImageError) -> CodecError {
    match error {
        ImageError::Limits(_) => CodecError::TooManyPixels,
        _ => CodecError::NotAnImage,
    }
}

/// Decodes an upload under the limits and gives its normalised original.
pub(crate) fn normalize(bytes: &[u8]) -> Result<Encoded, CodecError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| CodecError::NotAnImage)?;
    let format = match reader.format() {
        Some(
            format @ (ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::Gif | ImageFormat::WebP),
        ) => format,
        _ => return Err(CodecError::NotAnImage),
    };
    reader.limits(limits());
    let mut decoder = reader.into_decoder().map_err(decoding_error)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(decoding_error)?;
    image.apply_orientation(orientation);
    if image.width() > MAX_SIDE || image.height() > MAX_SIDE {
        // A box filter straight into the small image: no full-size intermediate buffer.
        image = image.thumbnail(MAX_SIDE, MAX_SIDE);
    }
    let content_type = if format == ImageFormat::Jpeg && !image.color().has_alpha() {
        JPEG
    } else {
        PNG
    };
    encode(&image, content_type, DEFAULT_QUALITY)
}

/// Renders `variant` of a stored original (`content_type` as stored).
pub(crate) fn render(
    original: &[u8],
    content_type: &'static str,
    variant: &Variant,
) -> Result<Encoded, CodecError> {
    let format = if content_type == JPEG {
        ImageFormat::Jpeg
    } else {
        ImageFormat::Png
    };
    let image = image::load_from_memory_with_format(original, format).map_err(decoding_error)?;
    if variant.is_original() {
        return encode(&image, content_type, DEFAULT_QUALITY);
    }
    let (width, height) = (
        variant.width.unwrap_or(MAX_SIDE),
        variant.height.unwrap_or(MAX_SIDE),
    );
    let both = variant.width.is_some() && variant.height.is_some();
    let fits = image.width() <= width && image.height() <= height;
    let filter = FilterType::CatmullRom;
    let resized = match variant.fit {
        Fit::Cover if both => image.resize_to_fill(width, height, filter),
        Fit::ScaleDown if fits => image,
        _ => image.resize(width, height, filter),
    };
    encode(
        &resized,
        content_type,
        variant.quality.unwrap_or(DEFAULT_QUALITY),
    )
}

/// Encodes pixels only: no metadata block of any kind is written.
fn encode(
    image: &DynamicImage,
    content_type: &'static str,
    quality: u8,
) -> Result<Encoded, CodecError> {
    let mut bytes = Vec::new();
    let written = if content_type == JPEG {
        let rgb = DynamicImage::ImageRgb8(image.to_rgb8());
        rgb.write_with_encoder(JpegEncoder::new_with_quality(&mut bytes, quality))
    } else if image.color().has_alpha() {
        DynamicImage::ImageRgba8(image.to_rgba8()).write_with_encoder(PngEncoder::new(&mut bytes))
    } else {
        DynamicImage::ImageRgb8(image.to_rgb8()).write_with_encoder(PngEncoder::new(&mut bytes))
    };
    written.map_err(|_| CodecError::Encoding)?;
    Ok(Encoded {
        bytes,
        content_type,
        width: image.width(),
        height: image.height(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = RgbImage::from_pixel(width, height, Rgb([200, 30, 30]));
        let mut bytes = Vec::new();
        DynamicImage::ImageRgb8(image)
            .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
            .unwrap();
        bytes
    }

    #[test]
    fn a_large_upload_is_bounded() {
        let stored = normalize(&png(2048, 1024)).unwrap();
        assert_eq!((stored.width, stored.height), (1024, 512));
        assert_eq!(stored.content_type, PNG);
    }

    #[test]
    fn garbage_is_not_an_image() {
        assert_eq!(
            normalize(b"GIF89a nope").unwrap_err(),
            CodecError::NotAnImage
        );
        assert_eq!(normalize(b"hello").unwrap_err(), CodecError::NotAnImage);
    }

    #[test]
    fn renditions_fit_their_box() {
        let stored = normalize(&png(400, 200)).unwrap();
        let variant = |width, height, fit| Variant {
            width,
            height,
            fit,
            quality: None,
        };
        let cases = [
            (variant(Some(100), None, Fit::ScaleDown), (100, 50)),
            (variant(Some(100), Some(100), Fit::Cover), (100, 100)),
            (variant(Some(800), None, Fit::ScaleDown), (400, 200)),
            (variant(Some(800), None, Fit::Contain), (800, 400)),
        ];
        for (variant, size) in cases {
            let out = render(&stored.bytes, PNG, &variant).unwrap();
            assert_eq!((out.width, out.height), size, "{variant:?}");
        }
    }

    #[test]
    fn canonical_variants_share_a_tag() {
        let a = Variant {
            width: Some(5000),
            quality: Some(50),
            ..Variant::default()
        };
        let b = Variant {
            width: Some(1024),
            ..Variant::default()
        };
        assert_eq!(a.canonical(PNG).tag("img_1"), b.canonical(PNG).tag("img_1"));
        assert_ne!(
            a.canonical(JPEG).tag("img_1"),
            b.canonical(JPEG).tag("img_1")
        );
    }
}
