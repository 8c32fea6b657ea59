//! Diffusion through FFIs (chapter 7): the book's fixed-boundary `diffusion.c` on a 512² grid,
//! compiled by `build.rs` with the `cc` crate at `-O3` and called through `extern "C"`, beside
//! the same kernel in Rust. The book calls it from Python with ctypes, cffi, f2py and a CPython
//! module; the C side and the numbers are the same here.
//!
//! Both kernels evaluate `in + D·dt·lap`, `lap = in[i+1][j] + in[i-1][j] + in[i][j+1] +
//! in[i][j-1] - 4·in[i][j]`, left to right and without FMA, so they agree bit for bit.

use crate::{Outcome, Run, Size, Workload, expect_eq};

/// The side of the grid (fixed in `diffusion.c`).
pub const N: usize = 512;

/// The rows and columns of the initial square of 0.005: `[int(0.4 N), int(0.5 N))`.
pub const BLOCK: std::ops::Range<usize> = 204..256;

/// The diffusion coefficient and the time step of the book's ctypes driver.
pub const D: f64 = 1.0;
pub const DT: f64 = 0.1;

/// The book's step count.
pub const STEPS: usize = 500;

/// After [`STEPS`] steps: the row-major sequential sum (reference value computed from a
/// faithful transcription, WORKLOADS.md).
pub const SUM_AFTER_500: f64 = 13.519999999999824;
/// After [`STEPS`] steps: the maximum, the reference's 0.0049061777063251983 written with the
/// fewest digits that name the same f64.
pub const MAX_AFTER_500: f64 = 0.004906177706325198;

/// Steps at [`Size::Quick`].
const QUICK_STEPS: usize = 50;

mod c {
    // SAFETY: the signature is the one in `csrc/diffusion.c`, built and linked by `build.rs`.
    unsafe extern "C" {
        /// Reads `in[0 .. 512²]`, writes the interior cells of `out`.
        pub fn evolve(input: *const f64, output: *mut f64, d: f64, dt: f64);
    }
}

/// One step of the C kernel: the interior of `output` from `input`; the boundary of `output`
/// is left as it is.
///
/// # Panics
///
/// If either grid is not 512².
///
/// ```
/// use hiperf_workloads::ch07_compiling::diffusion::{N, evolve_c};
///
/// let mut input = vec![0.0; N * N];
/// input[N + 1] = 1.0;
/// let mut output = vec![0.0; N * N];
/// evolve_c(&input, &mut output, 1.0, 0.1);
/// assert_eq!(output[N + 1], 1.0 + 0.1 * -4.0);
/// assert_eq!(output[1], 0.0);
/// ```
pub fn evolve_c(input: &[f64], output: &mut [f64], d: f64, dt: f64) {
    assert_eq!(
        (input.len(), output.len()),
        (N * N, N * N),
        "diffusion.c works on 512x512 grids"
    );
    // SAFETY: both pointers cover 512² f64, which is all `evolve` reads or writes; `&` and
    // `&mut` cannot overlap; the C function keeps no pointer after it returns.
    unsafe { c::evolve(input.as_ptr(), output.as_mut_ptr(), d, dt) }
}

/// One step of the same kernel in Rust.
///
/// # Panics
///
/// If either grid is not 512².
///
/// ```
/// use hiperf_workloads::ch07_compiling::diffusion::{N, evolve_c, evolve_rust};
///
/// let input: Vec<f64> = (0..N * N).map(|index| (index % 7) as f64 / 7.0).collect();
/// let (mut from_c, mut from_rust) = (vec![0.0; N * N], vec![0.0; N * N]);
/// evolve_c(&input, &mut from_c, 1.0, 0.1);
/// evolve_rust(&input, &mut from_rust, 1.0, 0.1);
/// assert!(from_c.iter().zip(&from_rust).all(|(a, b)| a.to_bits() == b.to_bits()));
/// ```
pub fn evolve_rust(input: &[f64], output: &mut [f64], d: f64, dt: f64) {
    assert_eq!(
        (input.len(), output.len()),
        (N * N, N * N),
        "the kernel works on 512x512 grids"
    );
    // `D * dt * lap` is `(D * dt) * lap`: the product is the same for every cell.
    let rate = d * dt;
    for i in 1..N - 1 {
        let above = &input[(i - 1) * N..i * N];
        let row = &input[i * N..(i + 1) * N];
        let below = &input[(i + 1) * N..(i + 2) * N];
        let out = &mut output[i * N..(i + 1) * N];
        for j in 1..N - 1 {
            let laplacian = below[j] + above[j] + row[j + 1] + row[j - 1] - 4.0 * row[j];
            out[j] = row[j] + rate * laplacian;
        }
    }
}

/// The book's initial grid: zero, with 0.005 on `BLOCK × BLOCK`.
pub fn initial_grid() -> Vec<f64> {
    let mut grid = vec![0.0; N * N];
    for row in BLOCK {
        grid[row * N + BLOCK.start..row * N + BLOCK.end].fill(0.005);
    }
    grid
}

/// `steps` steps of `evolve` from the initial grid, swapping the two grids as the book does.
pub fn run_steps(
    evolve: fn(&[f64], &mut [f64], f64, f64),
    steps: usize,
    run: Option<&mut Run>,
) -> Vec<f64> {
    let mut grid = initial_grid();
    let mut scratch = vec![0.0; N * N];
    let mut evolve_all = || {
        for _ in 0..steps {
            evolve(&grid, &mut scratch, D, DT);
            std::mem::swap(&mut grid, &mut scratch);
        }
    };
    match run {
        Some(run) => run.time(evolve_all),
        None => evolve_all(),
    }
    grid
}

/// The row-major sequential sum, as the reference computes it.
pub fn sequential_sum(grid: &[f64]) -> f64 {
    grid.iter().fold(0.0, |sum, &value| sum + value)
}

fn boundary_is_zero(grid: &[f64]) -> bool {
    let row_is_zero = |row: usize| {
        grid[row * N..(row + 1) * N]
            .iter()
            .all(|&value| value == 0.0)
    };
    let columns_are_zero = (0..N).all(|row| grid[row * N] == 0.0 && grid[row * N + N - 1] == 0.0);
    row_is_zero(0) && row_is_zero(N - 1) && columns_are_zero
}

fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// Times `STEPS` steps of `evolve` (50 at quick size) and checks the grid: at book size the
/// reference sum and maximum exactly; at quick size bit-equality with the `other` kernel and the
/// conserved mass (the square is still far from the boundary). The boundary stays 0 at both.
fn run_diffusion(
    run: &mut Run,
    evolve: fn(&[f64], &mut [f64], f64, f64),
    other: fn(&[f64], &mut [f64], f64, f64),
) -> Result<Outcome, String> {
    let steps = match run.size() {
        Size::Quick => QUICK_STEPS,
        Size::Book => STEPS,
    };
    let grid = run_steps(evolve, steps, Some(run));
    let sum = sequential_sum(&grid);
    let max = grid.iter().fold(0.0, |max: f64, &value| max.max(value));
    if !boundary_is_zero(&grid) {
        return Err("a boundary cell is not 0".to_string());
    }
    match run.size() {
        Size::Book => {
            expect_eq("sequential sum", sum, SUM_AFTER_500)?;
            expect_eq("maximum", max, MAX_AFTER_500)?;
        }
        Size::Quick => {
            if !same_bits(&grid, &run_steps(other, steps, None)) {
                return Err("the C and Rust kernels differ".to_string());
            }
            let mass = 0.005 * (BLOCK.len() * BLOCK.len()) as f64;
            if (sum - mass).abs() > 1e-12 {
                return Err(format!("sum {sum:?}, expected {mass} (mass is conserved)"));
            }
        }
    }
    Ok(Outcome {
        parameters: format!("{N}x{N}, {steps} steps, D {D}, dt {DT}"),
        result: format!("sum {sum:?}, max {max:?}, g[0,0] {:?}", grid[0]),
    })
}

inventory::submit! {
    Workload {
        chapter: 7,
        name: "diffusion-ffi",
        variant: "c-ffi",
        rank: 0,
        description: "the book's diffusion.c, built by cc at -O3 without FMA contraction, called through extern \"C\"",
        run: |run| run_diffusion(run, evolve_c, evolve_rust),
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 7,
        name: "diffusion-ffi",
        variant: "rust",
        rank: 1,
        description: "the same kernel in Rust: row slices, same expression order, bit-identical to C",
        run: |run| run_diffusion(run, evolve_rust, evolve_c),
        python: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workloads;

    fn diffusion_variants() -> Vec<&'static Workload> {
        workloads()
            .into_iter()
            .filter(|workload| workload.chapter == 7 && workload.name == "diffusion-ffi")
            .collect()
    }

    #[test]
    fn c_and_rust_agree_bit_for_bit_at_quick_size() {
        let from_c = run_steps(evolve_c, QUICK_STEPS, None);
        let from_rust = run_steps(evolve_rust, QUICK_STEPS, None);
        assert!(same_bits(&from_c, &from_rust));
        assert!(boundary_is_zero(&from_c));
        assert_ne!(from_c, initial_grid(), "the grid must have changed");
    }

    #[test]
    fn c_and_rust_agree_bit_for_bit_on_an_arbitrary_grid() {
        // Values of every magnitude, and a non-unit product D·dt, so that any reordering or
        // contraction on either side would show in the last bits.
        let input: Vec<f64> = (0..N * N)
            .map(|index| ((index * 2_654_435_761) % 1_000_003) as f64 / 997.0)
            .collect();
        let mut from_c = vec![-1.0; N * N];
        let mut from_rust = vec![-1.0; N * N];
        evolve_c(&input, &mut from_c, 0.2, 1.5);
        evolve_rust(&input, &mut from_rust, 0.2, 1.5);
        assert!(same_bits(&from_c, &from_rust));
        assert_eq!(from_c[0], -1.0, "the boundary of the output is not written");
    }

    #[test]
    fn every_variant_passes_its_checks_at_quick_size() {
        let variants = diffusion_variants();
        assert_eq!(
            variants
                .iter()
                .map(|workload| workload.variant)
                .collect::<Vec<_>>(),
            ["c-ffi", "rust"]
        );
        for workload in variants {
            (workload.run)(&mut Run::new(Size::Quick))
                .unwrap_or_else(|error| panic!("{}: {error}", workload.id()));
        }
    }

    #[test]
    fn the_maximum_is_the_references_f64() {
        assert_eq!("0.0049061777063251983".parse::<f64>(), Ok(MAX_AFTER_500));
    }

    #[test]
    #[should_panic(expected = "512x512")]
    fn grids_of_another_size_are_rejected_before_reaching_c() {
        evolve_c(&[0.0; 16], &mut [0.0; 16], D, DT);
    }

    #[test]
    #[ignore = "book size: run with --release -- --ignored"]
    fn both_kernels_give_the_reference_values_after_500_steps() {
        let from_c = run_steps(evolve_c, STEPS, None);
        let from_rust = run_steps(evolve_rust, STEPS, None);
        assert!(same_bits(&from_c, &from_rust));
        assert_eq!(sequential_sum(&from_c), SUM_AFTER_500);
        assert_eq!(
            from_c.iter().fold(0.0, |max: f64, &value| max.max(value)),
            MAX_AFTER_500
        );
        assert_eq!(from_c[0], 0.0);
        assert!(boundary_is_zero(&from_c));
        for workload in diffusion_variants() {
            (workload.run)(&mut Run::new(Size::Book))
                .unwrap_or_else(|error| panic!("{}: {error}", workload.id()));
        }
    }
}
