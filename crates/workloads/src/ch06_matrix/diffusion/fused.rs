//! One fused pass per step, the analogue of numexpr's single expression: every cell is read
//! and written once per step, from the grid into a preallocated buffer, then the two swap.
//!
//! The wrap-around lives in the choice of rows (row `i` reads rows `i − 1` and `i + 1` modulo
//! the height, once per row) and in the two edge columns, which are computed apart; the
//! interior of a row is a loop over equal-length slices with no `%` and no bounds checks, which
//! LLVM vectorises. The pass is generic over the cell update, so that one kernel serves the
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

/// Columns `from .. n − 1` of a row, the interior's tail: no wrap-around, no `%`.
#[inline(always)]
pub fn interior(
    cell: impl CellUpdate,
    from: usize,
    up: &[f64],
    center: &[f64],
    down: &[f64],
    out: &mut [f64],
) {
    let n = center.len();
    let len = (n - 1).saturating_sub(from);
    // PERF: slices of one length let LLVM drop the bounds checks and vectorise the loop.
    let out = &mut out[from..][..len];
    let (up, down) = (&up[from..][..len], &down[from..][..len]);
    let (left, middle, right) = (
        &center[from - 1..][..len],
        &center[from..][..len],
        &center[from + 1..][..len],
    );
    for j in 0..len {
        out[j] = cell(middle[j], up[j], down[j], left[j], right[j]);
    }
}

/// One row of the step: the edges, then the interior.
#[inline(always)]
pub fn row(cell: impl CellUpdate, up: &[f64], center: &[f64], down: &[f64], out: &mut [f64]) {
    edges(cell, up, center, down, out);
    interior(cell, 1, up, center, down, out);
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

/// `steps` steps of `stepper` from the initial grid, swapping two buffers; the steps run inside
/// [`Run::time`].
pub fn evolve(
    run: &mut Run,
    shape: Shape,
    steps: usize,
    mut stepper: impl FnMut(Shape, &[f64], &mut [f64]),
) -> Vec<f64> {
    let mut grid = initial_grid(shape);
    let mut next_grid = vec![0.0; shape.cells()];
    run.time(|| {
        for _ in 0..steps {
            stepper(shape, &grid, &mut next_grid);
            std::mem::swap(&mut grid, &mut next_grid);
        }
    });
    grid
}

/// The fused pass, serial, order A.
pub fn run_serial(run: &mut Run, shape: Shape, steps: usize) -> Vec<f64> {
    evolve(run, shape, steps, |shape, grid, out| {
        step(cell_a, shape, grid, out)
    })
}

/// The fused pass over the rayon pool, order A.
pub fn run_rayon(run: &mut Run, shape: Shape, steps: usize) -> Vec<f64> {
    evolve(run, shape, steps, |shape, grid, out| {
        step_rayon(cell_a, shape, grid, out)
    })
}
