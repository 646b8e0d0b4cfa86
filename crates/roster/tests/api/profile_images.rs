//! Profile images through the HTTP API: upload, serve (resized, revalidated), switch with
//! `profile_image_id`, delete, and every refusal changing nothing; metadata stripped, bombs
//! refused fast, and one node serving what another stored.

use std::io::Cursor;
use std::time::{Duration, Instant};

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, spawn_app, spawn_app_configured, start_roster};
use crate::receiver::Receiver;

/// A `width` × `height` picture in the given format, with some detail to encode.
fn picture(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
    let image = RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, 128])
    });
    let mut bytes = Vec::new();
    DynamicImage::ImageRgb8(image)
        .write_to(&mut Cursor::new(&mut bytes), format)
        .expect("encodes");
    bytes
}

/// A JPEG carrying an EXIF block, written by hand after its SOI marker: orientation 6 (turn
/// 90° clockwise) and a GPS IFD with a latitude reference.
fn jpeg_with_gps(width: u32, height: u32) -> Vec<u8> {
    let jpeg = picture(width, height, ImageFormat::Jpeg);
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"II\x2a\x00\x08\x00\x00\x00");
    tiff.extend_from_slice(&2u16.to_le_bytes());
    // Orientation: SHORT, 1, value 6.
    tiff.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0]);
    // GPSInfo: LONG, 1, offset of the GPS IFD (38).
    tiff.extend_from_slice(&[0x25, 0x88, 4, 0, 1, 0, 0, 0, 38, 0, 0, 0]);
    tiff.extend_from_slice(&[0, 0, 0, 0]);
    tiff.extend_from_slice(&1u16.to_le_bytes());
    // GPSLatitudeRef: ASCII, 2, "N".
    tiff.extend_from_slice(&[0x01, 0x00, 2, 0, 2, 0, 0, 0, b'N', 0, 0, 0]);
    tiff.extend_from_slice(&[0, 0, 0, 0]);
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend_from_slice(&((2 + 6 + tiff.len()) as u16).to_be_bytes());
    app1.extend_from_slice(b"Exif\0\0");
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
}

/// A PNG of a few dozen bytes that declares 50,000 × 50,000 RGB pixels (7.5 GB decoded).
fn png_bomb() -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::new();
    header.extend_from_slice(&50_000u32.to_be_bytes());
    header.extend_from_slice(&50_000u32.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &header);
    // A zlib stream of a few zero bytes.
    png_chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01],
    );
    png_chunk(&mut out, b"IEND", &[]);
    out
}

async fn send(app: &TestApp, request: reqwest::RequestBuilder) -> Reply {
    let response = request.bearer_auth(&app.key).send().await.expect("sent");
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response.json().await.unwrap_or(Value::Null);
    Reply {
        status,
        content_type,
        body,
    }
}

async fn upload_part(app: &TestApp, user_id: &str, name: &str, bytes: Vec<u8>) -> Reply {
    let part = Part::bytes(bytes)
        .file_name("picture")
        .mime_str("application/octet-stream")
        .expect("mime");
    let url = format!("{}/v1/users/{user_id}/profile_image", app.base);
    send(
        app,
        app.client
            .post(url)
            .multipart(Form::new().part(name.to_owned(), part)),
    )
    .await
}

async fn upload(app: &TestApp, user_id: &str, bytes: Vec<u8>) -> Reply {
    upload_part(app, user_id, "file", bytes).await
}

/// A served image: status, headers and bytes, fetched without a key.
async fn fetch(url: &str, headers: &[(&str, &str)]) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut request = reqwest::Client::new().get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("fetched");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (
        status,
        headers,
        response.bytes().await.expect("body").to_vec(),
    )
}

fn size_of(bytes: &[u8]) -> (u32, u32) {
    let image = image::load_from_memory(bytes).expect("a served image decodes");
    (image.width(), image.height())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

async fn new_user(app: &TestApp) -> String {
    let user = app.create_user(json!({"first_name": "Ada"})).await;
    user["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn an_upload_is_served_resized_and_revalidated() {
    let app = spawn_app().await;
    let id = new_user(&app).await;
    let before = app.user(&id).await;
    assert_eq!(before["has_image"], false);
    let user = upload(&app, &id, picture(1600, 800, ImageFormat::Png))
        .await
        .ok();
    assert_eq!(user["has_image"], true);
    let url = user["image_url"].as_str().expect("image_url").to_owned();
    assert!(
        url.starts_with(&format!("{}/images/img_", app.base)),
        "{url}"
    );
    assert_eq!(user["profile_image_url"], user["image_url"]);
    assert_eq!(app.user(&id).await["image_url"], url.as_str());

    let (status, headers, bytes) = fetch(&url, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(
        headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    // The stored original is bounded.
    assert_eq!(size_of(&bytes), (1024, 512));

    let small = format!("{url}?width=128&height=128&fit=crop");
    let (status, headers, bytes) = fetch(&small, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(size_of(&bytes), (128, 128));
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let (status, _, again) = fetch(&small, &[]).await;
    assert_eq!((status, again), (200, bytes));
    let (status, headers, body) = fetch(&small, &[("if-none-match", &etag)]).await;
    assert_eq!(status, 304);
    assert!(body.is_empty());
    assert_eq!(headers["etag"].to_str().unwrap(), etag);
    let (_, _, scaled) = fetch(&format!("{url}?width=100"), &[]).await;
    assert_eq!(size_of(&scaled), (100, 50));
    let (status, ..) = fetch(&format!("{url}?fit=sideways"), &[]).await;
    assert_eq!(status, 422);
    for unknown in [
        "img_unknown",
        "img_a%00b",
        "user_abc",
        "img_%E2%80%AE",
        "%00",
    ] {
        let (status, ..) = fetch(&format!("{}/images/{unknown}", app.base), &[]).await;
        assert_eq!(status, 404, "{unknown}");
    }
}

#[tokio::test]
async fn every_format_is_accepted_and_photos_stay_jpeg() {
    let app = spawn_app().await;
    let id = new_user(&app).await;
    for (format, served) in [
        (ImageFormat::Png, "image/png"),
        (ImageFormat::Jpeg, "image/jpeg"),
        (ImageFormat::Gif, "image/png"),
        (ImageFormat::WebP, "image/png"),
    ] {
        let user = upload(&app, &id, picture(40, 30, format)).await.ok();
        let (status, headers, bytes) = fetch(user["image_url"].as_str().unwrap(), &[]).await;
        assert_eq!(status, 200, "{format:?}");
        assert_eq!(headers["content-type"], served, "{format:?}");
        assert_eq!(size_of(&bytes), (40, 30), "{format:?}");
    }
}

#[tokio::test]
async fn exif_and_gps_are_stripped_and_orientation_applied() {
    let app = spawn_app().await;
    let id = new_user(&app).await;
    let file = jpeg_with_gps(64, 48);
    assert!(contains(&file, b"Exif"));
    let user = upload(&app, &id, file).await.ok();
    let url = user["image_url"].as_str().unwrap();
    for variant in ["", "?width=32", "?quality=40"] {
        let (status, headers, bytes) = fetch(&format!("{url}{variant}"), &[]).await;
        assert_eq!(status, 200);
        assert_eq!(headers["content-type"], "image/jpeg");
        assert!(!contains(&bytes, b"Exif"), "{variant}");
        assert!(!contains(&bytes, b"II\x2a\x00"), "{variant}");
        if variant.is_empty() {
            // Turned upright, as the orientation tag said.
            assert_eq!(size_of(&bytes), (48, 64));
        }
    }
}

#[tokio::test]
async fn profile_image_id_switches_between_the_users_own_images() {
    let app =
        spawn_app_configured(|config| config.webhooks.retry_schedule_seconds = vec![1; 7]).await;
    let receiver = Receiver::up().await;
    let endpoint = app
        .post(
            "/webhook_endpoints",
            json!({"url": receiver.url, "events": ["user.updated"]}),
        )
        .await
        .ok();
    receiver.set_secret(endpoint["secret"].as_str().expect("secret"));
    let id = new_user(&app).await;
    let first = upload(&app, &id, picture(20, 20, ImageFormat::Png))
        .await
        .ok();
    let second = upload(&app, &id, picture(30, 30, ImageFormat::Png))
        .await
        .ok();
    let image_id = |user: &Value| {
        let url = user["image_url"].as_str().unwrap();
        url.rsplit('/').next().unwrap().to_owned()
    };
    let (first_id, second_id) = (image_id(&first), image_id(&second));
    assert_ne!(first_id, second_id);
    assert_eq!(app.user(&id).await["image_url"], second["image_url"]);

    let switched = app
        .patch(
            &format!("/users/{id}"),
            json!({"profile_image_id": first_id}),
        )
        .await
        .ok();
    assert_eq!(switched["image_url"], first["image_url"]);
    assert_eq!(switched["has_image"], true);

    // Unknown ids and another user's image are refused, and change nothing.
    let other = new_user(&app).await;
    let others = upload(&app, &other, picture(10, 10, ImageFormat::Png))
        .await
        .ok();
    let stored = app.user(&id).await;
    for refused in ["img_unknown", image_id(&others).as_str(), "user_abc", ""] {
        let reply = app
            .patch(
                &format!("/users/{id}"),
                json!({"profile_image_id": refused, "first_name": "X"}),
            )
            .await;
        reply.assert_error(422, "form_resource_not_found");
        assert_eq!(reply.param(), "profile_image_id");
        assert_eq!(app.user(&id).await, stored, "{refused}");
    }
    let deleted = app.delete(&format!("/users/{id}/profile_image")).await.ok();
    assert_eq!(deleted["has_image"], false);
    // upload, upload, switch, delete: four updates of this user.
    let received = receiver.wait_for(5, Duration::from_secs(30)).await;
    let of_user: Vec<&Value> = received
        .iter()
        .map(|r| &r.event)
        .filter(|event| event["data"]["id"] == id.as_str())
        .collect();
    assert_eq!(of_user.len(), 4, "{of_user:?}");
    assert!(of_user.iter().all(|event| event["type"] == "user.updated"));
    assert_eq!(of_user[0]["data"]["has_image"], true);
    assert_eq!(of_user[2]["data"]["image_url"], first["image_url"]);
    assert_eq!(of_user[3]["data"]["has_image"], false);
}

#[tokio::test]
async fn delete_brings_the_default_avatar_back() {
    let app = spawn_app().await;
    let id = new_user(&app).await;
    let default_url = app.user(&id).await["image_url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(default_url.ends_with(&format!("/avatars/{id}")));
    let uploaded = upload(&app, &id, picture(50, 50, ImageFormat::Jpeg))
        .await
        .ok();
    let image_url = uploaded["image_url"].as_str().unwrap().to_owned();
    let user = app.delete(&format!("/users/{id}/profile_image")).await.ok();
    assert_eq!(user["has_image"], false);
    assert_eq!(user["image_url"], default_url.as_str());
    assert_eq!(fetch(&image_url, &[]).await.0, 404);
    let (status, headers, body) = fetch(&default_url, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/svg+xml");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(contains(&body, b"<svg"));
    let etag = headers["etag"].to_str().unwrap().to_owned();
    assert_eq!(
        fetch(&default_url, &[("if-none-match", &etag)]).await.0,
        304
    );
    // Deleting again answers the user as it is.
    let again = app.delete(&format!("/users/{id}/profile_image")).await.ok();
    assert_eq!(again["updated_at"], user["updated_at"]);
    app.delete("/users/user_unknown/profile_image")
        .await
        .assert_error(404, "resource_not_found");
}

#[tokio::test]
async fn a_deleted_users_images_stop_being_served() {
    let app = spawn_app().await;
    let id = new_user(&app).await;
    let user = upload(&app, &id, picture(50, 50, ImageFormat::Png))
        .await
        .ok();
    let url = user["image_url"].as_str().unwrap().to_owned();
    assert_eq!(fetch(&format!("{url}?width=10"), &[]).await.0, 200);
    app.delete(&format!("/users/{id}")).await.ok();
    assert_eq!(fetch(&url, &[]).await.0, 404);
    assert_eq!(fetch(&format!("{url}?width=10"), &[]).await.0, 404);
}

#[tokio::test]
async fn every_refused_upload_changes_nothing() {
    let app = spawn_app().await;
    let id = new_user(&app).await;
    upload(&app, &id, picture(20, 20, ImageFormat::Png))
        .await
        .ok();
    let stored = app.user(&id).await;

    upload_part(&app, &id, "picture", picture(20, 20, ImageFormat::Png))
        .await
        .assert_error(400, "form_param_missing");
    let reply = app
        .post(&format!("/users/{id}/profile_image"), json!({}))
        .await;
    reply.assert_error(400, "form_param_missing");
    assert_eq!(reply.param(), "file");
    for garbage in [
        b"hello".to_vec(),
        Vec::new(),
        b"\x89PNG\r\n\x1a\nbroken".to_vec(),
    ] {
        upload(&app, &id, garbage)
            .await
            .assert_error(400, "request_body_invalid");
    }
    let mut bmp = b"BM".to_vec();
    bmp.resize(64, 0);
    upload(&app, &id, bmp)
        .await
        .assert_error(400, "request_body_invalid");
    // Just over 10 MB: refused as it streams in; far over: refused by its Content-Length.
    let mut large = picture(20, 20, ImageFormat::Png);
    large.resize(10 * 1024 * 1024 + 1, 0);
    upload(&app, &id, large)
        .await
        .assert_error(413, "image_too_large");
    upload(&app, &id, vec![0; 12 * 1024 * 1024])
        .await
        .assert_error(413, "image_too_large");
    upload(&app, "user_unknown", picture(20, 20, ImageFormat::Png))
        .await
        .assert_error(404, "resource_not_found");
    assert_eq!(app.user(&id).await, stored);
}

/// Peak memory of this process so far, in kB.
fn peak_rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_decompression_bomb_is_refused_at_once() {
    let app = spawn_app().await;
    let id = new_user(&app).await;
    let stored = app.user(&id).await;
    let bomb = png_bomb();
    assert!(bomb.len() < 100);
    let peak = peak_rss_kb();
    let started = Instant::now();
    upload(&app, &id, bomb)
        .await
        .assert_error(413, "image_too_large");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // Decoding it would take 7.5 GB; other tests share the process, so the margin is wide.
    assert!(peak_rss_kb() < peak + 512 * 1024);
    assert_eq!(app.user(&id).await, stored);
}

#[tokio::test]
async fn an_image_uploaded_through_one_node_is_served_by_another() {
    let data_dir = tempfile::tempdir().expect("data folder");
    let key = "sk_test_images_two_nodes_0123456789abcdef0123456789ab";
    let first = start_roster(data_dir.path(), key, &[]).await;
    let second = start_roster(data_dir.path(), key, &[]).await;
    let client = reqwest::Client::new();
    let user: Value = client
        .post(format!("{}/v1/users", first.base))
        .bearer_auth(key)
        .json(&json!({"first_name": "Ada"}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let id = user["id"].as_str().expect("id");
    let part = Part::bytes(picture(300, 200, ImageFormat::Jpeg)).file_name("a.jpg");
    let uploaded: Value = client
        .post(format!("{}/v1/users/{id}/profile_image", first.base))
        .bearer_auth(key)
        .multipart(Form::new().part("file", part))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let url = uploaded["image_url"].as_str().expect("image_url");
    let path = url.strip_prefix(&first.base).expect("under the first node");
    let (status, headers, bytes) = fetch(&format!("{}{path}?width=150", second.base), &[]).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/jpeg");
    assert_eq!(size_of(&bytes), (150, 100));
    let seen: Value = client
        .get(format!("{}/v1/users/{id}", second.base))
        .bearer_auth(key)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(seen["has_image"], true);
    assert!(seen["image_url"].as_str().unwrap().ends_with(path));
}

#[tokio::test]
async fn only_the_ten_newest_images_of_a_user_are_kept() {
    let app = spawn_app().await;
    let id = new_user(&app).await;
    let mut urls = Vec::new();
    for side in 1..=12 {
        let user = upload(&app, &id, picture(side, side, ImageFormat::Png))
            .await
            .ok();
        urls.push(user["image_url"].as_str().unwrap().to_owned());
    }
    for (n, url) in urls.iter().enumerate() {
        let expected = if n < 2 { 404 } else { 200 };
        assert_eq!(fetch(url, &[]).await.0, expected, "image {n}");
    }
    let oldest = urls[0].rsplit('/').next().unwrap();
    app.patch(&format!("/users/{id}"), json!({"profile_image_id": oldest}))
        .await
        .assert_error(422, "form_resource_not_found");
}
