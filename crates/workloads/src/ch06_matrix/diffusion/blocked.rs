//! Temporal blocking: several steps per sweep of the grid, so that the grid crosses the memory
//! hierarchy once per `depth` steps instead of once per step.
//!
//! A sweep makes rows `first .. first + count` of the grid `depth` steps ahead. It streams the
//! grid's rows in order through a pipeline of levels, one per step: level `l` keeps only its
//! last three rows, in a ring, and computes its row `j` as soon as level `l − 1` has row `j + 1`.
//! Level `l` covers `depth − l` rows more than the band on each side (the halo the later levels
//! read), so bands are independent: each thread sweeps its own band into its part of the
//! output, reading the shared grid, and recomputes a few halo rows instead of waiting for its
//! neighbours. Every cell is still the same [`super::cell_a`] of the same inputs, so the grid is
//! bit-exact with order A.

use rayon::prelude::*;

use super::fused::grid_row;
use super::simd::Path;
use super::{Shape, initial_grid};
use crate::Run;

/// Steps per sweep.
// PERF: eight levels of three 640-wide rows are 120 KiB, which stays in a Zen 3 core's
// 512 KiB L2 together with the rows read and written; deeper sweeps gain little more.
pub const DEPTH: usize = 8;

/// Rows `first .. first + out.len() / cols` of the grid `depth` steps after `grid`, written to
/// `out`; `rings` holds `depth − 1` levels of three rows.
pub fn sweep_band(
    path: Path,
    shape: Shape,
    depth: usize,
    grid: &[f64],
    first: usize,
    out: &mut [f64],
    rings: &mut [f64],
) {
    let Shape { rows, cols } = shape;
    let count = out.len() / cols;
    assert!(
        depth >= 1 && rows >= 3 && out.len() == count * cols,
        "a band of whole rows"
    );
    assert!(
        rings.len() >= (depth - 1) * 3 * cols,
        "three rows per intermediate level"
    );
    // Signed row numbers: level `l` covers `first − (depth − l) .. first + count + (depth − l)`.
    let (first, count, depth_signed) = (first as isize, count as isize, depth as isize);
    let start = first - (depth_signed - 1);
    let last = first + count - 1;
    let wrap = |j: isize| j.rem_euclid(rows as isize) as usize;
    let ring_row = |j: isize| j.rem_euclid(3) as usize * cols;
    // Level `l` computes its row `start + s − (l − 1)` at iteration `s`.
    for s in 0..(last - start + depth_signed) {
        for level in 1..=depth_signed {
            let j = start + s - (level - 1);
            let reach = depth_signed - level;
            if j < first - reach || j > last + reach {
                continue;
            }
            // Level `l`'s ring starts at row `3(l − 1)` of `rings`.
            let (below, rest) = rings.split_at_mut((level - 1) as usize * 3 * cols);
            // The rows `j − 1`, `j`, `j + 1` of the level below: the grid itself for level 1.
            let (up, center, down) = if level == 1 {
                (
                    grid_row(grid, wrap(j - 1), cols),
                    grid_row(grid, wrap(j), cols),
                    grid_row(grid, wrap(j + 1), cols),
                )
            } else {
                let ring = &below[(level - 2) as usize * 3 * cols..];
                (
                    &ring[ring_row(j - 1)..][..cols],
                    &ring[ring_row(j)..][..cols],
                    &ring[ring_row(j + 1)..][..cols],
                )
            };
            let target = if level == depth_signed {
                &mut out[(j - first) as usize * cols..][..cols]
            } else {
                &mut rest[ring_row(j)..][..cols]
            };
            path.row(up, center, down, target);
        }
    }
}

/// `depth` steps from `grid` into `out`, the rows split into `rings.len()` bands over the
/// rayon pool (one set of rings per band).
pub fn sweep(
    path: Path,
    shape: Shape,
    depth: usize,
    grid: &[f64],
    out: &mut [f64],
    rings: &mut [Vec<f64>],
) {
    let Shape { rows, cols } = shape;
    let band_rows = rows.div_ceil(rings.len());
    out.par_chunks_mut(band_rows * cols)
        .zip(rings.par_iter_mut())
        .enumerate()
        .for_each(|(band, (out, rings))| {
            sweep_band(path, shape, depth, grid, band * band_rows, out, rings);
        });
}

/// `steps` steps in sweeps of up to [`DEPTH`], over `bands` bands; the steps run inside
/// [`Run::time`].
pub fn evolve(
    run: &mut Run,
    path: Path,
    shape: Shape,
    steps: usize,
    depth: usize,
    bands: usize,
) -> Vec<f64> {
    let mut grid = initial_grid(shape);
    let mut next_grid = vec![0.0; shape.cells()];
    let mut rings = vec![vec![0.0; (depth - 1) * 3 * shape.cols]; bands.clamp(1, shape.rows)];
    run.time(|| {
        let mut done = 0;
        while done < steps {
            let depth = depth.min(steps - done);
            sweep(path, shape, depth, &grid, &mut next_grid, &mut rings);
            std::mem::swap(&mut grid, &mut next_grid);
            done += depth;
        }
    });
    grid
}

/// Sweeps of [`DEPTH`] steps on the widest SIMD path, two bands per rayon thread.
pub fn run_rayon(run: &mut Run, shape: Shape, steps: usize) -> Vec<f64> {
    evolve(
        run,
        Path::detect(),
        shape,
        steps,
        DEPTH,
        2 * rayon::current_num_threads(),
    )
}
