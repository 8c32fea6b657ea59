//! One fused pass per step, the analogue of numexpr's single expression: every cell is read
//! and written once per step, from the grid into a preallocated buffer, then the two swap.
//!
//! The wrap-around lives in the choice of rows (row `i` reads rows `i − 1` and `i + 1` modulo
//! the height, once per row) and in the two edge columns, which are computed apart; the
//! interior of a row is a [`stencil`]: a loop over equal-length slices with no `%` and no
//! bounds checks, which LLVM vectorises. The pass is generic over the cell update, so that one kernel serves the
//! three evaluation orders; the registered variants use order A.

use rayon::prelude::*;

use super::{Shape, cell_a, initial_grid};
use crate::Run;

/// A cell update: `(center, up, down, left, right) -> new`, such as [`super::cell_a`].
pub trait CellUpdate: Fn(f64, f64, f64, f64, f64) -> f64 + Copy + Send + Sync {}

impl<F: Fn(f64, f64, f64, f64, f64) -> f64 + Copy + Send + Sync> CellUpdate for F {}

/// The rows above and below row `i`, wrapping.
#[inline(always)]
pub fn neighbour_rows(i: usize, rows: usize) -> (usize, usize) {
    (
        if i == 0 { rows - 1 } else { i - 1 },
        if i + 1 == rows { 0 } else { i + 1 },
    )
}

/// Row `i` of `grid` (`cols` wide).
#[inline(always)]
pub fn grid_row(grid: &[f64], i: usize, cols: usize) -> &[f64] {
    &grid[i * cols..(i + 1) * cols]
}

/// The two wrap-around cells of a row, columns 0 and `n − 1`.
#[inline(always)]
pub fn edges(cell: impl CellUpdate, up: &[f64], center: &[f64], down: &[f64], out: &mut [f64]) {
    let n = center.len();
    assert!(
        n >= 3 && up.len() == n && down.len() == n && out.len() == n,
        "rows of one length, at least 3"
    );
    out[0] = cell(center[0], up[0], down[0], center[n - 1], center[1]);
    out[n - 1] = cell(
        center[n - 1],
        up[n - 1],
        down[n - 1],
        center[n - 2],
        center[0],
    );
}

/// The stencil without wrap-around: `out[k]` from column `k + 1` of rows two cells longer than
/// `out` (its left and right neighbours are columns `k` and `k + 2`). A row's interior is
/// `stencil` of the whole rows into `out[1 .. n − 1]`.
#[inline(always)]
pub fn stencil(cell: impl CellUpdate, up: &[f64], center: &[f64], down: &[f64], out: &mut [f64]) {
    let len = out.len();
    assert!(
        up.len() == len + 2 && center.len() == len + 2 && down.len() == len + 2,
        "input rows two cells longer than the output"
    );
    // PERF: slices of one length let LLVM drop the bounds checks and vectorise the loop.
    let (up, down) = (&up[1..][..len], &down[1..][..len]);
    let (left, middle, right) = (&center[..len], &center[1..][..len], &center[2..][..len]);
    for k in 0..len {
        out[k] = cell(middle[k], up[k], down[k], left[k], right[k]);
    }
}

/// One row of the step: the edges, then the interior.
#[inline(always)]
pub fn row(cell: impl CellUpdate, up: &[f64], center: &[f64], down: &[f64], out: &mut [f64]) {
    edges(cell, up, center, down, out);
    let n = out.len();
    stencil(cell, up, center, down, &mut out[1..n - 1]);
}

/// One step, row after row, from `grid` into `out`.
pub fn step(cell: impl CellUpdate, shape: Shape, grid: &[f64], out: &mut [f64]) {
    let Shape { rows, cols } = shape;
    assert!(
        rows >= 3 && grid.len() == shape.cells() && out.len() == shape.cells(),
        "grids of the shape, at least 3 rows"
    );
    for (i, out_row) in out.chunks_exact_mut(cols).enumerate() {
        let (up, down) = neighbour_rows(i, rows);
        row(
            cell,
            grid_row(grid, up, cols),
            grid_row(grid, i, cols),
            grid_row(grid, down, cols),
            out_row,
        );
    }
}

/// One step with the rows split over the rayon pool.
pub fn step_rayon(cell: impl CellUpdate, shape: Shape, grid: &[f64], out: &mut [f64]) {
    let Shape { rows, cols } = shape;
    assert!(
        rows >= 3 && grid.len() == shape.cells() && out.len() == shape.cells(),
        "grids of the shape, at least 3 rows"
    );
    // PERF: bands of at least 16 rows keep rayon's splitting and stealing off the per-row path.
    out.par_chunks_exact_mut(cols)
        .enumerate()
        .with_min_len(16)
        .for_each(|(i, out_row)| {
            let (up, down) = neighbour_rows(i, rows);
            row(
                cell,
                grid_row(grid, up, cols),
                grid_row(grid, i, cols),
                grid_row(grid, down, cols),
                out_row,
            );
        });
}

/// A grid buffer whose first cell starts a 64-byte cache line.
///
/// PERF: with the book's 640-wide rows (5120 bytes) every row then starts a line too, and
/// [`super::simd::Path::stencil`] can align its vector loads of the centre row; a load that
/// straddles two lines costs the load port twice.
#[derive(Clone, Debug)]
pub struct AlignedGrid {
    storage: Vec<f64>,
    offset: usize,
    len: usize,
}

impl AlignedGrid {
    /// A copy of `cells`.
    pub fn from_cells(cells: &[f64]) -> Self {
        let mut storage = vec![0.0; cells.len() + 8];
        let offset = storage.as_ptr().align_offset(64);
        assert!(
            offset < 8,
            "an f64 buffer reaches a 64-byte boundary within 8 cells"
        );
        storage[offset..offset + cells.len()].copy_from_slice(cells);
        AlignedGrid {
            storage,
            offset,
            len: cells.len(),
        }
    }

    /// The cells.
    pub fn cells(&self) -> &[f64] {
        &self.storage[self.offset..self.offset + self.len]
    }

    /// The cells, to write.
    pub fn cells_mut(&mut self) -> &mut [f64] {
        &mut self.storage[self.offset..self.offset + self.len]
    }
}

/// `steps` steps of `stepper` from the initial grid, swapping two buffers; the steps run inside
/// [`Run::time`].
pub fn evolve(
    run: &mut Run,
    shape: Shape,
    steps: usize,
    mut stepper: impl FnMut(Shape, &[f64], &mut [f64]),
) -> Vec<f64> {
    let mut grid = AlignedGrid::from_cells(&initial_grid(shape));
    let mut next_grid = AlignedGrid::from_cells(&vec![0.0; shape.cells()]);
    run.time(|| {
        for _ in 0..steps {
            stepper(shape, grid.cells(), next_grid.cells_mut());
            std::mem::swap(&mut grid, &mut next_grid);
        }
    });
    grid.cells().to_vec()
}

/// Runs `work` on a thread of the rayon pool and waits for it.
///
/// PERF: a parallel loop started from outside the pool hands its work to the pool and sleeps
/// until it is done, so a step loop run from the calling thread pays two thread wake-ups per
/// step; run inside the pool, each step's fork-join stays among the pool's threads.
pub fn in_pool<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    rayon::scope(|_| work())
}

/// The fused pass, serial, order A.
pub fn run_serial(run: &mut Run, shape: Shape, steps: usize) -> Vec<f64> {
    evolve(run, shape, steps, |shape, grid, out| {
        step(cell_a, shape, grid, out)
    })
}

/// The fused pass over the rayon pool, order A.
pub fn run_rayon(run: &mut Run, shape: Shape, steps: usize) -> Vec<f64> {
    in_pool(|| {
        evolve(run, shape, steps, |shape, grid, out| {
            step_rayon(cell_a, shape, grid, out)
        })
    })
}
