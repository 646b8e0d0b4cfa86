//! Conformance: every row of the shared hasher vectors must parse under its
//! hasher and verify exactly as its `matches` field says.
//!
//! The vector file lives in `shared/`, beside the repository (in CI too). A
//! missing file fails the test: skipping would let the whole conformance
//! check silently disappear.

use std::path::Path;

use roster_password::{Digest, Hasher};

const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/hasher-vectors.json"
);

#[test]
fn every_vector_agrees() {
    let path = Path::new(VECTORS);
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "cannot read the hasher vectors at {} ({e}); the shared/ folder must sit beside the repository",
            path.display()
        )
    });
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(&text).expect("hasher-vectors.json is not a JSON array");
    assert!(!rows.is_empty(), "hasher-vectors.json has no rows");

    let mut failures = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, row) in rows.iter().enumerate() {
        let field = |name: &str| {
            row.get(name)
                .unwrap_or_else(|| panic!("row {i} has no `{name}` field"))
        };
        let hasher_name = field("hasher").as_str().expect("`hasher` is a string");
        let digest = field("digest").as_str().expect("`digest` is a string");
        let password = field("password").as_str().expect("`password` is a string");
        let expected = field("matches").as_bool().expect("`matches` is a bool");

        let hasher: Hasher = match hasher_name.parse() {
            Ok(h) => h,
            Err(_) => {
                failures.push(format!("row {i}: unknown hasher {hasher_name:?}"));
                continue;
            }
        };
        seen.insert(hasher.as_str());
        match Digest::parse(hasher, digest) {
            Err(e) => failures.push(format!("row {i} ({hasher_name}): parse failed: {e}")),
            Ok(d) => {
                let got = d.verify(password);
                if got != expected {
                    failures.push(format!(
                        "row {i} ({hasher_name}): verify returned {got}, expected {expected}"
                    ));
                }
            }
        }
    }

    assert!(
        failures.is_empty(),
        "{} of {} vectors disagree:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
    // Every hasher except awscognito (which has no offline digest) is covered.
    let missing: Vec<_> = Hasher::ALL
        .iter()
        .filter(|h| **h != Hasher::Awscognito && !seen.contains(h.as_str()))
        .collect();
    assert!(missing.is_empty(), "no vectors for {missing:?}");
}
