//! A statement with outer attributes is hit on its own line, not on its attributes' line, and
//! a statement that `#[cfg]` removes is never hit.

#![deny(warnings)]
#![warn(clippy::pedantic, clippy::nursery)]
// Small functions that could be `const` without the attribute, which cannot be on a `const fn`.
#![allow(clippy::missing_const_for_fn)]

mod common;

use common::{function, line};

#[hiperf::profile]
fn attributed(n: u32) -> u32 {
    let mut total = 0;
    #[allow(unused_variables)]
    let unused = n;
    #[cfg(any())]
    let total = total + 1000;
    #[cfg(any())]
    eprintln!("removed: total += 1000;");
    #[cfg(not(any()))]
    {
        total += n;
    }
    #[allow(clippy::let_and_return)]
    #[cfg(not(any()))]
    let total = total + 1;
    #[cfg(any())]
    for _ in 0..n {
        total += 1000;
    }
    total
}

/// A removed first statement: the entry does not count its line.
#[hiperf::profile]
fn removed_first(n: u32) -> u32 {
    #[cfg(any())]
    let n = n + 1000;
    n + 1
}

#[test]
fn a_removed_first_statement_is_not_hit_at_entry() {
    assert_eq!(removed_first(1), 2);
    if hiperf::ENABLED {
        let profile = function("removed_first");
        assert_eq!(line(&profile, "let n = n + 1000;").hits, 0);
        assert_eq!(line(&profile, "n + 1").hits, 1);
    }
}

#[test]
fn attributes_do_not_take_their_statements_hits() {
    assert_eq!(attributed(5), 6);
    assert_eq!(attributed(1), 2);
    if !hiperf::ENABLED {
        return;
    }
    let profile = function("attributed");
    assert_eq!(line(&profile, "let unused = n;").hits, 2);
    assert_eq!(line(&profile, "#[allow(unused_variables)]").hits, 0);
    // Removed by `#[cfg(any())]`: never run, never hit.
    let removed = profile
        .lines
        .iter()
        .filter(|l| l.contents.contains("total += 1000;"))
        .map(|l| l.hits)
        .collect::<Vec<_>>();
    assert_eq!(removed, [0, 0]);
    assert_eq!(line(&profile, "let total = total + 1000;").hits, 0);
    for attribute in ["#[cfg(any())]", "#[cfg(not(any()))]"] {
        for row in profile
            .lines
            .iter()
            .filter(|l| l.contents.trim() == attribute)
        {
            assert_eq!(row.hits, 0, "line {}: {attribute}", row.line);
        }
    }
    assert_eq!(line(&profile, "total += n;").hits, 2);
    assert_eq!(line(&profile, "let total = total + 1;").hits, 2);
    assert_eq!(line(&profile, "for _ in 0..n").hits, 0);
}
