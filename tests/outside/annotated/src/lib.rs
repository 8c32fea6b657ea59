//! A small library whose functions carry `#[hiperf::profile]`, with code shapes that once broke
//! when hiperf was added (issue 13). Its tests and doc tests pass the same with profiling off
//! and on, and it is warning-free under `#![deny(warnings)]` and clippy's pedantic and nursery
//! groups either way.
//!
//! ```
//! // Feature off, hiperf adds no trait impl on std types: this inference still works.
//! assert_eq!(outside_annotated::points(), vec![]);
//! ```
#![deny(warnings)]
#![forbid(unsafe_code)]

/// Points of an empty figure: `assert_eq!(points(), vec![])` must infer `Vec<usize>`.
///
/// ```
/// assert_eq!(outside_annotated::points(), vec![]);
/// ```
#[hiperf::profile]
#[must_use]
pub fn points() -> Vec<usize> {
    (0..0).collect()
}

/// Counts the words of a text.
#[hiperf::profile]
#[must_use]
pub fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}
