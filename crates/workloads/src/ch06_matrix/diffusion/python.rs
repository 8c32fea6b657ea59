//! `diffusion_python.py` and `diffusion_python_memory.py`, line for line: lists of lists
//! (`Vec<Vec<f64>>`), `%` on every neighbour index, order C.
//!
//! `evolve` carries `#[hiperf::profile]` and `#[hiperf::memit]`: its line table shows where a
//! step spends its time (the three lines of the cell update), and its memory table shows the
//! fresh grid each call allocates, the point of the book's next version. The per-step function
//! is annotated, not a per-cell helper, so that profiling the book's 500 steps stays affordable.

use super::{D, DT, Shape, initial_grid};
use crate::Run;

/// The grid as the book builds it: a list of rows.
pub fn rows_of(shape: Shape) -> Vec<Vec<f64>> {
    initial_grid(shape)
        .chunks(shape.cols)
        .map(<[f64]>::to_vec)
        .collect()
}

/// One step of `diffusion_python.py`: a new grid, every neighbour through `%`.
#[hiperf::profile]
#[hiperf::memit]
pub fn evolve(grid: &[Vec<f64>], dt: f64, d: f64) -> Vec<Vec<f64>> {
    let (xmax, ymax) = (grid.len(), grid[0].len());
    let mut new_grid = vec![vec![0.0; ymax]; xmax];
    for i in 0..xmax {
        for j in 0..ymax {
            let grid_xx =
                grid[(i + 1) % xmax][j] + grid[(i + xmax - 1) % xmax][j] - 2.0 * grid[i][j];
            let grid_yy =
                grid[i][(j + 1) % ymax] + grid[i][(j + ymax - 1) % ymax] - 2.0 * grid[i][j];
            new_grid[i][j] = grid[i][j] + d * (grid_xx + grid_yy) * dt;
        }
    }
    new_grid
}

/// One step of `diffusion_python_memory.py`: the same update written into `out`.
#[hiperf::profile]
pub fn evolve_into(grid: &[Vec<f64>], dt: f64, out: &mut [Vec<f64>], d: f64) {
    let (xmax, ymax) = (grid.len(), grid[0].len());
    for i in 0..xmax {
        for j in 0..ymax {
            let grid_xx =
                grid[(i + 1) % xmax][j] + grid[(i + xmax - 1) % xmax][j] - 2.0 * grid[i][j];
            let grid_yy =
                grid[i][(j + 1) % ymax] + grid[i][(j + ymax - 1) % ymax] - 2.0 * grid[i][j];
            out[i][j] = grid[i][j] + d * (grid_xx + grid_yy) * dt;
        }
    }
}

/// `run_experiment` of `diffusion_python.py`: `grid = evolve(grid, 0.1)` per step.
pub fn run_naive(run: &mut Run, shape: Shape, steps: usize) -> Vec<f64> {
    let mut grid = rows_of(shape);
    run.time(|| {
        for _ in 0..steps {
            grid = evolve(&grid, DT, D);
        }
    });
    grid.concat()
}

/// `run_experiment` of `diffusion_python_memory.py`: `evolve(grid, 0.1, next_grid)`, then swap.
pub fn run_memory(run: &mut Run, shape: Shape, steps: usize) -> Vec<f64> {
    let mut grid = rows_of(shape);
    let mut next_grid = vec![vec![0.0; shape.cols]; shape.rows];
    run.time(|| {
        for _ in 0..steps {
            evolve_into(&grid, DT, &mut next_grid, D);
            std::mem::swap(&mut grid, &mut next_grid);
        }
    });
    grid.concat()
}
