//! Chapter 3, Lists and tuples: searching a sorted list (`linear_search.py`,
//! `binary_search.py`, `binary_vs_linear_search.py`, `bisect_example.py`).
//!
//! The ladder runs the book's table, needles 1, 6000, 9000 and 1,000,000 in haystacks
//! `0..N` for N in 10,000, 100,000 and 1,000,000, three ways: the book's linear scan, the
//! book's hand-written bisection, and the standard library's `binary_search`. Every variant
//! repeats each search as often as `binary_vs_linear_search.py` does (`number=1000`), so
//! the timed regions of the ladder do the same work and can be compared directly.
//!
//! The kernels return `Option<usize>` where the book returns an index or `-1`; the table
//! is checked (and shown) in the book's form.

use std::hint::black_box;

use crate::{Outcome, Run, Size, Workload, expect_eq};

/// The haystack sizes of the book's table.
pub const HAYSTACK_SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];

/// The needles of the book's table.
pub const NEEDLES: [i64; 4] = [1, 6000, 9000, 1_000_000];

/// The book's answer for each needle, in every haystack: the needle's own index, or `-1`
/// for 1,000,000, which is one past the end of the largest haystack.
pub const EXPECTED_INDEX: [i64; 4] = [1, 6000, 9000, -1];

/// The sorted list printed by `bisect_example.py`.
pub const IMPORTANT_NUMBERS: [i64; 10] = [14, 265, 496, 661, 683, 734, 881, 892, 973, 992];

/// `bisect_example.py`'s three queries and the closest values it prints for them.
pub const CLOSEST: [(i64, i64); 3] = [(-250, 14), (500, 496), (1100, 992)];

/// How many times each search of the table is repeated: `number=1000` of
/// `binary_vs_linear_search.py` at book size, once at the quick size.
pub fn repeats(size: Size) -> usize {
    match size {
        Size::Quick => 1,
        Size::Book => 1000,
    }
}

/// The haystack `range(N)`, materialised as a sorted vector.
pub fn haystack(size: usize) -> Vec<i64> {
    (0..size as i64).collect()
}

/// `linear_search.py`: the first index holding `needle`, scanning from the front.
///
/// ```
/// use hiperf_workloads::ch03_search::linear_search;
///
/// assert_eq!(linear_search(6, &[1, 6, 9]), Some(1));
/// assert_eq!(linear_search(7, &[1, 6, 9]), None);
/// ```
#[hiperf::profile]
pub fn linear_search(needle: i64, haystack: &[i64]) -> Option<usize> {
    for (index, &item) in haystack.iter().enumerate() {
        if item == needle {
            return Some(index);
        }
    }
    None
}

/// `binary_search.py`: the book's bisection over the half-open range `[imin, imax)`.
///
/// ```
/// use hiperf_workloads::ch03_search::bisection_search;
///
/// assert_eq!(bisection_search(9, &[1, 6, 9]), Some(2));
/// assert_eq!(bisection_search(7, &[1, 6, 9]), None);
/// ```
pub fn bisection_search(needle: i64, haystack: &[i64]) -> Option<usize> {
    let (mut imin, mut imax) = (0, haystack.len());
    loop {
        if imin >= imax {
            return None;
        }
        // A slice never holds more than isize::MAX elements, so the sum cannot overflow.
        let midpoint = (imin + imax) / 2;
        let value = haystack[midpoint];
        if value > needle {
            imax = midpoint;
        } else if value < needle {
            imin = midpoint + 1;
        } else {
            return Some(midpoint);
        }
    }
}

/// The standard library's bisection, `slice::binary_search`.
///
/// ```
/// use hiperf_workloads::ch03_search::std_binary_search;
///
/// assert_eq!(std_binary_search(1, &[1, 6, 9]), Some(0));
/// ```
pub fn std_binary_search(needle: i64, haystack: &[i64]) -> Option<usize> {
    haystack.binary_search(&needle).ok()
}

/// `bisect.insort`: inserts `value` after any equal values, keeping `sorted` sorted.
///
/// ```
/// use hiperf_workloads::ch03_search::insort;
///
/// let mut numbers = vec![14, 661];
/// insort(&mut numbers, 265);
/// assert_eq!(numbers, [14, 265, 661]);
/// ```
pub fn insort(sorted: &mut Vec<i64>, value: i64) {
    let index = sorted.partition_point(|&item| item <= value);
    sorted.insert(index, value);
}

/// `bisect_example.py`'s `find_closest`: the index of the value nearest `needle`, the
/// lower one on a tie; `None` for an empty haystack (where the book would raise).
///
/// ```
/// use hiperf_workloads::ch03_search::find_closest;
///
/// assert_eq!(find_closest(&[14, 265, 496], 300), Some(1));
/// ```
pub fn find_closest(haystack: &[i64], needle: i64) -> Option<usize> {
    let index = haystack.partition_point(|&item| item < needle);
    let above = haystack.get(index);
    let below = index
        .checked_sub(1)
        .and_then(|j| haystack.get(j).map(|&value| (j, value)));
    match (below, above) {
        (None, None) => None,
        (Some((j, _)), None) => Some(j),
        (None, Some(_)) => Some(index),
        (Some((j, low)), Some(&high)) => {
            // The book keeps the upper index unless it is strictly farther away.
            if high - needle > needle - low {
                Some(j)
            } else {
                Some(index)
            }
        }
    }
}

/// A search kernel: the index of `needle` in a sorted haystack, if present.
pub type Search = fn(i64, &[i64]) -> Option<usize>;

/// The book's form of a search result: the index, or `-1` when absent.
fn book_index(found: Option<usize>) -> i64 {
    found.map_or(-1, |index| index as i64)
}

/// Checks a table of results, laid out haystack by haystack and needle by needle.
pub fn check_table(found: &[Option<usize>]) -> Result<(), String> {
    expect_eq(
        "searches",
        found.len(),
        HAYSTACK_SIZES.len() * NEEDLES.len(),
    )?;
    for (row, &size) in found.chunks(NEEDLES.len()).zip(&HAYSTACK_SIZES) {
        for ((&result, &needle), &expected) in row.iter().zip(&NEEDLES).zip(&EXPECTED_INDEX) {
            expect_eq(
                &format!("index of {needle} in a haystack of {size}"),
                book_index(result),
                expected,
            )?;
        }
    }
    Ok(())
}

/// Checks `find_closest` against `bisect_example.py`, on its list rebuilt with `insort`.
pub fn check_closest() -> Result<(), String> {
    // The book inserts random numbers; inserting its printed list in a scrambled order
    // exercises `insort` the same way and must give the same list back.
    let mut important_numbers = Vec::new();
    for index in [7, 2, 9, 0, 4, 1, 8, 3, 6, 5] {
        insort(&mut important_numbers, IMPORTANT_NUMBERS[index]);
    }
    expect_eq(
        "numbers after insort",
        important_numbers.as_slice(),
        IMPORTANT_NUMBERS.as_slice(),
    )?;
    for (needle, expected) in CLOSEST {
        let closest =
            find_closest(&important_numbers, needle).map(|index| important_numbers[index]);
        expect_eq(
            &format!("closest value to {needle}"),
            closest,
            Some(expected),
        )?;
    }
    Ok(())
}

fn run_search(run: &mut Run, search: Search) -> Result<Outcome, String> {
    let repeats = repeats(run.size());
    let haystacks: Vec<Vec<i64>> = HAYSTACK_SIZES.iter().map(|&size| haystack(size)).collect();
    let found = run.time(|| {
        let mut found = Vec::with_capacity(HAYSTACK_SIZES.len() * NEEDLES.len());
        for haystack in &haystacks {
            for &needle in &NEEDLES {
                let mut result = None;
                // `black_box` keeps the optimiser from hoisting the search out of the loop.
                for _ in 0..repeats {
                    result = black_box(search(black_box(needle), black_box(haystack)));
                }
                found.push(result);
            }
        }
        found
    });
    check_table(&found)?;
    let table: Vec<String> = NEEDLES
        .iter()
        .zip(&EXPECTED_INDEX)
        .map(|(needle, index)| format!("{needle}->{index}"))
        .collect();
    Ok(Outcome {
        parameters: format!(
            "needles {NEEDLES:?} in haystacks 0..N, N in {HAYSTACK_SIZES:?}; each search {repeats}x"
        ),
        result: format!("{} in every haystack", table.join(", ")),
    })
}

inventory::submit! {
    Workload {
        chapter: 3,
        name: "search",
        variant: "linear",
        rank: 0,
        description: "linear_search.py: scan with enumerate until the needle, O(n)",
        run: |run| run_search(run, linear_search),
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 3,
        name: "search",
        variant: "bisection",
        rank: 1,
        description: "binary_search.py: the book's hand-written bisection, O(log n)",
        run: |run| run_search(run, bisection_search),
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 3,
        name: "search",
        variant: "binary-search",
        rank: 2,
        description: "slice::binary_search; also find_closest via partition_point (bisect_example.py)",
        run: |run| {
            let outcome = run_search(run, std_binary_search)?;
            check_closest()?;
            let closest: Vec<String> = CLOSEST.iter().map(|(needle, value)| format!("closest({needle})={value}")).collect();
            Ok(Outcome { result: format!("{}; {}", outcome.result, closest.join(", ")), ..outcome })
        },
        python: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(search: Search) -> Vec<Option<usize>> {
        let haystacks: Vec<Vec<i64>> = HAYSTACK_SIZES.iter().map(|&size| haystack(size)).collect();
        haystacks
            .iter()
            .flat_map(|haystack| NEEDLES.iter().map(|&needle| search(needle, haystack)))
            .collect()
    }

    #[test]
    fn every_search_gives_the_books_index_table() {
        for search in [linear_search as Search, bisection_search, std_binary_search] {
            let found = table(search);
            check_table(&found).unwrap();
            assert_eq!(found[..4], [Some(1), Some(6000), Some(9000), None]);
        }
    }

    #[test]
    fn a_wrong_table_is_reported() {
        let mut found = table(std_binary_search);
        found[3] = Some(999_999);
        let error = check_table(&found).unwrap_err();
        assert!(error.contains("1000000 in a haystack of 10000"), "{error}");
    }

    #[test]
    fn searches_agree_on_edges_and_gaps() {
        let haystack = [2, 4, 6, 8, 10];
        for needle in 0..=12 {
            let expected = haystack.iter().position(|&item| item == needle);
            assert_eq!(linear_search(needle, &haystack), expected);
            assert_eq!(bisection_search(needle, &haystack), expected);
            assert_eq!(std_binary_search(needle, &haystack), expected);
        }
        assert_eq!(bisection_search(1, &[]), None);
        assert_eq!(linear_search(1, &[]), None);
    }

    #[test]
    fn find_closest_matches_bisect_example() {
        check_closest().unwrap();
        assert_eq!(find_closest(&IMPORTANT_NUMBERS, -250), Some(0));
        assert_eq!(find_closest(&IMPORTANT_NUMBERS, 500), Some(2));
        assert_eq!(find_closest(&IMPORTANT_NUMBERS, 1100), Some(9));
    }

    #[test]
    fn find_closest_handles_exact_hits_ties_and_empty_lists() {
        assert_eq!(find_closest(&IMPORTANT_NUMBERS, 661), Some(3));
        // 14 and 16 are both 1 away from 15: the book keeps the upper index.
        assert_eq!(find_closest(&[14, 16], 15), Some(1));
        assert_eq!(find_closest(&[], 15), None);
    }

    #[test]
    fn insort_keeps_equal_values_in_insertion_order_after_existing_ones() {
        let mut numbers = vec![1, 3, 3, 5];
        insort(&mut numbers, 3);
        insort(&mut numbers, 0);
        insort(&mut numbers, 9);
        assert_eq!(numbers, [0, 1, 3, 3, 3, 5, 9]);
    }

    #[test]
    fn every_registered_variant_passes_at_quick_size() {
        let ladder: Vec<_> = crate::workloads()
            .into_iter()
            .filter(|w| w.chapter == 3 && w.name == "search")
            .collect();
        let variants: Vec<_> = ladder.iter().map(|w| w.variant).collect();
        assert_eq!(variants, ["linear", "bisection", "binary-search"]);
        for workload in ladder {
            let mut run = Run::new(Size::Quick);
            let outcome = (workload.run)(&mut run)
                .unwrap_or_else(|error| panic!("{}: {error}", workload.id()));
            assert!(outcome.result.contains("1000000->-1"), "{}", outcome.result);
            assert!(run.elapsed().is_some());
        }
    }
}
