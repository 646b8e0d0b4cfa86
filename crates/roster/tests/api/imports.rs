//! `roster import`: a source file into a running instance's database, row by row under the
//! rules of `POST /users`, with refused and skipped rows reported and re-runs landing nothing
//! twice.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{TestApp, run_roster, spawn_app};
use crate::receiver::Receiver;
use crate::users_passwords::verify;

const PASSWORD: &str = "import me, correctly";

/// A Clerk dashboard export with one row for each case that matters.
fn clerk_csv() -> String {
    let digest = bcrypt::hash(PASSWORD, 4).expect("bcrypt");
    let header = "id,first_name,last_name,username,primary_email_address,primary_phone_number,\
                  verified_email_addresses,unverified_email_addresses,verified_phone_numbers,\
                  unverified_phone_numbers,totp_secret,password_digest,password_hasher,public_metadata";
    let rows = [
        // 2: verified and unverified addresses, a digest to keep as given.
        format!("user_ada,Ada,Lovelace,,ada@x.test,,ada@x.test,ada.old@x.test,,,,{digest},bcrypt,"),
        // 3: only an unverified address.
        "user_bob,Bob,,,,,,bob@x.test,,,,,,".to_owned(),
        // 4: Ada's verified address again, under another id: the same person, skipped.
        "user_ada2,Ada,Again,,ada@x.test,,ada@x.test,,,,,,,".to_owned(),
        // 5: a digest that is not bcrypt.
        "user_bad_digest,Carl,,,carl@x.test,,carl@x.test,,,,,$2b$10$short,bcrypt,".to_owned(),
        // 6: metadata as the JSON text of an object.
        "user_meta,Dee,,,dee@x.test,,dee@x.test,,,,,,,\"{\"\"plan\"\": \"\"pro\"\"}\"".to_owned(),
        // 7: metadata that is no object.
        "user_bad_meta,Eve,,,eve@x.test,,eve@x.test,,,,,,,not json".to_owned(),
        // 8: Bob's unverified address, held by Bob: taken.
        "user_bob2,Bob,Two,,,,,bob@x.test,,,,,,".to_owned(),
    ];
    format!("{header}\n{}\n", rows.join("\n"))
}

async fn import(app: &TestApp, file: &Path, extra: &[&str]) -> (String, Vec<Value>) {
    let mut args = vec![
        "import",
        file.to_str().expect("UTF-8 path"),
        "--from",
        "clerk",
    ];
    args.extend_from_slice(extra);
    let output = run_roster(app.data_dir(), &args, &[("ROSTER_LOG", "warn")]).await;
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "import failed: {stderr}");
    let report_path = format!("{}.report.jsonl", file.display());
    let report = std::fs::read_to_string(report_path)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON report line"))
        .collect();
    (stderr, report)
}

fn by_line(report: &[Value], line: u64) -> &Value {
    report
        .iter()
        .find(|row| row["line"] == line)
        .unwrap_or_else(|| panic!("line {line} is in the report: {report:?}"))
}

fn codes(row: &Value) -> Vec<&str> {
    row["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|error| error["code"].as_str().expect("code"))
        .collect()
}

async fn user_with_external_id(app: &TestApp, external_id: &str) -> Option<Value> {
    let page = app
        .get(&format!("/users?external_id={external_id}"))
        .await
        .ok();
    page.as_array().expect("a page").first().cloned()
}

#[tokio::test]
async fn a_clerk_export_lands_row_by_row_and_refused_rows_are_reported() {
    let app = spawn_app().await;
    let folder = tempfile::tempdir().expect("folder");
    let file = folder.path().join("clerk.csv");
    std::fs::write(&file, clerk_csv()).expect("fixture");

    let (summary, report) = import(&app, &file, &[]).await;
    assert!(
        summary.contains("imported 3, skipped 1, refused 3"),
        "{summary}"
    );
    assert_eq!(app.count("").await, 3);

    let ada = user_with_external_id(&app, "user_ada").await.expect("Ada");
    let emails: Vec<(&str, &str)> = ada["email_addresses"]
        .as_array()
        .expect("emails")
        .iter()
        .map(|e| {
            let status = e["verification"]["status"].as_str().unwrap_or("none");
            (e["email_address"].as_str().expect("address"), status)
        })
        .collect();
    assert_eq!(emails[0], ("ada@x.test", "verified"));
    assert_eq!(emails[1].0, "ada.old@x.test");
    assert_ne!(emails[1].1, "verified");
    assert_eq!(ada["password_enabled"], true);
    verify(&app, ada["id"].as_str().expect("id"), PASSWORD)
        .await
        .ok();

    let bob = user_with_external_id(&app, "user_bob").await.expect("Bob");
    assert_eq!(bob["email_addresses"][0]["email_address"], "bob@x.test");
    assert_ne!(
        bob["email_addresses"][0]["verification"]["status"],
        "verified"
    );
    let dee = user_with_external_id(&app, "user_meta").await.expect("Dee");
    assert_eq!(dee["public_metadata"], json!({"plan": "pro"}));

    let skipped = by_line(&report, 4);
    assert_eq!(skipped["status"], "skipped", "{skipped}");
    assert_eq!(skipped["matched_by"], "verified_email_address");
    assert_eq!(skipped["user_id"], ada["id"]);
    let refused = |line| codes(by_line(&report, line)).join(",");
    assert_eq!(refused(5), "form_password_digest_invalid_code");
    assert_eq!(refused(7), "form_param_value_invalid");
    assert_eq!(refused(8), "form_identifier_exists");
    assert_eq!(by_line(&report, 5)["source_id"], "user_bad_digest");
    for absent in ["user_ada2", "user_bad_digest", "user_bad_meta", "user_bob2"] {
        assert_eq!(user_with_external_id(&app, absent).await, None, "{absent}");
    }

    // Run again: what landed is skipped by its external id, the refusals are refused again,
    // and nothing lands twice.
    let (summary, report) = import(&app, &file, &[]).await;
    assert!(
        summary.contains("imported 0, skipped 4, refused 3"),
        "{summary}"
    );
    assert_eq!(by_line(&report, 2)["matched_by"], "external_id");
    assert_eq!(app.count("").await, 3);
}

#[tokio::test]
async fn a_dry_run_checks_against_the_stored_users_and_writes_nothing() {
    let app = spawn_app().await;
    app.create_user(json!({"email_address": ["dee@x.test"], "skip_password_requirement": true}))
        .await;
    let folder = tempfile::tempdir().expect("folder");
    let file = folder.path().join("clerk.csv");
    std::fs::write(&file, clerk_csv()).expect("fixture");
    let (summary, report) = import(&app, &file, &["--dry-run"]).await;
    // Each row is checked alone, so Ada's second row and Bob's second row, which clash only
    // with rows of the same file, pass the dry run.
    assert!(
        summary.contains("dry run: 4 rows checked, 1 would be skipped, 2 refused"),
        "{summary}"
    );
    assert_eq!(
        codes(by_line(&report, 5)),
        ["form_password_digest_invalid_code"]
    );
    assert_eq!(by_line(&report, 6)["matched_by"], "verified_email_address");
    assert_eq!(codes(by_line(&report, 7)), ["form_param_value_invalid"]);
    assert_eq!(app.count("").await, 1);
}

#[tokio::test]
async fn imported_users_are_announced_unless_asked_not_to() {
    let app = spawn_app().await;
    let receiver = Receiver::up().await;
    let endpoint = app
        .post(
            "/webhook_endpoints",
            json!({"url": receiver.url, "events": ["user.created"]}),
        )
        .await
        .ok();
    receiver.set_secret(endpoint["secret"].as_str().expect("secret"));
    let folder = tempfile::tempdir().expect("folder");
    let quiet = folder.path().join("quiet.csv");
    std::fs::write(&quiet, "id,first_name\nuser_q1,Quiet\nuser_q2,Quieter\n").expect("fixture");
    let (summary, _) = import(&app, &quiet, &["--no-events"]).await;
    assert!(summary.contains("imported 2"), "{summary}");
    let loud = folder.path().join("loud.csv");
    std::fs::write(&loud, "id,first_name\nuser_l1,Loud\n").expect("fixture");
    import(&app, &loud, &[]).await;
    let received = receiver.wait_for(1, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let received_now = receiver.received();
    assert_eq!(received_now.len(), 1, "{received:?}");
    assert_eq!(received_now[0].event["type"], "user.created");
    assert_eq!(received_now[0].event["data"]["external_id"], "user_l1");
}

async fn post_import(app: &TestApp, query: &str, body: String) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{}/v1/users/import?{query}", app.base))
        .bearer_auth(&app.key)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .expect("import");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

#[tokio::test]
async fn the_http_import_takes_the_same_files_and_answers_the_report() {
    let app = spawn_app().await;
    let (status, result) = post_import(&app, "from=clerk", clerk_csv()).await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(result["object"], "user_import");
    assert_eq!(
        (&result["imported"], &result["skipped"], &result["refused"]),
        (&json!(3), &json!(1), &json!(3))
    );
    let lines: Vec<u64> = result["report"]
        .as_array()
        .expect("report")
        .iter()
        .map(|row| row["line"].as_u64().expect("line"))
        .collect();
    assert_eq!(lines, [4, 5, 7, 8]);
    assert_eq!(app.count("").await, 3);

    // A file over the 512 KB body limit of other routes: 600 users with 1 KB of metadata.
    let note = "n".repeat(1000);
    let mut big = String::from("id,primary_email_address,public_metadata\n");
    for i in 0..600 {
        big.push_str(&format!(
            "user_big_{i},big{i}@x.test,\"{{\"\"note\"\": \"\"{note}\"\"}}\"\n"
        ));
    }
    assert!(big.len() > 512 * 1024);
    let (status, result) = post_import(&app, "from=clerk&events=false", big).await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(result["imported"], 600, "{}", result["report"]);
    assert_eq!(app.count("").await, 603);

    for (query, param) in [
        ("", "from"),
        ("from=okta", "from"),
        ("from=clerk&events=null", "events"),
        ("from=clerk&dry_run=yes", "dry_run"),
    ] {
        let (status, refusal) = post_import(&app, query, clerk_csv()).await;
        assert_eq!(status, 422, "{refusal}");
        assert_eq!(refusal["errors"][0]["meta"]["param_name"], param);
    }
    assert_eq!(app.count("").await, 603);
}
