//! Profile images: upload and delete on `/v1/users/{user_id}/profile_image`, and the public
//! `GET /images/{image_id}` that the `image_url` of a user with an uploaded image points at.
//!
//! An image URL holds the image's id, and an image's bytes never change, so a rendition's
//! ETag is known from the id and the canonical query alone: a revalidation is answered 304
//! after one small read (the image's row, which is gone once its user is deleted), without
//! touching the bytes. Served images need no key, as browsers load them directly.

use axum::Json;
use axum::body::Body;
use axum::extract::multipart::MultipartError;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use roster_domain::FieldErrorKind;
use roster_domain::images::{Fit, MAX_UPLOAD_BYTES, Variant};
use roster_model::ids::{ImageId, UserId};
use roster_wire::images::ProfileImageUpload;
use roster_wire::users as wire;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::ApiError;
use crate::limits::MAX_UPLOAD_BODY_BYTES;
use crate::params::{ImagePath, UserPath};
use crate::users::answer_user;

/// How long clients and proxies may reuse a served image before revalidating: short, so a
/// deleted user's picture stops being shown soon.
const IMAGE_CACHE_CONTROL: &str = "public, max-age=3600";

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(set_profile_image, delete_profile_image))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BODY_BYTES))
}

#[utoipa::path(
    post,
    path = "/users/{user_id}/profile_image",
    tag = "users",
    params(UserPath),
    request_body(content = ProfileImageUpload, content_type = "multipart/form-data"),
    responses((status = 200, description = "The user, showing the uploaded image.", body = wire::User))
)]
async fn set_profile_image(
    State(state): State<AppState>,
    Path(user_id): Path<String>,
    request: Request,
) -> Result<Json<wire::User>, ApiError> {
    let user_id = UserId::requested(user_id);
    let multipart = Multipart::from_request(request, &state)
        .await
        .map_err(|_| ApiError::file_missing())?;
    let file = read_file(multipart).await?;
    answer_user(&state, state.services.images.upload(&user_id, file)).await
}

#[utoipa::path(
    delete,
    path = "/users/{user_id}/profile_image",
    tag = "users",
    params(UserPath),
    responses((status = 200, description = "The user, showing the default avatar.", body = wire::User))
)]
async fn delete_profile_image(
    State(state): State<AppState>,
    Path(user_id): Path<String>,
) -> Result<Json<wire::User>, ApiError> {
    let user_id = UserId::requested(user_id);
    answer_user(&state, state.services.images.delete_profile_image(&user_id)).await
}

/// The bytes of the `file` part, refused past `MAX_UPLOAD_BYTES` as they stream in; other
/// parts are skipped.
async fn read_file(mut multipart: Multipart) -> Result<Vec<u8>, ApiError> {
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.name() != Some("file") {
            continue;
        }
        let mut file = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if file.len() + chunk.len() > MAX_UPLOAD_BYTES {
                return Err(ApiError::image_too_large(false));
            }
            file.extend_from_slice(&chunk);
        }
        return Ok(file);
    }
    Err(ApiError::file_missing())
}

fn multipart_error(error: MultipartError) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::image_too_large(false)
    } else if crate::limits::timed_out(&error) {
        ApiError::body_timed_out()
    } else {
        ApiError::bad_request(
            "request_body_invalid",
            "is invalid",
            "The multipart/form-data body could not be read.",
        )
    }
}

/// The rendition a served image's query asks for, as Clerk's image URLs take it; other
/// parameters are ignored.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct ImageQuery {
    /// Width of the box to fit, in pixels (at most 1024).
    #[param(minimum = 1)]
    width: Option<u32>,
    /// Height of the box to fit, in pixels (at most 1024).
    #[param(minimum = 1)]
    height: Option<u32>,
    /// `scale-down` (the default), `contain`, `cover` or `crop`.
    fit: Option<String>,
    /// JPEG quality, 1 to 100.
    #[param(minimum = 1, maximum = 100)]
    quality: Option<u8>,
}

fn parse_variant(query: Option<&str>) -> Result<Variant, ApiError> {
    let mut variant = Variant::default();
    let invalid = |param: &str, reason: &str| {
        ApiError::field(
            param,
            FieldErrorKind::ValueInvalid {
                reason: reason.to_owned(),
            },
        )
    };
    let pairs = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes());
    for (key, value) in pairs {
        let number = || value.parse::<u32>().ok().filter(|n| *n > 0);
        match key.as_ref() {
            "width" => {
                variant.width =
                    Some(number().ok_or_else(|| invalid("width", "a positive integer"))?);
            }
            "height" => {
                variant.height =
                    Some(number().ok_or_else(|| invalid("height", "a positive integer"))?);
            }
            "quality" => {
                let quality = number().filter(|q| *q <= 100);
                let quality =
                    quality.ok_or_else(|| invalid("quality", "an integer from 1 to 100"))?;
                variant.quality = u8::try_from(quality).ok();
            }
            "fit" => {
                variant.fit = Fit::parse(&value)
                    .ok_or_else(|| invalid("fit", "scale-down, contain, cover or crop"))?;
            }
            _ => {}
        }
    }
    Ok(variant)
}

#[utoipa::path(
    get,
    path = "/images/{image_id}",
    tag = "meta",
    params(ImagePath, ImageQuery),
    responses(
        (status = 200, description = "The image, resized as asked.", content((String = "image/png"), (String = "image/jpeg"))),
        (status = 304, description = "The image is unchanged since the ETag given in If-None-Match."),
        (status = 404, description = "No such image, or its user is deleted.", body = roster_wire::errors::ErrorEnvelope),
        (status = 422, description = "A query parameter is invalid.", body = roster_wire::errors::ErrorEnvelope),
        (status = 429, description = "Too many images are being resized; retry later.", body = roster_wire::errors::ErrorEnvelope),
    )
)]
pub(crate) async fn serve_image(
    State(state): State<AppState>,
    Path(image_id): Path<String>,
    headers: HeaderMap,
    request: Request,
) -> Result<Response, ApiError> {
    let variant = parse_variant(request.uri().query())?;
    let images = &state.services.images;
    let image = images.find(&ImageId::requested(image_id)).await?;
    let etag = format!("\"{}\"", images.tag(&image, variant));
    if let Some(response) = not_modified(&headers, &etag, IMAGE_CACHE_CONTROL) {
        return Ok(response);
    }
    let rendition = images.render(&image, variant).await?;
    Ok(image_response(
        &etag,
        rendition.content_type,
        IMAGE_CACHE_CONTROL,
        Body::from(rendition.bytes.clone()),
    ))
}

/// 304 when `If-None-Match` names `etag` (or is `*`).
pub(crate) fn not_modified(
    headers: &HeaderMap,
    etag: &str,
    cache_control: &str,
) -> Option<Response> {
    let matches = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*");
    matches.then(|| {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        set_caching(response.headers_mut(), etag, cache_control);
        response
    })
}

/// An image with its validators and `nosniff`, so a browser never takes it for a page.
pub(crate) fn image_response(
    etag: &str,
    content_type: &'static str,
    cache_control: &str,
    body: Body,
) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    set_caching(headers, etag, cache_control);
    response
}

fn set_caching(headers: &mut HeaderMap, etag: &str, cache_control: &str) {
    if let Ok(etag) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, etag);
    }
    if let Ok(cache_control) = HeaderValue::from_str(cache_control) {
        headers.insert(header::CACHE_CONTROL, cache_control);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}
