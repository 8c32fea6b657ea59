//! A library that depends on an annotated library (`outside-annotated`) and uses the recipe
//! for libraries others depend on: hiperf is an optional dependency, and each attribute is a
//! `cfg_attr` on the crate's own `profile` feature.
#![deny(warnings)]
#![forbid(unsafe_code)]

/// Wraps `text` at `width` columns (a greedy line breaker).
#[cfg_attr(feature = "profile", hiperf::profile)]
#[must_use]
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        if !current.is_empty() && current.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// Functions under an attribute macro stacked above hiperf's (issue 13 item 5).
///
/// The outer attribute re-emits the function through syn, rebuilding its body's brace group
/// on one joined span. Their line tables must still list every line of the body.
pub mod outer_attribute {
    /// Squares and sums `values`, under `#[reemit]` then `#[hiperf::profile]`.
    #[outside_reemit::reemit]
    #[cfg_attr(feature = "profile", hiperf::profile)]
    #[must_use]
    pub fn sum_of_squares(values: &[u64]) -> u64 {
        let mut total = 0;
        for value in values {
            total += value * value;
        }
        total
    }

    /// The first line of the function body (its tests look the line up).
    pub const FIRST_LINE: &str = "let mut total = 0;";
}
