//! Temporal blocking: several steps per sweep of the grid, so that each cell is loaded from
//! memory once per `depth` steps instead of once per step, and the steps in between run on
//! rows that stay in cache (L1 with narrow strips, L2 with whole rows).
//!
//! The grid is cut into tiles: bands of rows (one rayon task each) and, inside a band, strips
//! of columns (or whole rows, with no copy and no column halo, when a strip spans the grid).
//! A tile is made `depth` steps ahead by streaming its rows through a pipeline of
//! levels: level 0 copies the grid's rows (with the wrap-around columns), level `l` computes
//! step `l` of its row `j` as soon as level `l − 1` has row `j + 1`, and keeps only its last
//! three rows, in a ring. Level `l` covers `depth − l` rows and columns more than the tile on
//! each side (the halo the later levels read), so tiles are independent: each recomputes a
//! thin halo instead of waiting for its neighbours. Every cell is still [`super::cell_a`] of
//! the same inputs, so the grid is bit-exact with order A.

use std::ops::Range;

use rayon::prelude::*;

use super::fused::{self, AlignedGrid, grid_row};
use super::simd::Path;
use super::{Shape, initial_grid};
use crate::Run;

/// Steps per sweep.
pub const DEPTH: usize = 8;

/// Columns per strip: whole rows, at any width.
// PERF: measured on the 2-core Zen 3 machine at book size, strips of 160, 320 or 639 columns
// (rings in L1 for the narrow ones) ran 20 to 40% slower than whole rows (rings in L2): the
// row copies, column halos and per-call overheads outweigh the cache gain, because the stencil
// is bound by floating-point adds more than by memory. What blocking gains over the per-step
// SIMD pass is fewer synchronisations (one per sweep), which matters when other processes take
// turns on the cores.
pub const STRIP: usize = usize::MAX;

/// The scratch of one band: `depth` levels of three rows, `strip + 2·depth` wide.
pub fn scratch_len(depth: usize, strip: usize) -> usize {
    depth * 3 * (strip + 2 * depth)
}

/// `row[start ..]` wrapping around, into `out`.
fn copy_wrapped(row: &[f64], start: isize, out: &mut [f64]) {
    let mut column = start.rem_euclid(row.len() as isize) as usize;
    let mut done = 0;
    while done < out.len() {
        let take = (row.len() - column).min(out.len() - done);
        out[done..done + take].copy_from_slice(&row[column..column + take]);
        done += take;
        column = 0;
    }
}

/// Rows `first .. first + out.len() / cols` of the grid `depth` steps after `grid`, written to
/// `out`, strip after strip (`strip` at most `cols`; `cols` for whole rows).
#[allow(clippy::too_many_arguments, reason = "one tile's whole geometry")]
pub fn sweep_band(
    path: Path,
    shape: Shape,
    depth: usize,
    strip: usize,
    grid: &[f64],
    first: usize,
    out: &mut [f64],
    scratch: &mut [f64],
) {
    let Shape { rows, cols } = shape;
    let count = out.len() / cols;
    assert!(
        depth >= 1
            && (1..=cols).contains(&strip)
            && rows >= 3
            && cols >= 3
            && out.len() == count * cols,
        "a band of whole rows"
    );
    assert!(
        scratch.len() >= scratch_len(depth, strip),
        "scratch for every level"
    );
    if strip == cols {
        sweep_rows(path, shape, depth, grid, first, out, scratch);
        return;
    }
    let mut from = 0;
    while from < cols {
        let columns = from..cols.min(from + strip);
        from = columns.end;
        sweep_tile(path, shape, depth, grid, first, columns, out, scratch);
    }
}

/// A band in whole rows: level 1 reads the grid's rows and every level computes whole rows
/// with their wrap-around columns ([`Path::row`]), so that no row is copied and no column
/// halo is computed.
fn sweep_rows(
    path: Path,
    shape: Shape,
    depth: usize,
    grid: &[f64],
    first: usize,
    out: &mut [f64],
    rings: &mut [f64],
) {
    let Shape { rows, cols } = shape;
    let level_len = 3 * cols;
    let ring_row = |j: isize| j.rem_euclid(3) as usize * cols;
    let wrap = |j: isize| j.rem_euclid(rows as isize) as usize;
    let (first, depth) = (first as isize, depth as isize);
    let last = first + (out.len() / cols) as isize - 1;
    // At iteration `s`, level `l` (from 1) makes its row `first − depth + 1 + s − (l − 1)`.
    for s in 0..=(last - first + 2 * (depth - 1)) {
        for level in 1..=depth {
            let j = first - depth + 1 + s - (level - 1);
            let reach = depth - level;
            if j < first - reach || j > last + reach {
                continue;
            }
            let l = level as usize;
            // Level `l`'s ring starts at row `3(l − 1)` of `rings`.
            let (below, this_level) = rings.split_at_mut((l - 1) * level_len);
            let (up, center, down) = if level == 1 {
                (
                    grid_row(grid, wrap(j - 1), cols),
                    grid_row(grid, wrap(j), cols),
                    grid_row(grid, wrap(j + 1), cols),
                )
            } else {
                let previous = &below[(l - 2) * level_len..];
                (
                    &previous[ring_row(j - 1)..][..cols],
                    &previous[ring_row(j)..][..cols],
                    &previous[ring_row(j + 1)..][..cols],
                )
            };
            let target = if level == depth {
                &mut out[(j - first) as usize * cols..][..cols]
            } else {
                &mut this_level[ring_row(j)..][..cols]
            };
            path.row(up, center, down, target);
        }
    }
}

/// One tile: the band's rows, `columns` of them.
#[allow(clippy::too_many_arguments, reason = "one tile's whole geometry")]
fn sweep_tile(
    path: Path,
    shape: Shape,
    depth: usize,
    grid: &[f64],
    first: usize,
    columns: Range<usize>,
    out: &mut [f64],
    scratch: &mut [f64],
) {
    let Shape { rows, cols } = shape;
    let width = columns.len();
    // Ring rows are `span` wide: ring column `k` is grid column `columns.start − depth + k`, and
    // level `l` fills ring columns `l .. span − l`.
    let span = width + 2 * depth;
    let level_len = 3 * span;
    let ring_row = |j: isize| j.rem_euclid(3) as usize * span;
    let wrap = |j: isize| j.rem_euclid(rows as isize) as usize;
    let (first, depth) = (first as isize, depth as isize);
    let last = first + (out.len() / cols) as isize - 1;
    // At iteration `s`, level `l` makes its row `first − depth + s − l`.
    for s in 0..=(last - first + 2 * depth) {
        for level in 0..=depth {
            let j = first - depth + s - level;
            let reach = depth - level;
            if j < first - reach || j > last + reach {
                continue;
            }
            if level == 0 {
                let start = columns.start as isize - depth;
                copy_wrapped(
                    grid_row(grid, wrap(j), cols),
                    start,
                    &mut scratch[ring_row(j)..][..span],
                );
                continue;
            }
            let l = level as usize;
            let (below, this_level) = scratch.split_at_mut(l * level_len);
            let previous = &below[(l - 1) * level_len..];
            // Level `l − 1` holds ring columns `l − 1 .. span − l + 1`: two more than level `l`.
            let inputs = l - 1..span - l + 1;
            let up = &previous[ring_row(j - 1)..][inputs.clone()];
            let center = &previous[ring_row(j)..][inputs.clone()];
            let down = &previous[ring_row(j + 1)..][inputs];
            let target = if level == depth {
                &mut out[(j - first) as usize * cols..][columns.clone()]
            } else {
                &mut this_level[ring_row(j)..][l..span - l]
            };
            path.stencil(up, center, down, target);
        }
    }
}

/// `depth` steps from `grid` into `out`, the rows split into `scratches.len()` bands over the
/// rayon pool.
pub fn sweep(
    path: Path,
    shape: Shape,
    (depth, strip): (usize, usize),
    grid: &[f64],
    out: &mut [f64],
    scratches: &mut [Vec<f64>],
) {
    let Shape { rows, cols } = shape;
    let band_rows = rows.div_ceil(scratches.len());
    out.par_chunks_mut(band_rows * cols)
        .zip(scratches.par_iter_mut())
        .enumerate()
        .for_each(|(band, (out, scratch))| {
            sweep_band(
                path,
                shape,
                depth,
                strip,
                grid,
                band * band_rows,
                out,
                scratch,
            );
        });
}

/// The tiling of a run: steps per sweep, columns per strip, bands of rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tiling {
    /// Steps per sweep (the last sweep does what is left).
    pub depth: usize,
    /// Columns per strip.
    pub strip: usize,
    /// Bands of rows, each a rayon task.
    pub bands: usize,
}

/// `steps` steps in sweeps of `tiling.depth`; the steps run inside [`Run::time`].
pub fn evolve(run: &mut Run, path: Path, shape: Shape, steps: usize, tiling: Tiling) -> Vec<f64> {
    let Tiling {
        depth,
        strip,
        bands,
    } = tiling;
    let strip = strip.min(shape.cols);
    let mut grid = AlignedGrid::from_cells(&initial_grid(shape));
    let mut next_grid = AlignedGrid::from_cells(&vec![0.0; shape.cells()]);
    let mut scratches = vec![vec![0.0; scratch_len(depth, strip)]; bands.clamp(1, shape.rows)];
    run.time(|| {
        let mut done = 0;
        while done < steps {
            let depth = depth.min(steps - done);
            let (from, to) = (grid.cells(), next_grid.cells_mut());
            sweep(path, shape, (depth, strip), from, to, &mut scratches);
            std::mem::swap(&mut grid, &mut next_grid);
            done += depth;
        }
    });
    grid.cells().to_vec()
}

/// Sweeps of [`DEPTH`] steps in whole rows on the widest SIMD path, two bands per rayon thread.
pub fn run_rayon(run: &mut Run, shape: Shape, steps: usize) -> Vec<f64> {
    let tiling = Tiling {
        depth: DEPTH,
        strip: STRIP,
        bands: 2 * rayon::current_num_threads(),
    };
    fused::in_pool(|| evolve(run, Path::detect(), shape, steps, tiling))
}
