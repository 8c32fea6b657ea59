//! 6a. Periodic 2-D diffusion (`06_matrix/diffusion_2d/`): the explicit Euler step of the heat
//! equation, `new = g + D·dt·(up + down + left + right − 4g)`, with wrap-around boundaries,
//! D = 1 and dt = 0.1, from a grid that is zero except the square `[int(0.4N):int(0.5N)]²`
//! = 0.005.
//!
//! Two ladders, as the book has two families of programs:
//! - `ch06/diffusion`, from the pure-Python program: [`python`] (lists of lists, `%`
//!   wrap-around, a new grid per step, then two buffers swapped), [`fused`] (one pass per step,
//!   the wrap-around rows and columns apart, serial and over rows with rayon), [`simd`] (the
//!   fused interior with AVX-512F, AVX2 or portable lanes), [`blocked`] (several steps per
//!   sweep of the grid) and [`interleaved`] (the SIMD pass on a grid whose rows are cut into
//!   one segment per lane, so that every neighbour is a whole, aligned vector);
//! - `ch06/diffusion-numpy`, the NumPy programs on `ndarray` ([`numpy`]): `np.roll` that
//!   allocates, then in place, then `roll_add`. In Rust these whole-array passes are slower than
//!   the naive loop of the first ladder (they read and write the grid a dozen times a step);
//!   their own ladder shows what the book's NumPy progression gains, allocation by allocation.
//!
//! Each variant mirrors one evaluation order, bit for bit; [`check`] holds the reference and
//! the book's values.

pub mod blocked;
pub mod check;
pub mod fused;
pub mod interleaved;
pub mod numpy;
pub mod python;
pub mod simd;

use std::ops::Range;

pub use check::{
    BOOK_MASS, BookValues, book_values, check, fsum, max_difference, reference, sequential_sum,
    sum_of_row_sums,
};

use crate::{Baseline, Outcome, Run, Size, Workload};

/// The book's time step.
pub const DT: f64 = 0.1;

/// The book's diffusion coefficient.
pub const D: f64 = 1.0;

/// The value of the initial square.
pub const INITIAL: f64 = 0.005;

/// The dimensions of a grid (row-major).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Rows (the first index, `i`).
    pub rows: usize,
    /// Columns (the second index, `j`).
    pub cols: usize,
}

impl Shape {
    /// A `rows × cols` shape.
    pub const fn new(rows: usize, cols: usize) -> Self {
        Shape { rows, cols }
    }

    /// Cells in the grid.
    pub const fn cells(self) -> usize {
        self.rows * self.cols
    }
}

/// The book's run: 640 × 640, 500 steps.
pub const BOOK: (Shape, usize) = (Shape::new(640, 640), 500);

/// The quick run: 64 × 64, 100 steps. After 100 steps the values have crossed the wrap-around
/// edges (the block is 25 cells from the nearest edge), so every code path sees non-zero data.
pub const QUICK: (Shape, usize) = (Shape::new(64, 64), 100);

/// The (shape, steps) of a size.
pub fn parameters(size: Size) -> (Shape, usize) {
    match size {
        Size::Quick => QUICK,
        Size::Book => BOOK,
    }
}

/// The book's block along an axis of `n` cells: `int(n * 0.4) .. int(n * 0.5)`.
pub fn block(n: usize) -> Range<usize> {
    (n as f64 * 0.4) as usize..(n as f64 * 0.5) as usize
}

/// The total the initial grid holds, `0.005 × block cells`, which every step conserves.
pub fn mass(shape: Shape) -> f64 {
    INITIAL * (block(shape.rows).len() * block(shape.cols).len()) as f64
}

/// The initial grid, flat and row-major.
pub fn initial_grid(shape: Shape) -> Vec<f64> {
    let mut grid = vec![0.0; shape.cells()];
    for i in block(shape.rows) {
        grid[i * shape.cols..(i + 1) * shape.cols][block(shape.cols)].fill(INITIAL);
    }
    grid
}

/// The floating-point evaluation order of one cell update, after the program it comes from.
/// The orders differ by at most a few units in the last place, and each is bit-exact with its
/// programs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// NumPy in place (`diffusion_numpy_memory*.py`): `lap = -4c; lap += up; lap += down;
    /// lap += left; lap += right; new = lap·(D·dt) + c`.
    A,
    /// NumPy with `np.roll` (`diffusion_numpy*.py`): `lap = (((up + down) + left) + right) −
    /// 4c; new = c + (dt·D)·lap`.
    B,
    /// Pure Python (`diffusion_python*.py`): `xx = (down + up) − 2c; yy = (right + left) − 2c;
    /// new = c + (D·(xx + yy))·dt`.
    C,
}

impl Order {
    /// Every order.
    pub const ALL: [Order; 3] = [Order::A, Order::B, Order::C];

    /// The cell update in this order.
    #[inline(always)]
    pub fn cell(self, center: f64, up: f64, down: f64, left: f64, right: f64) -> f64 {
        match self {
            Order::A => cell_a(center, up, down, left, right),
            Order::B => cell_b(center, up, down, left, right),
            Order::C => cell_c(center, up, down, left, right),
        }
    }
}

/// Order A (see [`Order::A`]).
#[inline(always)]
pub fn cell_a(center: f64, up: f64, down: f64, left: f64, right: f64) -> f64 {
    let mut laplacian = center * -4.0;
    laplacian += up;
    laplacian += down;
    laplacian += left;
    laplacian += right;
    laplacian * (D * DT) + center
}

/// Order B (see [`Order::B`]).
#[inline(always)]
pub fn cell_b(center: f64, up: f64, down: f64, left: f64, right: f64) -> f64 {
    let laplacian = up + down + left + right - 4.0 * center;
    center + DT * D * laplacian
}

/// Order C (see [`Order::C`]).
#[inline(always)]
pub fn cell_c(center: f64, up: f64, down: f64, left: f64, right: f64) -> f64 {
    let xx = down + up - 2.0 * center;
    let yy = right + left - 2.0 * center;
    center + D * (xx + yy) * DT
}

/// A variant's driver: builds its inputs, runs every step inside [`Run::time`] and returns the
/// final grid, flat.
type Driver = fn(&mut Run, Shape, usize) -> Vec<f64>;

fn run_variant(run: &mut Run, order: Order, driver: Driver) -> Result<Outcome, String> {
    let (shape, steps) = parameters(run.size());
    let grid = driver(run, shape, steps);
    check(order, shape, steps, &grid)
}

/// Runs an interleaved variant, recording the instruction set it takes (the row-major SIMD
/// path's when no interleaved layout fits the rows), and adds it and the layout to a passing
/// outcome.
fn run_interleaved(run: &mut Run, driver: Driver) -> Result<Outcome, String> {
    let (shape, _) = parameters(run.size());
    let isa = interleaved::Isa::for_columns(shape.cols);
    run.set_isa(isa.map_or_else(|| simd::Path::detect().name(), interleaved::Isa::name));
    run_variant(run, Order::A, driver).map(|outcome| Outcome {
        result: match isa {
            Some(isa) => format!(
                "{}, {} path, rows in {} segments",
                outcome.result,
                isa.name(),
                isa.lanes()
            ),
            None => format!("{}, row-major fallback", outcome.result),
        },
        ..outcome
    })
}

/// Runs a variant on the row-major SIMD pass, recording the path it takes, and adds the path
/// to a passing outcome.
fn run_simd(run: &mut Run, driver: Driver) -> Result<Outcome, String> {
    let path = simd::Path::detect();
    run.set_isa(path.name());
    run_variant(run, Order::A, driver).map(|outcome| Outcome {
        result: format!("{}, {} path", outcome.result, path.name()),
        ..outcome
    })
}

const PYTHON_PURE: Baseline = Baseline {
    seconds: 63.9866,
    source: "CPython 3.11 `diffusion_python.py 640 500` (lists, new grid per step), median of 3 (PYTHON_BASELINES.md §A)",
};

const NUMPY_IN_PLACE: Baseline = Baseline {
    seconds: 0.5914,
    source: "NumPy `diffusion_numpy.py 640 500` (numpy + memory: in place, `np.roll` ×4), median of 5 (PYTHON_BASELINES.md §A)",
};

inventory::submit! {
    Workload {
        chapter: 6,
        name: "diffusion",
        variant: "naive",
        rank: 0,
        description: "diffusion_python.py: Vec<Vec<f64>>, `%` wrap-around, a new grid per step (order C)",
        run: |run| run_variant(run, Order::C, python::run_naive),
        python: Some(PYTHON_PURE),
    }
}

inventory::submit! {
    Workload {
        chapter: 6,
        name: "diffusion",
        variant: "memory",
        rank: 1,
        description: "diffusion_python_memory.py: two preallocated Vec<Vec<f64>> grids swapped (order C)",
        run: |run| run_variant(run, Order::C, python::run_memory),
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 6,
        name: "diffusion-numpy",
        variant: "roll",
        rank: 0,
        description: "diffusion_numpy.py on Array2: five new arrays per step (`roll` ×4, `4g`), sums reusing their temporary as NumPy elides (order B); at book size each step's new grid is paged in afresh, as NumPy's is",
        run: |run| run_variant(run, Order::B, numpy::run_roll),
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 6,
        name: "diffusion-numpy",
        variant: "roll-inplace",
        rank: 1,
        description: "diffusion_numpy_memory.py: `out = -4g; out += roll(g)` ×4 into a swapped buffer, the rolls still allocate but reuse the freed block (order A)",
        run: |run| run_variant(run, Order::A, numpy::run_roll_in_place),
        python: Some(NUMPY_IN_PLACE),
    }
}

inventory::submit! {
    Workload {
        chapter: 6,
        name: "diffusion-numpy",
        variant: "roll-add",
        rank: 2,
        description: "diffusion_numpy_memory2.py: `roll_add` as in-place slice adds, no temporaries (order A)",
        run: |run| run_variant(run, Order::A, numpy::run_roll_add),
        python: Some(NUMPY_IN_PLACE),
    }
}

inventory::submit! {
    Workload {
        chapter: 6,
        name: "diffusion",
        variant: "fused",
        rank: 2,
        description: "one pass per step into a swapped buffer, wrap rows and columns apart, auto-vectorised interior (order A)",
        run: |run| run_variant(run, Order::A, fused::run_serial),
        python: Some(NUMPY_IN_PLACE),
    }
}

inventory::submit! {
    Workload {
        chapter: 6,
        name: "diffusion",
        variant: "fused-rayon",
        rank: 3,
        description: "the fused pass with its rows split over the rayon pool (the numexpr analogue, order A)",
        run: |run| run_variant(run, Order::A, fused::run_rayon),
        python: Some(NUMPY_IN_PLACE),
    }
}

inventory::submit! {
    Workload {
        chapter: 6,
        name: "diffusion",
        variant: "simd",
        rank: 4,
        description: "the fused interior in explicit SIMD: AVX-512F, AVX2 or portable lanes, chosen at run time (order A)",
        run: |run| run_simd(run, simd::run_serial),
        python: Some(NUMPY_IN_PLACE),
    }
}

inventory::submit! {
    Workload {
        chapter: 6,
        name: "diffusion",
        variant: "simd-rayon",
        rank: 5,
        description: "the SIMD rows split over the rayon pool (order A)",
        run: |run| run_simd(run, simd::run_rayon),
        python: Some(NUMPY_IN_PLACE),
    }
}

inventory::submit! {
    Workload {
        chapter: 6,
        name: "diffusion",
        variant: "blocked-rayon",
        rank: 6,
        description: "temporal blocking: 8 steps per sweep through rings of rows, SIMD rows, bands over rayon (order A)",
        run: |run| run_simd(run, blocked::run_rayon),
        python: Some(NUMPY_IN_PLACE),
    }
}

inventory::submit! {
    Workload {
        chapter: 6,
        name: "diffusion",
        variant: "interleaved",
        rank: 7,
        description: "the SIMD pass on lane-interleaved rows: every neighbour a whole aligned vector; in place, two rows at a time, two loads per new vector (order A)",
        run: |run| run_interleaved(run, interleaved::run_serial),
        python: Some(NUMPY_IN_PLACE),
    }
}

inventory::submit! {
    Workload {
        chapter: 6,
        name: "diffusion",
        variant: "interleaved-rayon",
        rank: 8,
        description: "the interleaved pass in bands of rows over the rayon pool (order A)",
        run: |run| run_interleaved(run, interleaved::run_rayon),
        python: Some(NUMPY_IN_PLACE),
    }
}

#[cfg(test)]
mod tests {
    use super::check::bits;
    use super::*;

    /// Every driver with the order it mirrors (the SIMD ones on the widest path).
    fn drivers() -> Vec<(&'static str, Order, Driver)> {
        vec![
            ("naive", Order::C, python::run_naive),
            ("memory", Order::C, python::run_memory),
            ("numpy roll", Order::B, numpy::run_roll),
            ("numpy roll-inplace", Order::A, numpy::run_roll_in_place),
            ("numpy roll-add", Order::A, numpy::run_roll_add),
            ("fused", Order::A, fused::run_serial),
            ("fused-rayon", Order::A, fused::run_rayon),
            ("simd", Order::A, simd::run_serial),
            ("simd-rayon", Order::A, simd::run_rayon),
            ("blocked-rayon", Order::A, blocked::run_rayon),
            ("interleaved", Order::A, interleaved::run_serial),
            ("interleaved-rayon", Order::A, interleaved::run_rayon),
        ]
    }

    #[test]
    fn every_registered_variant_passes_at_quick_size() {
        let registered: Vec<_> = crate::workloads()
            .into_iter()
            .filter(|w| w.chapter == 6 && ["diffusion", "diffusion-numpy"].contains(&w.name))
            .collect();
        assert_eq!(registered.len(), drivers().len());
        for workload in registered {
            let outcome = (workload.run)(&mut Run::new(Size::Quick));
            assert!(outcome.is_ok(), "{}: {outcome:?}", workload.id());
        }
    }

    #[test]
    fn the_simd_variants_and_only_they_record_their_instruction_set_path() {
        for workload in crate::workloads()
            .into_iter()
            .filter(|w| w.chapter == 6 && w.name == "diffusion")
        {
            let mut run = Run::new(Size::Quick);
            (workload.run)(&mut run).unwrap_or_else(|error| panic!("{}: {error}", workload.id()));
            let simd = [
                "simd",
                "simd-rayon",
                "blocked-rayon",
                "interleaved",
                "interleaved-rayon",
            ]
            .contains(&workload.variant);
            let expected = if !simd {
                None
            } else if workload.variant.starts_with("interleaved") {
                let (shape, _) = parameters(Size::Quick);
                Some(
                    interleaved::Isa::for_columns(shape.cols)
                        .map_or_else(|| simd::Path::detect().name(), interleaved::Isa::name),
                )
            } else {
                Some(simd::Path::detect().name())
            };
            assert_eq!(run.isa(), expected, "{}", workload.id());
        }
    }

    #[test]
    fn the_initial_grid_holds_the_books_block_and_mass() {
        let (shape, _) = BOOK;
        assert_eq!(block(640), 256..320);
        assert_eq!(block(512), 204..256);
        assert_eq!(block(64), 25..32);
        let grid = initial_grid(shape);
        assert_eq!(fsum(grid.iter().copied()), BOOK_MASS);
        assert_eq!(mass(shape), BOOK_MASS);
        assert_eq!(grid.iter().filter(|&&v| v == INITIAL).count(), 64 * 64);
    }

    #[test]
    fn one_step_leaves_0_004_in_the_blocks_corner_cell() {
        let (shape, _) = BOOK;
        for order in Order::ALL {
            let grid = reference(order, shape, 1);
            assert_eq!(grid[256 * shape.cols + 256], 0.004, "order {order:?}");
            assert_eq!(grid[319 * shape.cols + 319], 0.004, "order {order:?}");
            assert_eq!(
                grid.iter().copied().fold(0.0, f64::max),
                INITIAL,
                "order {order:?}"
            );
        }
    }

    #[test]
    fn each_variant_is_bit_exact_with_its_order_on_uneven_shapes() {
        // Shapes that leave a partial vector and a scalar tail on every SIMD path, and the
        // smallest grid with a distinct interior.
        for (shape, steps) in [
            (Shape::new(37, 53), 40),
            (Shape::new(3, 3), 7),
            (Shape::new(20, 11), 25),
        ] {
            for (name, order, driver) in drivers() {
                let grid = driver(&mut Run::new(Size::Quick), shape, steps);
                assert!(
                    bits(&grid) == bits(&reference(order, shape, steps)),
                    "{name} at {shape:?}"
                );
            }
        }
    }

    #[test]
    fn the_fused_pass_is_bit_exact_in_every_order() {
        let (shape, steps) = (Shape::new(29, 34), 60);
        for order in Order::ALL {
            let cell = move |c, u, d, l, r| order.cell(c, u, d, l, r);
            let serial = fused::evolve(&mut Run::new(Size::Quick), shape, steps, |s, g, o| {
                fused::step(cell, s, g, o)
            });
            let parallel = fused::evolve(&mut Run::new(Size::Quick), shape, steps, |s, g, o| {
                fused::step_rayon(cell, s, g, o)
            });
            let expected = bits(&reference(order, shape, steps));
            assert!(bits(&serial) == expected, "serial, order {order:?}");
            assert!(bits(&parallel) == expected, "rayon, order {order:?}");
        }
    }

    #[test]
    fn temporal_blocking_is_bit_exact_for_any_tiling() {
        for (shape, steps) in [(Shape::new(23, 17), 30), (Shape::new(5, 9), 13)] {
            let expected = bits(&reference(Order::A, shape, steps));
            for depth in [1, 2, 3, 8, 13] {
                for strip in [1, 4, 6, 17, 40] {
                    for bands in [1, 2, 3, 7] {
                        for path in simd::Path::available() {
                            let tiling = blocked::Tiling {
                                depth,
                                strip,
                                bands,
                            };
                            let grid = blocked::evolve(
                                &mut Run::new(Size::Quick),
                                path,
                                shape,
                                steps,
                                tiling,
                            );
                            assert!(
                                bits(&grid) == expected,
                                "{shape:?}, {tiling:?}, {} path",
                                path.name()
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn every_simd_path_here_matches_the_scalar_row_bit_for_bit() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64 * 0.01
        };
        for n in 3..70 {
            let rows: Vec<Vec<f64>> = (0..3).map(|_| (0..n).map(|_| next()).collect()).collect();
            let mut expected = vec![0.0; n];
            fused::row(cell_a, &rows[0], &rows[1], &rows[2], &mut expected);
            for path in simd::Path::available() {
                let mut out = vec![0.0; n];
                path.row(&rows[0], &rows[1], &rows[2], &mut out);
                assert!(
                    bits(&out) == bits(&expected),
                    "{} path, width {n}",
                    path.name()
                );
            }
        }
    }

    /// The book's run for every variant: the values of WORKLOADS.md's table bit for bit, and
    /// all grids within 1e-15 of each other. Slow in debug: `cargo test --release -- --ignored`.
    #[test]
    #[ignore = "book size: run with --release -- --ignored"]
    fn every_variant_gives_the_books_values_at_book_size() {
        let (shape, steps) = BOOK;
        let mut grids = Vec::new();
        for (name, order, driver) in drivers() {
            let grid = driver(&mut Run::new(Size::Book), shape, steps);
            if let Err(message) = check(order, shape, steps, &grid) {
                panic!("{name}: {message}");
            }
            grids.push(grid);
        }
        for a in &grids {
            for b in &grids {
                assert!(max_difference(a, b) < 1e-15);
            }
        }
    }
}
