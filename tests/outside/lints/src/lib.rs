//! Code that is warning-free under `#![deny(warnings)]` and clippy's default, pedantic and
//! nursery groups must stay so with `#[hiperf::profile]` on (issue 13 item 4): no
//! `unused_parens` from a rewritten `for` over a struct literal, no `single_match_else` or
//! `option_if_let_else` from the marks the rewrite adds.
#![deny(warnings)]
#![forbid(unsafe_code)]

/// Sums the values of a range held in a struct literal (`for` needs the parentheses).
#[hiperf::profile]
#[must_use]
pub fn sum_to(end: u64) -> u64 {
    let mut total = 0;
    for value in (std::ops::Range { start: 0, end }) {
        total += value;
    }
    total
}

/// A number's label, by a `match` with one arm and a block in the `else` arm.
#[hiperf::profile]
#[must_use]
pub fn label(value: Option<u32>) -> String {
    match value {
        Some(value) if value > 9 => format!("big {value}"),
        Some(value) => format!("small {value}"),
        None => {
            let fallback = "none";
            fallback.to_string()
        }
    }
}

/// The first even value, or a default computed in an `else if let` chain.
#[hiperf::profile]
#[must_use]
pub fn first_even(values: &[u32], fallback: Option<u32>) -> u32 {
    if values.is_empty() {
        0
    } else if let Some(even) = values.iter().copied().find(|value| value % 2 == 0) {
        even
    } else if let Some(fallback) = fallback {
        fallback * 2
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn loops_and_matches_give_the_same_values() {
        assert_eq!(super::sum_to(5), 10);
        assert_eq!(super::label(Some(12)), "big 12");
        assert_eq!(super::label(Some(2)), "small 2");
        assert_eq!(super::label(None), "none");
        assert_eq!(super::first_even(&[], None), 0);
        assert_eq!(super::first_even(&[3, 4], None), 4);
        assert_eq!(super::first_even(&[3], Some(5)), 10);
        assert_eq!(super::first_even(&[3], None), 1);
    }
}
