//! The Julia ladder of chapter 7: from chapter 2's kernel to SIMD lanes on every core.
//!
//! | variant | the book's counterpart |
//! |---|---|
//! | `naive` | untyped Cython: chapter 2's `calculate_z_serial`, complex `hypot` test, indexing |
//! | `expanded-math` | `cythonfn5.pyx` / Numba: `re² + im² < 4`, no bounds checks, one constant `c` |
//! | `rayon-dynamic` | OpenMP `prange(schedule="guided")`: small chunks, work stealing |
//! | `simd` | none: 4 or 8 points per vector, several rows in flight (see [`super::simd`]) |
//! | `simd-rayon` | none: the SIMD bands shared by every core |
//!
//! Each run times the kernel's second call on the grid, warm, as the Numba figures beside
//! them are medians of warm calls.
//!
//! The book's `cs` list holds one constant; the kernels after `naive` take it once.

use num_complex::Complex64;
use rayon::prelude::*;

use super::simd::{InstructionSet, calculate_z_simd, calculate_z_simd_rayon};
use crate::ch02_julia::{self, C};
use crate::{Baseline, Outcome, Run, Workload};

/// Points per rayon task in [`calculate_z_rayon`].
// PERF: 1000 tasks over 1,000,000 points. Per-point cost runs from 1 to 300 steps and whole
// rows are cheap or dear together, so tasks must be small for the last ones to balance; a
// task of 1000 points (33 steps of ~3 ns each per point) costs ~100 µs on average, far above
// rayon's cost of a task, well under a microsecond.
const RAYON_CHUNK: usize = 1000;

/// Steps until `z` leaves the radius-2 circle under `z ← z² + c`, at most `maxiter`: the book's
/// loop with the test expanded to `re² + im² < 4` and `z²` written out in the order
/// `num-complex` computes it, so every update is bit for bit the naive kernel's.
#[inline]
pub fn escape_count(maxiter: i32, z: Complex64, c: Complex64) -> i32 {
    let (mut re, mut im) = (z.re, z.im);
    // PERF: `x - (-c.re)` is `x + c.re` to the last bit, but as a subtraction beside the
    // addition of `c.im` it stops LLVM's SLP vectorizer from packing `re` and `im` into one
    // SSE register, whose shuffles lengthen the loop's dependency chain from 9 cycles to about
    // 14 (the grid took 1.4 times as long). `black_box` keeps `x - (-c.re)` from being folded
    // back into `x + c.re`.
    let minus_c_re = std::hint::black_box(-c.re);
    let mut n = 0;
    while n < maxiter {
        let re2 = re * re;
        let im2 = im * im;
        // Written as "not inside" so that a NaN, which is nowhere, stops the loop too.
        let inside = re2 + im2 < 4.0;
        if !inside {
            break;
        }
        let product = re * im;
        re = (re2 - im2) - minus_c_re;
        im = (product + product) + c.im;
        n += 1;
    }
    n
}

/// The scalar kernel with expanded math (`cythonfn5.pyx`): `re² + im² < 4` instead of `hypot`,
/// and iterators instead of indexing, so there is no bounds check in the loop.
///
/// ```
/// use hiperf_workloads::ch02_julia::{C, build_grid};
/// use hiperf_workloads::ch07_compiling::julia::calculate_z_expanded;
///
/// let (zs, _) = build_grid(100);
/// let output = calculate_z_expanded(300, &zs, C);
/// assert_eq!(output.iter().map(|&n| i64::from(n)).sum::<i64>(), 334_236);
/// ```
pub fn calculate_z_expanded(maxiter: i32, zs: &[Complex64], c: Complex64) -> Vec<i32> {
    let mut output = vec![0; zs.len()];
    for (out, &z) in output.iter_mut().zip(zs) {
        *out = escape_count(maxiter, z, c);
    }
    output
}

/// [`calculate_z_expanded`] over rayon in chunks of 1000 points: idle cores steal
/// the next chunk, as OpenMP's guided schedule hands out shrinking ones.
pub fn calculate_z_rayon(maxiter: i32, zs: &[Complex64], c: Complex64) -> Vec<i32> {
    let mut output = vec![0; zs.len()];
    output
        .par_chunks_mut(RAYON_CHUNK)
        .zip(zs.par_chunks(RAYON_CHUNK))
        .for_each(|(output, zs)| {
            for (out, &z) in output.iter_mut().zip(zs) {
                *out = escape_count(maxiter, z, c);
            }
        });
    output
}

/// Builds the book's grid, calls `kernel` once untimed, times a second call and checks its output
/// with chapter 2's values.
///
/// The Numba figures these variants are compared with are medians of warm calls (each Python
/// process compiles, then calls 5 times; PYTHON_BASELINES.md), so the Rust call is timed warm
/// too: the grid's 16 MB have been read once, the output's pages have been the process's
/// before, and the rayon pool is awake. The warm-up's output is checked as well.
fn run_julia(
    run: &mut Run,
    kernel: impl Fn(i32, &[Complex64], &[Complex64], usize) -> Vec<i32>,
) -> Result<Outcome, String> {
    let (width, iterations) = ch02_julia::parameters(run.size());
    let (zs, cs) = ch02_julia::build_grid(width);
    if zs.len() != width * width {
        return Err(format!("the grid has {} points, not {width}²", zs.len()));
    }
    let warm_up = kernel(iterations, &zs, &cs, width);
    ch02_julia::check(width, iterations, width * width, &warm_up)
        .map_err(|message| format!("the untimed first call: {message}"))?;
    drop(warm_up);
    let output = run.time(|| kernel(iterations, &zs, &cs, width));
    ch02_julia::check(width, iterations, width * width, &output)
}

const NUMBA_SERIAL: Baseline = Baseline {
    seconds: 0.2358,
    source: "Numba 0.68 `@njit`, `julia_numba.py serial 5`, median of warm calls (PYTHON_BASELINES.md §A)",
};

const NUMBA_PRANGE: Baseline = Baseline {
    seconds: 0.1176,
    source: "Numba 0.68 `parallel=True` + `prange`, 2 threads, `julia_numba.py parallel 5` (PYTHON_BASELINES.md §A)",
};

inventory::submit! {
    Workload {
        chapter: 7,
        name: "julia",
        variant: "naive",
        rank: 0,
        description: "chapter 2's kernel: complex f64, `hypot` test, indexing with bounds checks",
        run: |run| run_julia(run, |maxiter, zs, cs, _| ch02_julia::calculate_z_serial(maxiter, zs, cs)),
        python: Some(NUMBA_SERIAL),
    }
}

inventory::submit! {
    Workload {
        chapter: 7,
        name: "julia",
        variant: "expanded-math",
        rank: 1,
        description: "`re² + im² < 4` instead of `hypot`, scalar f64, iterators (no bounds checks)",
        run: |run| run_julia(run, |maxiter, zs, _, _| calculate_z_expanded(maxiter, zs, C)),
        python: Some(NUMBA_SERIAL),
    }
}

inventory::submit! {
    Workload {
        chapter: 7,
        name: "julia",
        variant: "rayon-dynamic",
        rank: 2,
        description: "expanded math on rayon, 1000-point chunks stolen by idle cores (`prange(schedule=\"guided\")`)",
        run: |run| run_julia(run, |maxiter, zs, _, _| calculate_z_rayon(maxiter, zs, C)),
        python: Some(NUMBA_PRANGE),
    }
}

inventory::submit! {
    Workload {
        chapter: 7,
        name: "julia",
        variant: "simd",
        rank: 3,
        description: "explicit SIMD, the fastest path of the CPU picked at run time: tiles of 24 lanes, AVX2+FMA 6 rows × 4 or AVX-512 3 rows × 8, each stepped by one `asm!` loop, points still running at step 64 packed into full tiles; or portable lanes",
        run: |run| {
            let set = InstructionSet::detected();
            run.set_isa(set.name());
            run_julia(run, |maxiter, zs, _, width| calculate_z_simd(set, maxiter, zs, width, C))
        },
        python: Some(NUMBA_SERIAL),
    }
}

inventory::submit! {
    Workload {
        chapter: 7,
        name: "julia",
        variant: "simd-rayon",
        rank: 4,
        description: "the SIMD kernel on every core: the calling thread and one rayon task per other thread take bands of rows until none is left",
        run: |run| {
            let set = InstructionSet::detected();
            run.set_isa(set.name());
            run_julia(run, |maxiter, zs, _, width| calculate_z_simd_rayon(set, maxiter, zs, width, C))
        },
        python: Some(NUMBA_PRANGE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ch02_julia::{build_grid, check};
    use crate::{Size, workloads};

    fn julia_variants() -> Vec<&'static Workload> {
        workloads()
            .into_iter()
            .filter(|workload| workload.chapter == 7 && workload.name == "julia")
            .collect()
    }

    #[test]
    fn the_ladder_has_five_variants_from_the_naive_port_up() {
        let variants: Vec<_> = julia_variants()
            .iter()
            .map(|workload| (workload.rank, workload.variant))
            .collect();
        assert_eq!(
            variants,
            [
                (0, "naive"),
                (1, "expanded-math"),
                (2, "rayon-dynamic"),
                (3, "simd"),
                (4, "simd-rayon")
            ]
        );
    }

    #[test]
    fn every_variant_matches_the_book_at_quick_size() {
        for workload in julia_variants() {
            let outcome = (workload.run)(&mut Run::new(Size::Quick))
                .unwrap_or_else(|error| panic!("{}: {error}", workload.id()));
            assert!(
                outcome.result.starts_with("sum 334236, 10000 points"),
                "{}: {}",
                workload.id(),
                outcome.result
            );
        }
    }

    #[test]
    fn the_simd_variants_record_the_instruction_set_they_ran() {
        for workload in julia_variants() {
            let mut run = Run::new(Size::Quick);
            (workload.run)(&mut run).unwrap_or_else(|error| panic!("{}: {error}", workload.id()));
            let expected = workload
                .variant
                .starts_with("simd")
                .then(|| InstructionSet::detected().name());
            assert_eq!(run.isa(), expected, "{}", workload.id());
        }
    }

    #[test]
    fn every_kernel_matches_the_book_at_width_500() {
        let (zs, cs) = build_grid(500);
        let outputs = [
            ("naive", ch02_julia::calculate_z_serial(300, &zs, &cs)),
            ("expanded-math", calculate_z_expanded(300, &zs, C)),
            ("rayon-dynamic", calculate_z_rayon(300, &zs, C)),
            (
                "simd",
                calculate_z_simd(InstructionSet::detected(), 300, &zs, 500, C),
            ),
            (
                "simd-rayon",
                calculate_z_simd_rayon(InstructionSet::detected(), 300, &zs, 500, C),
            ),
        ];
        for (variant, output) in &outputs {
            check(500, 300, 250_000, output).unwrap_or_else(|error| panic!("{variant}: {error}"));
        }
    }

    #[test]
    fn expanded_math_equals_the_hypot_test_point_for_point() {
        for width in [100, 500] {
            let (zs, cs) = build_grid(width);
            assert_eq!(
                calculate_z_expanded(300, &zs, C),
                ch02_julia::calculate_z_serial(300, &zs, &cs),
                "width {width}"
            );
        }
    }

    #[test]
    fn escape_count_stops_at_the_limit_and_at_the_circle() {
        assert_eq!(escape_count(300, Complex64::new(0.0, 0.0), C), 300);
        assert_eq!(escape_count(300, Complex64::new(2.0, 0.0), C), 0);
        assert_eq!(escape_count(0, Complex64::new(0.0, 0.0), C), 0);
        assert_eq!(escape_count(300, Complex64::new(f64::NAN, 0.0), C), 0);
    }

    #[test]
    #[ignore = "book size: run with --release -- --ignored"]
    fn every_variant_matches_the_book_at_book_size() {
        for workload in julia_variants() {
            let outcome = (workload.run)(&mut Run::new(Size::Book))
                .unwrap_or_else(|error| panic!("{}: {error}", workload.id()));
            assert_eq!(
                outcome.result,
                "sum 33219980, 1000000 points, 100321 at 300",
                "{}",
                workload.id()
            );
        }
    }
}
