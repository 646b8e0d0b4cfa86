//! The layering rules of ARCHITECTURE.md, checked against the real dependency graph and tree
//! rather than trusted: which crate may depend on which, which crate may name the database
//! driver or the HTTP framework, which crates stay out of the build, that modules inside a
//! crate import each other in one direction only, that functions stay short, that the
//! documentation still names every crate and only paths that exist, and that the settings
//! the environment may set are `Config`'s fields.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use proc_macro2::{TokenStream, TokenTree};

// Beside this file rather than in a `main.rs` folder, so that the target keeps its name.
#[path = "architecture/document.rs"]
mod document;
#[path = "architecture/functions.rs"]
mod functions;
#[path = "architecture/imports.rs"]
mod imports;

/// Each workspace crate and the workspace crates it may depend on (normal dependencies).
const ALLOWED_INTERNAL: &[(&str, &[&str])] = &[
    ("roster-model", &[]),
    ("roster-password", &[]),
    ("roster-wire", &["roster-model"]),
    ("roster-store", &["roster-model"]),
    (
        "roster-domain",
        &["roster-model", "roster-store", "roster-password"],
    ),
    (
        "roster-http",
        &["roster-domain", "roster-model", "roster-wire"],
    ),
    (
        "roster-delivery",
        &["roster-domain", "roster-model", "roster-store"],
    ),
    (
        "roster",
        &[
            "roster-domain",
            "roster-http",
            "roster-delivery",
            "roster-model",
            "roster-store",
        ],
    ),
];

/// External crates that only the named workspace crates may depend on.
const CONFINED_EXTERNAL: &[(&str, &[&str])] = &[
    ("sqlx", &["roster-store"]),
    ("axum", &["roster-http", "roster"]),
    ("utoipa-axum", &["roster-http"]),
    ("tower-http", &["roster-http"]),
    ("tower", &["roster-http"]),
    ("hyper", &["roster-http"]),
    ("clap", &["roster"]),
    ("figment", &["roster"]),
    ("lettre", &["roster-delivery"]),
];

/// Crates kept out of the build altogether, whichever crate would bring them in, and why.
const EXCLUDED_EXTERNAL: &[(&str, &str)] = &[(
    "rsa",
    "its private-key operations are not constant-time (RUSTSEC-2023-0071, no fixed version); \
     session tokens are signed with aws-lc-rs",
)];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// Normal (non-dev) dependencies of every workspace crate, by crate name.
fn dependency_graph() -> BTreeMap<String, BTreeSet<String>> {
    let output = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(workspace_root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let mut graph = BTreeMap::new();
    for package in metadata["packages"].as_array().expect("packages") {
        let dependencies = package["dependencies"]
            .as_array()
            .expect("dependencies")
            .iter()
            .filter(|d| d["kind"].is_null())
            .map(|d| d["name"].as_str().expect("name").to_owned())
            .collect();
        graph.insert(
            package["name"].as_str().expect("name").to_owned(),
            dependencies,
        );
    }
    graph
}

#[test]
fn crates_depend_only_downwards() {
    let graph = dependency_graph();
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED_INTERNAL.iter().copied().collect();
    for (krate, dependencies) in &graph {
        let permitted = allowed
            .get(krate.as_str())
            .unwrap_or_else(|| panic!("{krate} is not placed in the layering; add it to ALLOWED_INTERNAL and ARCHITECTURE.md"));
        for dependency in dependencies.iter().filter(|d| d.starts_with("roster")) {
            assert!(
                permitted.contains(&dependency.as_str()),
                "{krate} must not depend on {dependency}"
            );
        }
    }
}

#[test]
fn only_the_designated_crates_name_the_database_driver_and_the_http_framework() {
    let graph = dependency_graph();
    for (external, owners) in CONFINED_EXTERNAL {
        for (krate, dependencies) in &graph {
            if dependencies.contains(*external) {
                assert!(
                    owners.contains(&krate.as_str()),
                    "{krate} must not depend on {external}"
                );
            }
        }
    }
}

#[test]
fn excluded_crates_stay_out_of_the_lock_file() {
    let lock = std::fs::read_to_string(workspace_root().join("Cargo.lock")).expect("Cargo.lock");
    for (excluded, why) in EXCLUDED_EXTERNAL {
        assert!(
            !lock.contains(&format!("\nname = \"{excluded}\"\n")),
            "{excluded} is in Cargo.lock (see `cargo tree -i {excluded}`): {why}"
        );
    }
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn every_source_file_says_what_it_holds_and_stays_small() {
    let mut files = Vec::new();
    rust_files(&workspace_root().join("crates"), &mut files);
    assert!(files.len() > 20);
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable");
        assert!(
            text.starts_with("//!"),
            "{} must open with a //! comment",
            file.display()
        );
        let lines = text.lines().count();
        assert!(
            lines <= 600,
            "{} has {lines} lines; split it (at most 600)",
            file.display()
        );
    }
}

#[test]
fn architecture_document_names_every_crate() {
    let root = workspace_root();
    let document = std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    for entry in std::fs::read_dir(root.join("crates"))
        .expect("crates")
        .flatten()
    {
        let name = entry.file_name().into_string().expect("utf-8 name");
        assert!(
            document.contains(&format!("`{name}`")),
            "ARCHITECTURE.md does not describe `{name}`"
        );
    }
}

/// Every route goes through `utoipa_axum::routes!`, which takes its path and method from the
/// handler's `#[utoipa::path]`, so the router and `GET /openapi.json` are one list. axum's own
/// registration (`.route`, `axum::routing::get`, …) would add a route the document lacks.
#[test]
fn routes_are_registered_only_with_their_openapi_description() {
    let root = workspace_root();
    let mut files = Vec::new();
    for krate in ["roster-http", "roster"] {
        rust_files(&root.join("crates").join(krate).join("src"), &mut files);
    }
    let forbidden = [
        ".route(",
        ".route_service(",
        ".nest_service(",
        "axum::routing",
    ];
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable");
        for pattern in forbidden {
            assert!(
                !text.contains(pattern),
                "{} registers a route with `{pattern}`; use `routes!` and `#[utoipa::path]`",
                file.display()
            );
        }
    }
}

/// One source file of a workspace crate, parsed, with the module path its place in the tree
/// gives it (`src/users/mod.rs` and `src/users.rs` are `users`; `src/lib.rs` is the root).
struct SourceFile {
    /// Relative to the workspace root, with `/` separators.
    name: String,
    /// The crate the file belongs to: its `src` folder, and `main` for a binary's root that
    /// sits beside a library.
    krate: String,
    module: Vec<String>,
    syntax: syn::File,
}

fn source_files() -> Vec<SourceFile> {
    let root = workspace_root();
    let mut files = Vec::new();
    for entry in std::fs::read_dir(root.join("crates"))
        .expect("crates")
        .flatten()
    {
        let src = entry.path().join("src");
        let mut paths = Vec::new();
        rust_files(&src, &mut paths);
        for path in paths {
            let relative = path.strip_prefix(&src).expect("inside src");
            let mut module: Vec<String> = relative
                .with_extension("")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            let is_main = module == ["main"];
            if matches!(module.as_slice(), [.., last] if last == "mod")
                || module == ["lib"]
                || is_main
            {
                module.pop();
            }
            let text = std::fs::read_to_string(&path).expect("readable");
            let syntax = syn::parse_file(&text)
                .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
            let name = path.strip_prefix(&root).expect("inside the workspace");
            files.push(SourceFile {
                name: name.to_string_lossy().replace('\\', "/"),
                krate: format!("{}{}", src.display(), if is_main { " main" } else { "" }),
                module,
                syntax,
            });
        }
    }
    assert!(files.len() > 20);
    files
}

/// `#[test]`, `#[tokio::test]` and `#[cfg(test)]` (also inside `all(…)` or `any(…)`).
fn is_test(attributes: &[syn::Attribute]) -> bool {
    attributes.iter().any(|attribute| {
        let path = attribute.path();
        path.segments.last().is_some_and(|s| s.ident == "test")
            || (path.is_ident("cfg")
                && matches!(&attribute.meta, syn::Meta::List(list) if names_test(list.tokens.clone())))
    })
}

/// Whether a `cfg` predicate names `test` other than under `not(…)`.
fn names_test(predicate: TokenStream) -> bool {
    let mut negated = false;
    predicate.into_iter().any(|token| match token {
        TokenTree::Ident(ident) => {
            negated = ident == "not";
            ident == "test"
        }
        TokenTree::Group(group) => !std::mem::take(&mut negated) && names_test(group.stream()),
        TokenTree::Punct(_) | TokenTree::Literal(_) => false,
    })
}

/// The settings the environment may set (`ROSTER_<NAME>…`) are exactly `Config`'s fields as
/// `config.rs` declares them, so a new setting cannot be left unreadable from the environment.
#[test]
fn the_environment_reads_every_setting_of_config() {
    let path = workspace_root().join("crates/roster/src/config.rs");
    let syntax =
        syn::parse_file(&std::fs::read_to_string(&path).expect("config.rs")).expect("parses");
    let declared: Vec<String> = syntax
        .items
        .iter()
        .find_map(|item| match item {
            syn::Item::Struct(s) if s.ident == "Config" => Some(&s.fields),
            _ => None,
        })
        .expect("struct Config")
        .iter()
        .map(|field| field.ident.as_ref().expect("named field").to_string())
        .collect();
    assert!(declared.len() > 10, "{declared:?}");
    assert_eq!(roster::config::setting_names(), declared);
}
