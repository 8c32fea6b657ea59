//! 6b. Norm squared (`06_matrix/norm/`): `Σ v·v` over `range(1_000_000)`, in integers, from the
//! book's Python loop to a dot product. Every variant returns the exact value,
//! 333332833333500000 at book size (it fits an `i64`).
//!
//! The naive variant keeps the list's shape: a CPython list holds pointers to integer objects,
//! so it is a `Vec<Box<i64>>`, each value behind its own allocation, as the book's memory
//! discussion describes. `norm_array.py`'s `array('l')` is the contiguous `Vec<i64>`, and the
//! rest work on contiguous values too.
//!
//! Each run makes one untimed call before the timed one: the book takes the minimum of 10
//! calls, so its figures never include the first call's page faults (NumPy's 8 MB product is
//! mapped fresh the first time only).

use ndarray::Array1;
use rayon::prelude::*;

use crate::{Outcome, Run, Size, Workload, expect_eq};

/// The book's vector length, `range(1_000_000)`.
pub const BOOK_LENGTH: i64 = 1_000_000;

/// The book's value (reference value, computed from a faithful transcription).
pub const BOOK_NORM: i64 = 333_332_833_333_500_000;

/// The vector length of a size.
pub fn length(size: Size) -> i64 {
    match size {
        Size::Quick => 100_000,
        Size::Book => BOOK_LENGTH,
    }
}

/// `Σ v²` for `v` in `0..n`, from the closed form `(n − 1)·n·(2n − 1)/6`.
pub fn expected(n: i64) -> i64 {
    let n = i128::from(n);
    i64::try_from((n - 1) * n * (2 * n - 1) / 6).expect("the norm fits an i64")
}

/// `norm_python.py`'s `norm_square_list`: a loop, `norm += v*v`, over a list of pointers to
/// integers, as CPython's list of `int` objects.
#[hiperf::profile]
pub fn norm_square_list(vector: &[Box<i64>]) -> i64 {
    let mut norm = 0;
    for v in vector {
        norm += **v * **v;
    }
    norm
}

/// `norm_array.py`: the same loop over contiguous values (`array('l')`).
pub fn norm_square_loop(vector: &[i64]) -> i64 {
    let mut norm = 0;
    for &v in vector {
        norm += v * v;
    }
    norm
}

/// `norm_python_comprehension.py`: `sum([v*v for v in vector])`, as an iterator.
pub fn norm_square_iterator(vector: &[i64]) -> i64 {
    vector.iter().map(|v| v * v).sum()
}

/// Eight independent accumulators over chunks of eight, which LLVM keeps in vector registers.
pub fn norm_square_chunked(vector: &[i64]) -> i64 {
    const LANES: usize = 8;
    let chunks = vector.chunks_exact(LANES);
    let tail: i64 = chunks.remainder().iter().map(|v| v * v).sum();
    let mut lanes = [0_i64; LANES];
    for chunk in chunks {
        for (lane, v) in lanes.iter_mut().zip(chunk) {
            *lane += v * v;
        }
    }
    lanes.iter().sum::<i64>() + tail
}

/// `norm_numpy.py`: `numpy.sum(vector * vector)`, the product a temporary array.
pub fn norm_square_product_sum(vector: &Array1<i64>) -> i64 {
    (vector * vector).sum()
}

/// `norm_numpy_dot.py`: `numpy.dot(vector, vector)`.
pub fn norm_square_dot(vector: &Array1<i64>) -> i64 {
    vector.dot(vector)
}

/// The iterator over the rayon pool.
pub fn norm_square_rayon(vector: &[i64]) -> i64 {
    vector.par_iter().map(|v| v * v).sum()
}

fn check(n: i64, norm: i64) -> Result<Outcome, String> {
    expect_eq("norm squared", norm, expected(n))?;
    if n == BOOK_LENGTH {
        expect_eq("norm squared (the book's value)", norm, BOOK_NORM)?;
    }
    Ok(Outcome {
        parameters: format!("range({n}), i64"),
        result: format!("norm squared {norm}"),
    })
}

/// One untimed call, then the timed one (see the module's docs), checked.
fn warm_then_time<V: ?Sized>(
    run: &mut Run,
    n: i64,
    vector: &V,
    kernel: fn(&V) -> i64,
) -> Result<Outcome, String> {
    std::hint::black_box(kernel(std::hint::black_box(vector)));
    let norm = run.time(|| kernel(vector));
    check(n, norm)
}

fn run_on_list(run: &mut Run, kernel: fn(&[Box<i64>]) -> i64) -> Result<Outcome, String> {
    let n = length(run.size());
    let list: Vec<Box<i64>> = (0..n).map(Box::new).collect();
    warm_then_time(run, n, list.as_slice(), kernel)
}

fn run_on_slice(run: &mut Run, kernel: fn(&[i64]) -> i64) -> Result<Outcome, String> {
    let n = length(run.size());
    let vector: Vec<i64> = (0..n).collect();
    warm_then_time(run, n, vector.as_slice(), kernel)
}

fn run_on_array(run: &mut Run, kernel: fn(&Array1<i64>) -> i64) -> Result<Outcome, String> {
    let n = length(run.size());
    let vector = Array1::from_iter(0..n);
    warm_then_time(run, n, &vector, kernel)
}

inventory::submit! {
    Workload {
        chapter: 6,
        name: "norm-squared",
        variant: "naive",
        rank: 0,
        description: "norm_python.py: a loop over a list of pointers to integers (Vec<Box<i64>>), `norm += v * v`",
        run: |run| run_on_list(run, norm_square_list),
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 6,
        name: "norm-squared",
        variant: "array",
        rank: 1,
        description: "norm_array.py: the same loop over contiguous values (Vec<i64>, the array('l') analogue)",
        run: |run| run_on_slice(run, norm_square_loop),
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 6,
        name: "norm-squared",
        variant: "iterator",
        rank: 2,
        description: "norm_python_comprehension.py: `iter().map(|v| v * v).sum()` over contiguous values",
        run: |run| run_on_slice(run, norm_square_iterator),
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 6,
        name: "norm-squared",
        variant: "ndarray-product-sum",
        rank: 3,
        description: "norm_numpy.py: `(&v * &v).sum()` on an Array1, the product a temporary",
        run: |run| run_on_array(run, norm_square_product_sum),
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 6,
        name: "norm-squared",
        variant: "ndarray-dot",
        rank: 4,
        description: "norm_numpy_dot.py: `v.dot(&v)` on an Array1",
        run: |run| run_on_array(run, norm_square_dot),
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 6,
        name: "norm-squared",
        variant: "chunked",
        rank: 5,
        description: "eight independent accumulators over chunks of eight, vectorised",
        run: |run| run_on_slice(run, norm_square_chunked),
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 6,
        name: "norm-squared",
        variant: "rayon",
        rank: 6,
        description: "the iterator over the rayon pool",
        run: |run| run_on_slice(run, norm_square_rayon),
        python: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_gives_the_books_value() {
        let vector: Vec<i64> = (0..BOOK_LENGTH).collect();
        let array = Array1::from_iter(0..BOOK_LENGTH);
        assert_eq!(expected(BOOK_LENGTH), BOOK_NORM);
        for kernel in [
            norm_square_loop as fn(&[i64]) -> i64,
            norm_square_iterator,
            norm_square_chunked,
            norm_square_rayon,
        ] {
            assert_eq!(kernel(&vector), BOOK_NORM);
        }
        let list: Vec<Box<i64>> = (0..BOOK_LENGTH).map(Box::new).collect();
        assert_eq!(norm_square_list(&list), BOOK_NORM);
        assert_eq!(norm_square_product_sum(&array), BOOK_NORM);
        assert_eq!(norm_square_dot(&array), BOOK_NORM);
    }

    #[test]
    fn chunked_counts_the_tail_that_is_not_a_whole_chunk() {
        for n in [0, 1, 7, 8, 9, 17, 1001] {
            let vector: Vec<i64> = (0..n).collect();
            assert_eq!(norm_square_chunked(&vector), expected(n), "n = {n}");
        }
    }

    #[test]
    fn every_registered_variant_passes_at_quick_size() {
        for workload in crate::workloads()
            .into_iter()
            .filter(|w| w.chapter == 6 && w.name == "norm-squared")
        {
            let outcome = (workload.run)(&mut Run::new(Size::Quick));
            assert!(outcome.is_ok(), "{}: {outcome:?}", workload.id());
        }
    }
}
