//! 6c. Per-row least-squares slopes (`06_matrix/pandas/`): each row of a 100,000 × 14 table is
//! a series over x = 0..13, and its slope is fitted, from the book's per-row `lstsq` to a
//! closed form, a weighted sum, and the weighted sum over the rayon pool.
//!
//! The data: the book's `generate_data.py` draws `poisson(lam=60, size=(14, 100_000)).T / 60`
//! after `np.random.seed(0)`. NumPy's legacy Poisson stream (Mersenne Twister through its PTRS
//! sampler) is not reproduced here, so the values, and the book's row-0 slope
//! −0.005970695970695972, cannot be; the table has the same shape and distribution from a
//! seeded ChaCha8 stream instead. The variants are checked against each other: every slope
//! within 1e-12 of both the closed form and the 2 × 2 least-squares solve.

use ndarray::{Array1, Array2, ArrayView1};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::{Outcome, Run, Size, Workload, expect_eq};

/// Points per row, x = 0..13.
pub const POINTS: usize = 14;

/// The mean of x, 6.5.
pub const X_MEAN: f64 = 6.5;

/// `Σ (x − x̄)²` over x = 0..13.
pub const X_SPREAD: f64 = 227.5;

/// The book's Poisson rate (the values are the counts divided by it).
pub const LAMBDA: f64 = 60.0;

/// The seed of the generated table.
pub const SEED: u64 = 0;

/// The rows of a size.
pub fn rows(size: Size) -> usize {
    match size {
        Size::Quick => 2_000,
        Size::Book => 100_000,
    }
}

/// Draws Poisson(λ) counts by inversion of a precomputed cumulative table.
#[derive(Debug)]
pub struct Poisson {
    cumulative: Vec<f64>,
}

impl Poisson {
    /// The table of `P(X ≤ k)` up to where it stops growing.
    pub fn new(lambda: f64) -> Self {
        let mut probability = (-lambda).exp();
        let mut cumulative = vec![probability];
        let mut k = 0.0;
        loop {
            k += 1.0;
            probability *= lambda / k;
            let next = cumulative[cumulative.len() - 1] + probability;
            if next == cumulative[cumulative.len() - 1] && k > lambda {
                break;
            }
            cumulative.push(next);
        }
        Poisson { cumulative }
    }

    /// One count.
    pub fn sample(&self, rng: &mut impl Rng) -> usize {
        let u: f64 = rng.random();
        self.cumulative
            .partition_point(|&f| f < u)
            .min(self.cumulative.len() - 1)
    }
}

/// The table: `rows × 14`, Poisson(60)/60, drawn as `size=(14, rows)` and transposed, as
/// `generate_data.py` does.
pub fn generate(rows: usize, seed: u64) -> Array2<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let poisson = Poisson::new(LAMBDA);
    let drawn =
        Array2::from_shape_simple_fn((POINTS, rows), || poisson.sample(&mut rng) as f64 / LAMBDA);
    drawn.t().as_standard_layout().into_owned()
}

/// `utility.py`'s `ols_lstsq(row)`: the slope of the least-squares line through (x, row) with
/// the design matrix `[x, 1]` built per call, solved through its 2 × 2 normal equations.
#[hiperf::profile]
pub fn ols_lstsq(row: ArrayView1<f64>) -> f64 {
    let x: Vec<f64> = (0..row.len()).map(|x| x as f64).collect();
    let design: Vec<[f64; 2]> = x.iter().map(|&x| [x, 1.0]).collect();
    let (mut xx, mut x1, mut n, mut xy, mut y1) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (&[x, one], &y) in design.iter().zip(row) {
        xx += x * x;
        x1 += x * one;
        n += one * one;
        xy += x * y;
        y1 += one * y;
    }
    let determinant = xx * n - x1 * x1;
    (xy * n - x1 * y1) / determinant
}

/// The book's `df.apply(ols_lstsq, axis=1)`: the per-row solve, row after row.
pub fn slopes_lstsq(data: &Array2<f64>) -> Vec<f64> {
    data.rows().into_iter().map(ols_lstsq).collect()
}

/// The 2 × 2 normal-equations solve of one row without the design matrix: the check's
/// reference, kept apart from the profiled [`ols_lstsq`] so that a profile counts only the
/// workload's own calls.
pub fn slope_normal_equations(row: &[f64]) -> f64 {
    let n = row.len() as f64;
    let (mut xx, mut x1, mut xy, mut y1) = (0.0, 0.0, 0.0, 0.0);
    for (x, &y) in row.iter().enumerate() {
        let x = x as f64;
        xx += x * x;
        x1 += x;
        xy += x * y;
        y1 += y;
    }
    (xy * n - x1 * y1) / (xx * n - x1 * x1)
}

/// The closed form of one row: `Σ (x − x̄)(y − ȳ) / 227.5`.
#[inline]
pub fn slope_closed_form(row: &[f64]) -> f64 {
    let y_mean = row.iter().sum::<f64>() / row.len() as f64;
    let covariance: f64 = row
        .iter()
        .enumerate()
        .map(|(x, &y)| (x as f64 - X_MEAN) * (y - y_mean))
        .sum();
    covariance / X_SPREAD
}

/// The closed form, row after row.
pub fn slopes_closed_form(data: &Array2<f64>) -> Vec<f64> {
    rows_of(data).map(slope_closed_form).collect()
}

/// The weighted form of [`slopes_dot`] with the rows split over the rayon pool (the book's
/// Dask analogue): each task takes a block of rows and writes its slopes in place.
pub fn slopes_rayon(data: &Array2<f64>) -> Vec<f64> {
    let weights: [f64; POINTS] = std::array::from_fn(|x| (x as f64 - X_MEAN) / X_SPREAD);
    let flat = data.as_slice().expect("the table is row-major");
    assert_eq!(data.ncols(), POINTS, "rows of {POINTS} points");
    let mut slopes = vec![0.0; data.nrows()];
    slopes
        .par_chunks_mut(BLOCK)
        .zip(flat.par_chunks(BLOCK * POINTS))
        .for_each(|(slopes, rows)| {
            for (slope, row) in slopes.iter_mut().zip(rows.chunks_exact(POINTS)) {
                *slope = row.iter().zip(&weights).map(|(y, w)| y * w).sum();
            }
        });
    slopes
}

/// Rows per rayon task in [`slopes_rayon`].
///
/// PERF: the pass reads the 11.2 MB table once, bound by memory more than by the core. As the
/// closed form (two sums a row) collected from `par_chunks_exact(14).with_min_len(256)` it
/// took 2.6 to 3.6 ms, slower than `ndarray-dot` on one core; as blocks of 4096 rows written
/// in place, 1.7 to 1.9 ms, against 2.0 to 2.1 for `ndarray-dot` (medians of 15,
/// `hiperf-runner run --only ch06/ols-slopes --runs 15`, 2026-11-26 04:08 UTC).
const BLOCK: usize = 4096;

/// The closed form as one matrix–vector product: since `Σ (x − x̄) = 0`, the slope is
/// `Σ y·(x − x̄)/227.5`, the row times a fixed weight vector.
pub fn slopes_dot(data: &Array2<f64>) -> Vec<f64> {
    let weights = Array1::from_iter((0..data.ncols()).map(|x| (x as f64 - X_MEAN) / X_SPREAD));
    data.dot(&weights).to_vec()
}

fn rows_of(data: &Array2<f64>) -> std::slice::ChunksExact<'_, f64> {
    data.as_slice()
        .expect("the table is row-major")
        .chunks_exact(data.ncols())
}

fn largest_difference(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// Checks slopes against both references, computed here: the closed form and the 2 × 2 solve.
pub fn check(data: &Array2<f64>, slopes: &[f64]) -> Result<Outcome, String> {
    expect_eq("slopes", slopes.len(), data.nrows())?;
    for (name, reference) in [
        ("the closed form", slopes_closed_form(data)),
        (
            "the 2 x 2 solve",
            rows_of(data).map(slope_normal_equations).collect(),
        ),
    ] {
        let difference = largest_difference(slopes, &reference);
        if difference.is_nan() || difference >= 1e-12 {
            return Err(format!(
                "slopes differ from {name} by {difference:e}, expected under 1e-12"
            ));
        }
    }
    let (min, max) = slopes
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &s| {
            (lo.min(s), hi.max(s))
        });
    let mean = slopes.iter().sum::<f64>() / slopes.len() as f64;
    Ok(Outcome {
        parameters: format!(
            "{} rows x {POINTS}, Poisson({LAMBDA})/{LAMBDA}, ChaCha8 seed {SEED}",
            data.nrows()
        ),
        result: format!(
            "{} slopes within 1e-12 of both fits; min {min:.6}, max {max:.6}, mean {mean:.2e}",
            slopes.len()
        ),
    })
}

fn run_kernel(run: &mut Run, kernel: fn(&Array2<f64>) -> Vec<f64>) -> Result<Outcome, String> {
    let data = generate(rows(run.size()), SEED);
    let slopes = run.time(|| kernel(&data));
    check(&data, &slopes)
}

inventory::submit! {
    Workload {
        chapter: 6,
        name: "ols-slopes",
        variant: "naive",
        rank: 0,
        description: "time_iteration_methods.py's apply(ols_lstsq): per row, build [x, 1] and solve the 2x2 normal equations",
        run: |run| run_kernel(run, slopes_lstsq),
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 6,
        name: "ols-slopes",
        variant: "closed-form",
        rank: 1,
        description: "the closed form sum((x - xbar)(y - ybar)) / 227.5, row after row, no allocation",
        run: |run| run_kernel(run, slopes_closed_form),
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 6,
        name: "ols-slopes",
        variant: "ndarray-dot",
        rank: 2,
        description: "the closed form as one matrix-vector product, table . (x - xbar) / 227.5",
        run: |run| run_kernel(run, slopes_dot),
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 6,
        name: "ols-slopes",
        variant: "rayon",
        rank: 3,
        description: "the weighted sum of ndarray-dot, blocks of 4096 rows over the rayon pool (the Dask analogue)",
        run: |run| run_kernel(run, slopes_rayon),
        python: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x_spread_is_the_books_227_5() {
        let spread: f64 = (0..POINTS).map(|x| (x as f64 - X_MEAN).powi(2)).sum();
        assert_eq!(spread, X_SPREAD);
    }

    #[test]
    fn both_fits_recover_the_slope_of_an_exact_line() {
        let row: Vec<f64> = (0..POINTS).map(|x| 0.75 - 0.125 * x as f64).collect();
        assert_eq!(slope_closed_form(&row), -0.125);
        assert!((ols_lstsq(ArrayView1::from(&row)) + 0.125).abs() < 1e-15);
    }

    #[test]
    fn generated_counts_have_the_poisson_mean_and_variance() {
        let data = generate(20_000, SEED);
        let counts: Vec<f64> = data.iter().map(|v| v * LAMBDA).collect();
        assert!(counts.iter().all(|c| (c - c.round()).abs() < 1e-9));
        let mean = counts.iter().sum::<f64>() / counts.len() as f64;
        let variance = counts.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / counts.len() as f64;
        assert!((mean - LAMBDA).abs() < 0.1, "mean {mean}");
        assert!((variance - LAMBDA).abs() < 1.5, "variance {variance}");
    }

    #[test]
    fn generation_is_deterministic_for_a_seed() {
        assert_eq!(generate(100, SEED), generate(100, SEED));
        assert_ne!(generate(100, SEED), generate(100, SEED + 1));
    }

    #[test]
    fn every_variant_agrees_within_1e_12() {
        let data = generate(5_000, SEED);
        let reference = slopes_closed_form(&data);
        for kernel in [
            slopes_lstsq as fn(&Array2<f64>) -> Vec<f64>,
            slopes_dot,
            slopes_rayon,
        ] {
            assert!(largest_difference(&kernel(&data), &reference) < 1e-12);
        }
    }

    #[test]
    fn a_wrong_slope_fails_the_check() {
        let data = generate(100, SEED);
        let mut slopes = slopes_closed_form(&data);
        slopes[42] += 1e-9;
        assert!(check(&data, &slopes).is_err());
    }

    #[test]
    fn every_registered_variant_passes_at_quick_size() {
        for workload in crate::workloads()
            .into_iter()
            .filter(|w| w.chapter == 6 && w.name == "ols-slopes")
        {
            let outcome = (workload.run)(&mut Run::new(Size::Quick));
            assert!(outcome.is_ok(), "{}: {outcome:?}", workload.id());
        }
    }
}
