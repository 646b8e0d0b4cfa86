//! Function length: no non-test function runs past a screenful, flat tables excepted.

use std::collections::BTreeSet;

use syn::visit::{self, Visit};

use crate::{is_test, source_files};

/// Functions allowed over `MAX_FUNCTION_LINES`, as (file, `Type::function` or `function`).
/// Flat tables, where one line is one case and splitting would only scatter the cases, and
/// functions that are being split (the last two). An entry that no longer names a long
/// function fails the test.
const LONG_FUNCTIONS: &[(&str, &str)] = &[
    ("crates/roster-http/src/error.rs", "field_item"),
    ("crates/roster-http/src/error.rs", "ApiError::from"),
];

const MAX_FUNCTION_LINES: usize = 100;

/// Every non-test function's length in lines, from `fn` to its closing brace.
#[derive(Default)]
struct FunctionLengths {
    owner: Vec<String>,
    found: Vec<(String, usize)>,
}

impl FunctionLengths {
    fn record(
        &mut self,
        attributes: &[syn::Attribute],
        signature: &syn::Signature,
        body: &syn::Block,
    ) {
        if is_test(attributes) {
            return;
        }
        let start = signature.fn_token.span.start().line;
        let end = body.brace_token.span.close().end().line;
        let name = match self.owner.last() {
            Some(owner) => format!("{owner}::{}", signature.ident),
            None => signature.ident.to_string(),
        };
        self.found.push((name, end + 1 - start));
    }
}

impl<'ast> Visit<'ast> for FunctionLengths {
    fn visit_item_mod(&mut self, module: &'ast syn::ItemMod) {
        if !is_test(&module.attrs) {
            visit::visit_item_mod(self, module);
        }
    }

    fn visit_item_impl(&mut self, item: &'ast syn::ItemImpl) {
        if is_test(&item.attrs) {
            return;
        }
        let owner = match &*item.self_ty {
            syn::Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        };
        self.owner.push(owner.unwrap_or_else(|| "impl".to_owned()));
        visit::visit_item_impl(self, item);
        self.owner.pop();
    }

    fn visit_item_trait(&mut self, item: &'ast syn::ItemTrait) {
        self.owner.push(item.ident.to_string());
        visit::visit_item_trait(self, item);
        self.owner.pop();
    }

    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        self.record(&item.attrs, &item.sig, &item.block);
        // A function inside a function is named alone.
        let owners = std::mem::take(&mut self.owner);
        if !is_test(&item.attrs) {
            visit::visit_item_fn(self, item);
        }
        self.owner = owners;
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        self.record(&item.attrs, &item.sig, &item.block);
        if !is_test(&item.attrs) {
            visit::visit_impl_item_fn(self, item);
        }
    }

    fn visit_trait_item_fn(&mut self, item: &'ast syn::TraitItemFn) {
        if let Some(body) = &item.default {
            self.record(&item.attrs, &item.sig, body);
            visit::visit_trait_item_fn(self, item);
        }
    }
}

#[test]
fn no_function_is_longer_than_a_screenful() {
    let mut report = String::new();
    let mut long = BTreeSet::new();
    for file in source_files() {
        let mut lengths = FunctionLengths::default();
        lengths.visit_file(&file.syntax);
        for (function, lines) in lengths.found {
            if lines <= MAX_FUNCTION_LINES {
                continue;
            }
            long.insert((file.name.clone(), function.clone()));
            if !LONG_FUNCTIONS.contains(&(file.name.as_str(), function.as_str())) {
                report.push_str(&format!(
                    "\n{} `{function}` has {lines} lines (at most {MAX_FUNCTION_LINES})",
                    file.name
                ));
            }
        }
    }
    for (file, function) in LONG_FUNCTIONS {
        if !long.contains(&(file.to_string(), function.to_string())) {
            report.push_str(&format!(
                "\n{file} `{function}` is no longer long; remove it from LONG_FUNCTIONS"
            ));
        }
    }
    assert!(report.is_empty(), "{report}");
}
