//! ARCHITECTURE.md names only files and folders that exist.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::workspace_root;

/// `{a,b}` in a path stands for two paths.
fn expand_braces(path: &str) -> Vec<String> {
    match (path.find('{'), path.find('}')) {
        (Some(open), Some(close)) if open < close => path[open + 1..close]
            .split(',')
            .flat_map(|choice| {
                expand_braces(&format!("{}{choice}{}", &path[..open], &path[close + 1..]))
            })
            .collect(),
        _ => vec![path.to_owned()],
    }
}

/// The backticked paths of a Markdown document that name no file or folder. A path may be
/// written from the workspace root, from `crates/`, or from its crate's folder; a bare file
/// name (`0010_schema.sql`) must be some file's name. Routes (`/v1/users`), URLs and code with
/// spaces are not paths.
fn missing_paths(document: &str) -> Vec<String> {
    let root = workspace_root();
    let mut bases = vec![root.clone(), root.join("crates")];
    for entry in std::fs::read_dir(root.join("crates"))
        .expect("crates")
        .flatten()
    {
        bases.push(entry.path());
    }
    let mut names = BTreeSet::new();
    let mut all = Vec::new();
    for top in ["crates", "conformance", "bench", "scripts"] {
        collect_files(&root.join(top), &mut all);
    }
    for path in &all {
        names.insert(
            path.file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned(),
        );
    }
    let extensions = [".rs", ".md", ".sh", ".toml", ".sql"];
    let mut missing = Vec::new();
    for quoted in document.split('`').skip(1).step_by(2) {
        let looks_like_a_path =
            quoted.contains('/') || extensions.iter().any(|e| quoted.ends_with(e));
        if !looks_like_a_path
            || quoted.starts_with('/')
            || quoted.contains("://")
            || quoted.contains(char::is_whitespace)
        {
            continue;
        }
        for path in expand_braces(quoted) {
            let found = if path.contains('/') {
                bases.iter().any(|base| base.join(&path).exists())
            } else {
                names.contains(&path)
            };
            if !found {
                missing.push(path);
            }
        }
    }
    missing
}

fn collect_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, found);
        } else {
            found.push(path);
        }
    }
}

#[test]
fn architecture_document_names_only_paths_that_exist() {
    let document =
        std::fs::read_to_string(workspace_root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let missing = missing_paths(&document);
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names paths that do not exist: {missing:?}"
    );
}

/// The document is a map to read in one sitting; details belong beside the code they explain.
#[test]
fn architecture_document_stays_short() {
    let document =
        std::fs::read_to_string(workspace_root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let words = document.split_whitespace().count();
    assert!(
        words < 1_200,
        "ARCHITECTURE.md has {words} words (under 1,200 wanted)"
    );
}

#[test]
fn a_path_that_does_not_exist_is_named() {
    let document = "`crates/roster/src/nowhere.rs`, `src/{lib,nowhere}.rs`, `lib.rs`, \
                    `nowhere.sql`, `/v1/users`, `postgres://…`, `GET /openapi.json`";
    assert_eq!(
        missing_paths(document),
        [
            "crates/roster/src/nowhere.rs",
            "src/nowhere.rs",
            "nowhere.sql"
        ]
    );
}
