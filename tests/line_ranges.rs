//! A function's line table holds its body, whatever re-emits it: an outer attribute macro that
//! rebuilds the body's brace group through syn, or an annotated item around it. The table
//! starts at the `fn` line (or the attributes just above it), never at the doc comment.

// A value bound on a line of its own and then returned gives that line a row of its own.
#![allow(clippy::let_and_return)]

mod common;

use common::{function, hits};

#[reemit::reemit]
#[hiperf::profile]
fn under_a_reemitting_attribute(n: u32) -> u32 {
    let mut total = 0;
    for i in 0..n {
        total += i;
    }
    total
}

#[reemit::wrap_body]
#[hiperf::profile]
fn under_a_wrapping_attribute(n: u32) -> u32 {
    let doubled = n * 2;
    doubled + 1
}

#[test]
fn an_outer_attribute_that_reemits_the_body_keeps_every_line() {
    assert_eq!(under_a_reemitting_attribute(4), 6);
    assert_eq!(under_a_wrapping_attribute(4), 9);
    if !hiperf::ENABLED {
        return;
    }
    let profile = function("under_a_reemitting_attribute");
    assert_eq!(profile.calls, 1);
    assert_eq!(hits(&profile, "let mut total = 0;"), 1);
    assert_eq!(hits(&profile, "for i in 0..n"), 5);
    assert_eq!(hits(&profile, "total += i;"), 4);
    assert_eq!(common::line(&profile, "total").hits, 1);
    let profile = function("under_a_wrapping_attribute");
    assert_eq!(hits(&profile, "let doubled = n * 2;"), 1);
    assert_eq!(hits(&profile, "doubled + 1"), 1);
}

#[hiperf::profile]
fn outer_with_nested(n: u32) -> u32 {
    #[hiperf::profile]
    fn nested_in_fn(n: u32) -> u32 {
        let tripled = n * 3;
        tripled
    }
    let first = nested_in_fn(n);
    first + nested_in_fn(1)
}

#[hiperf::profile]
mod annotated_module {
    #[hiperf::profile(name = "renamed_in_module")]
    pub fn renamed(n: u32) -> u32 {
        let squared = n * n;
        squared
    }

    #[hiperf::memit]
    pub fn memit_in_module(n: usize) -> usize {
        let values = vec![0_u8; n];
        values.len()
    }

    #[derive(Debug)]
    pub struct Holder;

    #[hiperf::memit]
    impl Holder {
        pub fn plain(&self) -> usize {
            let values = vec![0_u8; std::hint::black_box(8)];
            values.len()
        }
    }
}

struct Store;

#[hiperf::profile]
impl Store {
    #[hiperf::memit]
    fn memit_in_impl(&self, n: usize) -> usize {
        let values = vec![0_u8; n];
        values.len()
    }
}

#[test]
fn a_function_annotated_inside_an_annotated_item_keeps_its_lines() {
    assert_eq!(outer_with_nested(2), 9);
    assert_eq!(annotated_module::renamed(3), 9);
    assert_eq!(annotated_module::memit_in_module(16), 16);
    assert_eq!(annotated_module::Holder.plain(), 8);
    assert_eq!(Store.memit_in_impl(32), 32);
    if !hiperf::ENABLED {
        return;
    }
    let profile = hiperf::take(hiperf::snapshot::SnapshotOptions::default());
    let named = |name: &str| {
        profile
            .functions
            .iter()
            .find(|f| f.name.ends_with(name))
            .unwrap_or_else(|| panic!("no function named {name}"))
    };
    assert_eq!(hits(named("nested_in_fn"), "let tripled = n * 3;"), 2);
    assert_eq!(
        hits(named("outer_with_nested"), "let first = nested_in_fn(n);"),
        1
    );
    assert_eq!(hits(named("renamed_in_module"), "let squared = n * n;"), 1);
    assert_eq!(hits(named("memit_in_module"), "values.len()"), 1);
    assert_eq!(hits(named("plain"), "values.len()"), 1);
    assert_eq!(hits(named("memit_in_impl"), "values.len()"), 1);
}

/// A long doc comment above the function: not part of its table.
///
/// ```
/// assert_eq!(1 + 1, 2);
/// ```
#[inline(never)]
#[hiperf::profile]
fn documented(n: u32) -> u32 {
    n + 1
}

#[test]
fn the_table_starts_at_the_attributes_above_the_fn_line_not_at_the_doc_comment() {
    assert_eq!(documented(1), 2);
    if !hiperf::ENABLED {
        return;
    }
    let profile = function("documented");
    let first = profile.lines.first().expect("lines");
    assert_eq!(first.contents.trim(), "#[inline(never)]");
    assert_eq!(profile.lines.len(), 5);
    assert_eq!(hits(&profile, "n + 1"), 1);
}
