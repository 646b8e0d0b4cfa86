//! Import cycles between the modules of one crate: file A names something of file B and B
//! something of A. Read from the syntax of every non-test item, `use` trees, paths in code and
//! `crate::…` runs inside macro calls.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::{self, Visit};

use crate::{SourceFile, is_test, source_files};

/// The crate-relative module paths a file's non-test code names with `crate::`, `super::` or
/// `self::`, in `use` items, in code and inside macro calls; doc comments are attributes and
/// are not read.
#[derive(Default)]
struct ModulePaths {
    /// The module being read: the file's, then any inline modules inside it.
    scope: Vec<String>,
    found: Vec<Vec<String>>,
}

impl ModulePaths {
    fn record(&mut self, segments: &[String]) {
        let mut absolute = self.scope.clone();
        let rest = match segments.first().map(String::as_str) {
            Some("crate") => {
                absolute.clear();
                &segments[1..]
            }
            Some("self") => &segments[1..],
            Some("super") => {
                let supers = segments.iter().take_while(|s| *s == "super").count();
                absolute.truncate(absolute.len().saturating_sub(supers));
                &segments[supers..]
            }
            _ => return,
        };
        absolute.extend(rest.iter().filter(|s| *s != "self").cloned());
        self.found.push(absolute);
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        let depth = prefix.len();
        match tree {
            syn::UseTree::Path(path) => {
                prefix.push(path.ident.to_string());
                self.use_tree(prefix, &path.tree);
            }
            syn::UseTree::Name(name) => prefix.push(name.ident.to_string()),
            syn::UseTree::Rename(rename) => prefix.push(rename.ident.to_string()),
            syn::UseTree::Glob(_) => {}
            syn::UseTree::Group(group) => group.items.iter().for_each(|item| {
                self.use_tree(prefix, item);
            }),
        }
        if !matches!(tree, syn::UseTree::Path(_) | syn::UseTree::Group(_)) {
            let leaf = prefix.clone();
            self.record(&leaf);
        }
        prefix.truncate(depth);
    }

    /// Macro arguments are tokens, not syntax: `crate :: a :: b` runs are picked out of them.
    fn tokens(&mut self, stream: TokenStream) {
        let tokens: Vec<TokenTree> = stream.into_iter().collect();
        for (start, token) in tokens.iter().enumerate() {
            match token {
                TokenTree::Group(group) => self.tokens(group.stream()),
                TokenTree::Ident(ident) if ident == "crate" || ident == "super" => {
                    let mut segments = vec![ident.to_string()];
                    let mut at = start + 1;
                    while let [
                        TokenTree::Punct(a),
                        TokenTree::Punct(b),
                        TokenTree::Ident(next),
                        ..,
                    ] = &tokens[at.min(tokens.len())..]
                    {
                        if a.as_char() != ':' || b.as_char() != ':' {
                            break;
                        }
                        segments.push(next.to_string());
                        at += 3;
                    }
                    if segments.len() > 1 {
                        self.record(&segments);
                    }
                }
                _ => {}
            }
        }
    }
}

impl<'ast> Visit<'ast> for ModulePaths {
    fn visit_attribute(&mut self, _: &'ast syn::Attribute) {}

    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attributes = match item {
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Use(u) => &u.attrs,
            _ => &Vec::new(),
        };
        if !is_test(attributes) {
            visit::visit_item(self, item);
        }
    }

    fn visit_item_mod(&mut self, module: &'ast syn::ItemMod) {
        if let Some((_, items)) = &module.content {
            self.scope.push(module.ident.to_string());
            items.iter().for_each(|item| self.visit_item(item));
            self.scope.pop();
        }
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &item.tree);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        self.record(&segments);
        visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.tokens(mac.tokens.clone());
        visit::visit_macro(self, mac);
    }
}

/// File -> file imports inside each crate, with the names each takes. A module's own
/// submodules are its parts, not its imports (it declares them and may re-export from them),
/// so only paths that leave a file's subtree count: to a parent, a sibling or a cousin.
fn module_imports(files: &[SourceFile]) -> BTreeMap<&str, BTreeMap<&str, BTreeSet<String>>> {
    let mut by_module = BTreeMap::new();
    for file in files {
        by_module.insert(
            (file.krate.as_str(), file.module.as_slice()),
            file.name.as_str(),
        );
    }
    let mut graph: BTreeMap<&str, BTreeMap<&str, BTreeSet<String>>> = BTreeMap::new();
    for file in files {
        let mut paths = ModulePaths {
            scope: file.module.clone(),
            ..ModulePaths::default()
        };
        paths.visit_file(&file.syntax);
        for path in paths.found {
            // The longest prefix that is a file's module is the file; the next segment is
            // the name taken from it (none: the module itself, or all of it).
            let Some((target, target_module, used)) = (0..=path.len()).rev().find_map(|len| {
                let prefix = &path[..len];
                let target = by_module.get(&(file.krate.as_str(), prefix))?;
                let used = path.get(len).map_or("*", String::as_str).to_owned();
                Some((*target, prefix, used))
            }) else {
                continue;
            };
            if !target_module.starts_with(&file.module) {
                graph
                    .entry(file.name.as_str())
                    .or_default()
                    .entry(target)
                    .or_default()
                    .insert(used);
            }
        }
    }
    graph
}

/// The strongly connected components of more than one file (Tarjan's algorithm).
fn cycles<'a>(graph: &BTreeMap<&'a str, BTreeMap<&'a str, BTreeSet<String>>>) -> Vec<Vec<&'a str>> {
    #[derive(Default)]
    struct Search<'a> {
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<&'a str>>,
    }
    fn visit<'a>(
        node: &'a str,
        graph: &BTreeMap<&'a str, BTreeMap<&'a str, BTreeSet<String>>>,
        search: &mut Search<'a>,
    ) {
        let index = search.index.len();
        search.index.insert(node, index);
        search.low.insert(node, index);
        search.stack.push(node);
        for &next in graph
            .get(node)
            .into_iter()
            .flat_map(|targets| targets.keys())
        {
            if !search.index.contains_key(next) {
                visit(next, graph, search);
                let low = search.low[node].min(search.low[next]);
                search.low.insert(node, low);
            } else if search.stack.contains(&next) {
                let low = search.low[node].min(search.index[next]);
                search.low.insert(node, low);
            }
        }
        if search.low[node] == index {
            let at = search
                .stack
                .iter()
                .position(|n| *n == node)
                .expect("on the stack");
            let mut component = search.stack.split_off(at);
            if component.len() > 1 {
                component.sort_unstable();
                search.found.push(component);
            }
        }
    }
    let mut search = Search::default();
    for &node in graph.keys() {
        if !search.index.contains_key(node) {
            visit(node, graph, &mut search);
        }
    }
    search.found
}

#[test]
fn modules_inside_a_crate_import_each_other_in_one_direction_only() {
    let files = source_files();
    let graph = module_imports(&files);
    // The check must see imports at all: the store's modules use its root's `Tx`.
    assert!(
        graph["crates/roster-store/src/users.rs"].contains_key("crates/roster-store/src/lib.rs")
    );
    let found = cycles(&graph);
    let mut report = String::new();
    for cycle in &found {
        report.push_str("\nimport cycle:");
        for from in cycle {
            for (to, names) in &graph[from] {
                if cycle.contains(to) {
                    let names: Vec<&str> = names.iter().map(String::as_str).collect();
                    report.push_str(&format!("\n  {from} -> {to}: {}", names.join(", ")));
                }
            }
        }
    }
    assert!(report.is_empty(), "{report}");
}
