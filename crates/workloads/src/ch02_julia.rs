//! Chapter 2, Profiling: the Julia set (`julia1.py`), ported line for line.
//!
//! The grid is built as the book builds it, by repeated float addition, and the kernel keeps
//! the book's `while` loop, so that `#[hiperf::profile]` shows the same hit counts kernprof
//! shows for the Python original (34,219,980 on the loop test at width 1000).

use std::time::Instant;

use num_complex::Complex64;

use crate::{Baseline, Outcome, Run, Size, Workload, expect_eq};

/// The book's region and constant.
pub const X1: f64 = -1.8;
pub const X2: f64 = 1.8;
pub const Y1: f64 = -1.8;
pub const Y2: f64 = 1.8;
pub const C: Complex64 = Complex64 {
    re: -0.62772,
    im: -0.42193,
};

/// The book's reference values: (width, iterations, sum of the output).
pub const REFERENCE: [(usize, i32, i64); 4] = [
    (1000, 300, 33_219_980),
    (100, 300, 334_236),
    (500, 300, 8_306_884),
    (1000, 100, 13_113_340),
];

/// Points of the 1000-wide, 300-iteration grid that reach the iteration limit.
pub const POINTS_AT_300: usize = 100_321;

/// The (width, iterations) of a size.
pub fn parameters(size: Size) -> (usize, i32) {
    match size {
        Size::Quick => (100, 300),
        Size::Book => (1000, 300),
    }
}

/// The expected sum for a width and iteration count, if the book's reference has it.
pub fn expected_sum(width: usize, iterations: i32) -> Option<i64> {
    REFERENCE
        .iter()
        .find(|&&(w, i, _)| w == width && i == iterations)
        .map(|&(_, _, sum)| sum)
}

/// The coordinate lists, by repeated addition as in the book (`x` grows while `< x2`, `y`
/// shrinks while `> y1`), and the `zs`/`cs` lists, row-major.
#[hiperf::memit]
pub fn build_grid(width: usize) -> (Vec<Complex64>, Vec<Complex64>) {
    let x_step = (X2 - X1) / width as f64;
    let y_step = (Y1 - Y2) / width as f64;
    let mut x = Vec::new();
    let mut y = Vec::new();
    let mut ycoord = Y2;
    while ycoord > Y1 {
        y.push(ycoord);
        ycoord += y_step;
    }
    let mut xcoord = X1;
    while xcoord < X2 {
        x.push(xcoord);
        xcoord += x_step;
    }
    let mut zs = Vec::new();
    let mut cs = Vec::new();
    for &ycoord in &y {
        for &xcoord in &x {
            zs.push(Complex64::new(xcoord, ycoord));
            cs.push(C);
        }
    }
    (zs, cs)
}

/// The naive kernel, `calculate_z_serial_purepython`, with the cheap test first
/// (`n < maxiter && |z| < 2`), as the Python baseline `julia_pure.py` runs it.
#[hiperf::profile]
pub fn calculate_z_serial(maxiter: i32, zs: &[Complex64], cs: &[Complex64]) -> Vec<i32> {
    let mut output = vec![0; zs.len()];
    for i in 0..zs.len() {
        let mut n = 0;
        let mut z = zs[i];
        let c = cs[i];
        while n < maxiter && z.norm() < 2.0 {
            z = z * z + c;
            n += 1;
        }
        output[i] = n;
    }
    output
}

/// `julia1.py`'s own order, `|z| < 2` first: the costly test runs even on the last iteration.
#[hiperf::profile]
pub fn calculate_z_norm_first(maxiter: i32, zs: &[Complex64], cs: &[Complex64]) -> Vec<i32> {
    let mut output = vec![0; zs.len()];
    for i in 0..zs.len() {
        let mut n = 0;
        let mut z = zs[i];
        let c = cs[i];
        while z.norm() < 2.0 && n < maxiter {
            z = z * z + c;
            n += 1;
        }
        output[i] = n;
    }
    output
}

/// `julia1_lineprofiler2.py`: the condition split over lines with an explicit `break`, so
/// that the line profiler shows what each half of the test costs.
#[hiperf::profile]
pub fn calculate_z_split(maxiter: i32, zs: &[Complex64], cs: &[Complex64]) -> Vec<i32> {
    let mut output = vec![0; zs.len()];
    for i in 0..zs.len() {
        let mut n = 0;
        let mut z = zs[i];
        let c = cs[i];
        loop {
            let not_yet_escaped = z.norm() < 2.0;
            let iterations_left = n < maxiter;
            if not_yet_escaped && iterations_left {
                z = z * z + c;
                n += 1;
            } else {
                break;
            }
        }
        output[i] = n;
    }
    output
}

/// The `@timefn` decorator's analogue: runs `function`, prints how long it took, returns its value.
pub fn timefn<T>(name: &str, function: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let value = function();
    println!(
        "@timefn: {name} took {:.6} seconds",
        start.elapsed().as_secs_f64()
    );
    value
}

/// Checks an output against the book: its length, its sum and (at book size) the points at 300.
pub fn check(
    width: usize,
    iterations: i32,
    points: usize,
    output: &[i32],
) -> Result<Outcome, String> {
    expect_eq("points", output.len(), points)?;
    let sum: i64 = output.iter().map(|&n| i64::from(n)).sum();
    if let Some(expected) = expected_sum(width, iterations) {
        expect_eq("sum of the output", sum, expected)?;
    }
    let at_limit = output.iter().filter(|&&n| n == iterations).count();
    if width == 1000 && iterations == 300 {
        expect_eq("points at the iteration limit", at_limit, POINTS_AT_300)?;
    }
    Ok(Outcome {
        parameters: format!("width {width}, {iterations} iterations"),
        result: format!("sum {sum}, {points} points, {at_limit} at {iterations}"),
    })
}

type Kernel = fn(i32, &[Complex64], &[Complex64]) -> Vec<i32>;

fn run_kernel(run: &mut Run, kernel: Kernel) -> Result<Outcome, String> {
    let (width, iterations) = parameters(run.size());
    let (zs, cs) = build_grid(width);
    let output = run.time(|| kernel(iterations, &zs, &cs));
    // The accumulation loops can yield one value more than the width; the book's widths do not.
    check(width, iterations, width * width, &output)
}

const PYTHON_PURE: Baseline = Baseline {
    seconds: 3.6439,
    source: "CPython 3.11 `julia_pure.py 1000 300`, median of 5 (PYTHON_BASELINES.md §A)",
};

inventory::submit! {
    Workload {
        chapter: 2,
        name: "julia",
        variant: "naive",
        rank: 0,
        description: "line-for-line port: complex f64, `while n < maxiter && |z| < 2`",
        run: |run| run_kernel(run, calculate_z_serial),
        python: Some(PYTHON_PURE),
    }
}

inventory::submit! {
    Workload {
        chapter: 2,
        name: "julia",
        variant: "norm-first",
        rank: 1,
        description: "julia1.py's order, `|z| < 2` first: the costly test runs once more per point than in the naive port, which tests `n < maxiter` first (julia1_lineprofiler3.py)",
        run: |run| run_kernel(run, calculate_z_norm_first),
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 2,
        name: "julia",
        variant: "split-condition",
        rank: 2,
        description: "julia1_lineprofiler2.py: the test split over two lines and a `break`, both halves run every step so that the line table shows each one's cost (a profiling aid, not an optimization)",
        run: |run| run_kernel(run, calculate_z_split),
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 2,
        name: "julia",
        variant: "timefn",
        rank: 3,
        description: "the naive kernel through the `@timefn` analogue, which prints its time (the same work and one print)",
        run: |run| {
            let (width, iterations) = parameters(run.size());
            let (zs, cs) = build_grid(width);
            let output = run.time(|| timefn("calculate_z_serial", || calculate_z_serial(iterations, &zs, &cs)));
            check(width, iterations, width * width, &output)
        },
        python: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_has_the_books_coordinates() {
        let (zs, cs) = build_grid(1000);
        assert_eq!(zs.len(), 1_000_000);
        assert_eq!(zs[0], Complex64::new(-1.8, 1.8));
        assert_eq!(zs[999].re, 1.7964000000000329);
        assert!(cs.iter().all(|&c| c == C));
    }

    #[test]
    fn every_variant_matches_the_book_at_widths_100_and_500() {
        for width in [100, 500] {
            let (zs, cs) = build_grid(width);
            for kernel in [
                calculate_z_serial as Kernel,
                calculate_z_norm_first,
                calculate_z_split,
            ] {
                let output = kernel(300, &zs, &cs);
                check(width, 300, width * width, &output).unwrap();
            }
        }
    }
}
