//! `fibonacci.py`: Fibonacci numbers built into a list or yielded one at a time. They
//! outgrow `u64` at F(94), so they are `BigUint`s, as Python's are.

use std::hint::black_box;

use num_bigint::BigUint;
use num_traits::{One, ToPrimitive, Zero};

use crate::{Outcome, Run, Size, Workload, expect_eq};

// ---------------------------------------------------------------------------------------
// fibonacci.py

/// The book's item counts, `N in (2, 100, 1_000, 100_00)`.
pub const FIBONACCI_SIZES: [usize; 4] = [2, 100, 1_000, 10_000];

/// F(99), the last of 100 items: 68 bits, past `u64`.
pub const F99: u128 = 218_922_995_834_555_169_026;

/// The modulus of the check on F(9999), the last of 10,000 items.
pub const MODULUS: u32 = 1_000_000_007;

/// F(9999) has 2090 decimal digits and 6941 bits, and is 752727075 modulo 1e9+7.
pub const F9999_DIGITS: usize = 2090;
/// See [`F9999_DIGITS`].
pub const F9999_BITS: u64 = 6941;
/// See [`F9999_DIGITS`].
pub const F9999_MOD: u32 = 752_727_075;

/// How many times each size is consumed: 1000 at book size (the book's `number=1000`),
/// once at the quick size.
pub fn fibonacci_repeats(size: Size) -> usize {
    match size {
        Size::Quick => 1,
        Size::Book => 1000,
    }
}

/// `fibonacci_list`: the first `num_items` Fibonacci numbers, F(0) first, all held at once.
///
/// ```
/// use hiperf_workloads::ch05_generators::fibonacci_list;
///
/// let numbers: Vec<u32> = fibonacci_list(6).iter().map(|n| u32::try_from(n).unwrap()).collect();
/// assert_eq!(numbers, [0, 1, 1, 2, 3, 5]);
/// ```
#[hiperf::profile]
#[hiperf::memit]
pub fn fibonacci_list(num_items: usize) -> Vec<BigUint> {
    let mut numbers = Vec::new();
    let (mut a, mut b) = (BigUint::zero(), BigUint::one());
    while numbers.len() < num_items {
        // `a, b = b, a + b`, moving the numbers rather than copying them, as Python does.
        let sum = &a + &b;
        let current = std::mem::replace(&mut a, std::mem::replace(&mut b, sum));
        numbers.push(current);
    }
    numbers
}

/// `fibonacci_gen`: the same numbers, computed one at a time as the caller asks for them.
///
/// ```
/// use hiperf_workloads::ch05_generators::fibonacci_gen;
///
/// assert_eq!(fibonacci_gen(11).last().unwrap(), 55u32.into());
/// ```
pub fn fibonacci_gen(num_items: usize) -> impl Iterator<Item = BigUint> {
    let (mut a, mut b) = (BigUint::zero(), BigUint::one());
    let mut remaining = num_items;
    std::iter::from_fn(move || {
        if remaining == 0 {
            return None;
        }
        remaining -= 1;
        let sum = &a + &b;
        Some(std::mem::replace(&mut a, std::mem::replace(&mut b, sum)))
    })
}

/// The numbers lent to `visit` one by one and updated in place (`a += b`, then a swap), so
/// that the two buffers are reused instead of one new number being allocated per item.
/// Returns the last number, which nothing else holds.
///
/// ```
/// use hiperf_workloads::ch05_generators::fibonacci_visit;
///
/// let mut count = 0;
/// let last = fibonacci_visit(11, |_| count += 1);
/// assert_eq!((count, last), (11, Some(55u32.into())));
/// ```
pub fn fibonacci_visit(num_items: usize, mut visit: impl FnMut(&BigUint)) -> Option<BigUint> {
    if num_items == 0 {
        return None;
    }
    let (mut a, mut b) = (BigUint::zero(), BigUint::one());
    for _ in 1..num_items {
        visit(&a);
        // PERF: `a += &b` adds into a's buffer; the swap then makes it the new `b`.
        a += &b;
        std::mem::swap(&mut a, &mut b);
    }
    visit(&a);
    Some(a)
}

/// What consuming a sequence of numbers saw: how many, and the last one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Consumed {
    /// The number of items.
    pub count: usize,
    /// The last item, if any.
    pub last: Option<BigUint>,
}

/// `test_fibonacci`'s `for i in func(N): pass`, keeping the count and the last item.
pub fn consume(items: impl IntoIterator<Item = BigUint>) -> Consumed {
    let mut consumed = Consumed::default();
    for item in items {
        consumed.count += 1;
        consumed.last = Some(black_box(item));
    }
    consumed
}

/// Checks what consuming `num_items` numbers saw against the book's values.
pub fn check_fibonacci(num_items: usize, consumed: &Consumed) -> Result<(), String> {
    expect_eq(
        &format!("items of fibonacci({num_items})"),
        consumed.count,
        num_items,
    )?;
    let last = consumed
        .last
        .as_ref()
        .ok_or_else(|| format!("fibonacci({num_items}) yielded nothing"))?;
    match num_items {
        2 => expect_eq("F(1)", last.to_u64(), Some(1)),
        100 => {
            expect_eq("F(99)", last.to_u128(), Some(F99))?;
            expect_eq("bits of F(99)", last.bits(), 68)
        }
        10_000 => {
            expect_eq(
                "decimal digits of F(9999)",
                last.to_str_radix(10).len(),
                F9999_DIGITS,
            )?;
            expect_eq("bits of F(9999)", last.bits(), F9999_BITS)?;
            let modulus = BigUint::from(MODULUS);
            expect_eq(
                "F(9999) mod 1e9+7",
                (last % &modulus).to_u32(),
                Some(F9999_MOD),
            )
        }
        _ => Ok(()),
    }
}

fn run_fibonacci(run: &mut Run, kernel: fn(usize) -> Consumed) -> Result<Outcome, String> {
    let repeats = fibonacci_repeats(run.size());
    let results = run.time(|| {
        let mut results = Vec::with_capacity(FIBONACCI_SIZES.len());
        for num_items in FIBONACCI_SIZES {
            let mut consumed = Consumed::default();
            for _ in 0..repeats {
                consumed = kernel(black_box(num_items));
            }
            results.push(consumed);
        }
        results
    });
    for (num_items, consumed) in FIBONACCI_SIZES.iter().zip(&results) {
        check_fibonacci(*num_items, consumed)?;
    }
    expect_eq("sizes run", results.len(), FIBONACCI_SIZES.len())?;
    Ok(Outcome {
        parameters: format!("N in {FIBONACCI_SIZES:?}, each consumed {repeats}x"),
        result: format!(
            "F(99) = {F99} (68 bits); F(9999): {F9999_DIGITS} digits, {F9999_BITS} bits, mod 1e9+7 = {F9999_MOD}"
        ),
    })
}

inventory::submit! {
    Workload {
        chapter: 5,
        name: "fibonacci",
        variant: "list",
        rank: 0,
        description: "fibonacci_list: build a Vec<BigUint> of every number, then consume it",
        run: |run| run_fibonacci(run, |num_items| consume(fibonacci_list(num_items))),
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 5,
        name: "fibonacci",
        variant: "iterator",
        rank: 1,
        description: "fibonacci_gen: an impl Iterator yielding each BigUint as it is consumed",
        run: |run| run_fibonacci(run, |num_items| consume(fibonacci_gen(num_items))),
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 5,
        name: "fibonacci",
        variant: "in-place",
        rank: 2,
        description: "numbers lent by reference and added in place: two buffers, no allocation per item",
        run: |run| {
            run_fibonacci(run, |num_items| {
                let mut count = 0;
                let last = fibonacci_visit(num_items, |item| {
                    count += 1;
                    black_box(item);
                });
                Consumed { count, last }
            })
        },
        python: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fibonacci_list_and_iterator_yield_the_same_numbers() {
        let list = fibonacci_list(300);
        let generated: Vec<BigUint> = fibonacci_gen(300).collect();
        assert_eq!(list, generated);
        let mut visited = Vec::new();
        let last = fibonacci_visit(300, |item| visited.push(item.clone()));
        assert_eq!(visited, list);
        assert_eq!(last.as_ref(), list.last());
        assert_eq!(
            list[..8]
                .iter()
                .map(|n| n.to_u32().unwrap())
                .collect::<Vec<_>>(),
            [0, 1, 1, 2, 3, 5, 8, 13]
        );
    }

    #[test]
    fn f99_is_the_100th_item_and_needs_68_bits() {
        let consumed = consume(fibonacci_gen(100));
        assert_eq!(consumed.count, 100);
        let last = consumed.last.unwrap();
        assert_eq!(last.to_u128(), Some(F99));
        assert_eq!(last.to_string(), "218922995834555169026");
        assert_eq!(last.bits(), 68);
        assert!(last.to_u64().is_none());
    }

    #[test]
    fn the_last_of_10000_items_matches_the_reference() {
        for consumed in [
            consume(fibonacci_list(10_000)),
            consume(fibonacci_gen(10_000)),
            Consumed {
                count: 10_000,
                last: fibonacci_visit(10_000, |_| {}),
            },
        ] {
            check_fibonacci(10_000, &consumed).unwrap();
        }
    }

    #[test]
    fn a_wrong_count_or_value_is_reported() {
        let short = consume(fibonacci_gen(99));
        assert!(check_fibonacci(100, &short).unwrap_err().contains("items"));
        let wrong = Consumed {
            count: 100,
            last: Some(BigUint::from(F99 + 1)),
        };
        assert!(check_fibonacci(100, &wrong).unwrap_err().contains("F(99)"));
    }

    #[test]
    fn zero_items_yield_nothing() {
        assert!(fibonacci_list(0).is_empty());
        assert_eq!(fibonacci_gen(0).count(), 0);
        assert_eq!(fibonacci_visit(0, |_| panic!("visited")), None);
    }
}
