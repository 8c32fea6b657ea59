//! The NumPy programs on `ndarray::Array2`, one array operation per NumPy operation, so that
//! each allocates where NumPy allocates: `diffusion_numpy.py` (`np.roll` ×4 and a new array per
//! operator, order B), `diffusion_numpy_memory.py` (in place into a swapped buffer, but each
//! `np.roll` still allocates, order A) and `diffusion_numpy_memory2.py` (`roll_add`: in-place
//! slice adds, no temporaries, order A).

use ndarray::{Array2, Axis, Slice};

use super::{D, DT, Shape, initial_grid};
use crate::Run;

/// The initial grid as an array.
pub fn array_of(shape: Shape) -> Array2<f64> {
    Array2::from_shape_vec((shape.rows, shape.cols), initial_grid(shape))
        .expect("the shape matches the cells")
}

/// `np.roll(a, shift, axis)`: a new array with `out[i] = a[i − shift]` (wrapping) along `axis`,
/// made as NumPy makes it: a new array, then the two slices copied into it (NumPy's `roll`
/// assigns `a[..n−k]` and `a[n−k..]` into the result's two parts).
///
/// PERF: `ndarray::concatenate` of the two views goes through a generic element-wise zip; a
/// C-order array's rows are contiguous, so each part here is one `copy_from_slice` (axis 0) or
/// two per row (axis 1). `roll-inplace` at book size went from 2.83 s to 1.84 s (medians of 3
/// in the runner, 2026-11-26, the same noisy minutes).
///
/// ```
/// use hiperf_workloads::ch06_matrix::diffusion::numpy::roll;
/// use ndarray::{Axis, array};
///
/// let a = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
/// assert_eq!(roll(&a, 1, Axis(1)), array![[3.0, 1.0, 2.0], [6.0, 4.0, 5.0]]);
/// assert_eq!(roll(&a, -1, Axis(0)), array![[4.0, 5.0, 6.0], [1.0, 2.0, 3.0]]);
/// ```
pub fn roll(a: &Array2<f64>, shift: isize, axis: Axis) -> Array2<f64> {
    let n = a.len_of(axis);
    let k = shift.rem_euclid(n as isize) as usize;
    let (Some(source), (rows, cols)) = (a.as_slice(), a.dim()) else {
        return roll_views(a, k, axis);
    };
    let mut out = Vec::with_capacity(rows * cols);
    if axis == Axis(0) {
        out.extend_from_slice(&source[(n - k) * cols..]);
        out.extend_from_slice(&source[..(n - k) * cols]);
    } else {
        for row in source.chunks_exact(cols) {
            out.extend_from_slice(&row[n - k..]);
            out.extend_from_slice(&row[..n - k]);
        }
    }
    Array2::from_shape_vec((rows, cols), out).expect("as many cells as the input")
}

/// [`roll`] for arrays that are not contiguous in C order: the two views concatenated.
fn roll_views(a: &Array2<f64>, k: usize, axis: Axis) -> Array2<f64> {
    let n = a.len_of(axis);
    let (tail, head) = (
        a.slice_axis(axis, Slice::from(n - k..)),
        a.slice_axis(axis, Slice::from(..n - k)),
    );
    ndarray::concatenate(axis, &[tail, head]).expect("the slices share the other axis")
}

/// `diffusion_numpy.py`'s `laplacian`: `roll(+1, 0) + roll(−1, 0) + roll(+1, 1) + roll(−1, 1)
/// − 4·grid`. Each roll and `4·grid` is a new array; the sums reuse the temporary on their
/// left, as NumPy (1.13 and later) elides temporaries.
///
/// One statement per operator, so that each right-hand temporary is freed as soon as it is
/// added, as CPython's reference counting frees it. In one expression, Rust would keep all
/// five temporaries alive to the end of the statement: 16 MB at book size, whose release
/// shrinks the heap and makes the next step fault every page back in: `roll` at book size took
/// 7.9 s written as one expression and 4.1 s as one statement per operator (medians of 3 in the
/// runner, 2026-11-26, the same noisy minutes), and now takes 393,404 minor page faults a run,
/// one grid a step, as the book's 403k for NumPy.
pub fn laplacian(grid: &Array2<f64>) -> Array2<f64> {
    let mut sum = roll(grid, 1, Axis(0));
    sum += &roll(grid, -1, Axis(0));
    sum += &roll(grid, 1, Axis(1));
    sum += &roll(grid, -1, Axis(1));
    sum - &(grid * 4.0)
}

/// `diffusion_numpy.py`'s `evolve`: `grid + dt·D·laplacian(grid)`, written into the laplacian's
/// temporary, as NumPy's elision does (the sum commutes, so the bits are the same).
pub fn evolve(grid: &Array2<f64>, dt: f64, d: f64) -> Array2<f64> {
    laplacian(grid) * (dt * d) + grid
}

/// `diffusion_numpy_memory.py`'s `laplacian`: `copyto(out, grid); out *= −4; out += roll(..)`
/// ×4; each roll is still a new array.
pub fn laplacian_in_place(grid: &Array2<f64>, out: &mut Array2<f64>) {
    out.assign(grid);
    *out *= -4.0;
    *out += &roll(grid, 1, Axis(0));
    *out += &roll(grid, -1, Axis(0));
    *out += &roll(grid, 1, Axis(1));
    *out += &roll(grid, -1, Axis(1));
}

/// `diffusion_numpy_memory.py`'s `evolve`: `out *= D·dt; out += grid`.
pub fn evolve_in_place(grid: &Array2<f64>, dt: f64, out: &mut Array2<f64>, d: f64) {
    laplacian_in_place(grid, out);
    *out *= d * dt;
    *out += grid;
}

/// `diffusion_numpy_memory2.py`'s `roll_add`: `out += np.roll(rollee, shift, axis)` for
/// `shift` ±1, as the book writes it: two in-place slice adds, no temporary.
pub fn roll_add(rollee: &Array2<f64>, shift: isize, axis: Axis, out: &mut Array2<f64>) {
    let (body_to, body_from, edge_to, edge_from) = match shift {
        1 => (
            Slice::from(1_isize..),
            Slice::from(..-1_isize),
            Slice::from(0_isize..1),
            Slice::from(-1_isize..),
        ),
        -1 => (
            Slice::from(..-1_isize),
            Slice::from(1_isize..),
            Slice::from(-1_isize..),
            Slice::from(0_isize..1),
        ),
        _ => panic!("roll_add shifts by one cell, not {shift}"),
    };
    let mut body = out.slice_axis_mut(axis, body_to);
    body += &rollee.slice_axis(axis, body_from);
    let mut edge = out.slice_axis_mut(axis, edge_to);
    edge += &rollee.slice_axis(axis, edge_from);
}

/// `diffusion_numpy_memory2.py`'s `laplacian`: `copyto`, `*= −4`, then `roll_add` ×4.
pub fn laplacian_roll_add(grid: &Array2<f64>, out: &mut Array2<f64>) {
    out.assign(grid);
    *out *= -4.0;
    roll_add(grid, 1, Axis(0), out);
    roll_add(grid, -1, Axis(0), out);
    roll_add(grid, 1, Axis(1), out);
    roll_add(grid, -1, Axis(1), out);
}

/// `diffusion_numpy_memory2.py`'s `evolve`: `multiply(out, D·dt, out); add(out, grid, out)`.
pub fn evolve_roll_add(grid: &Array2<f64>, dt: f64, out: &mut Array2<f64>, d: f64) {
    laplacian_roll_add(grid, out);
    *out *= d * dt;
    *out += grid;
}

/// `diffusion_numpy.py`'s `run_experiment`: `grid = evolve(grid, 0.1)` per step.
pub fn run_roll(run: &mut Run, shape: Shape, steps: usize) -> Vec<f64> {
    let mut grid = array_of(shape);
    run.time(|| {
        for _ in 0..steps {
            grid = evolve(&grid, DT, D);
        }
    });
    grid.iter().copied().collect()
}

/// `diffusion_numpy_memory.py`'s `run_experiment`: `evolve(grid, 0.1, next_grid)`, then swap.
///
/// PERF: its time depends on where `malloc` puts the three arrays. At book size an array is
/// exactly 800 pages. In the runner's first run the grids and the rolls' results come from
/// fresh mappings and start at the same offset in a page; later runs reuse heap blocks that
/// start 16 bytes apart modulo 4 KiB. That is the pattern of 4K aliasing (a load from one
/// array that follows a store to another at the same page offset waits for the store, as the
/// core matches loads to pending stores by their low 12 bits first), the likely cause; no
/// hardware counter here can confirm it. Measured with a program printing the arrays' addresses
/// and timing four runs in one process (one core, 2026-11-26 04:15 UTC): 0.95 s for the first
/// run, 2.5 to 2.6 s for the next three; in the runner (`--runs 6`), 0.83 to 1.2 s, then 2.1
/// to 2.5 s. Padding every array by 2 KiB or 4 KiB moved the blocks but not the 16-byte
/// offsets (1.7 to 2.8 s a run), so the port keeps NumPy's plain allocations and the report's
/// median shows the settled heap.
pub fn run_roll_in_place(run: &mut Run, shape: Shape, steps: usize) -> Vec<f64> {
    run_swapped(run, shape, steps, evolve_in_place)
}

/// `diffusion_numpy_memory2.py`'s `run_experiment`, with `roll_add`.
pub fn run_roll_add(run: &mut Run, shape: Shape, steps: usize) -> Vec<f64> {
    run_swapped(run, shape, steps, evolve_roll_add)
}

fn run_swapped(
    run: &mut Run,
    shape: Shape,
    steps: usize,
    evolve: fn(&Array2<f64>, f64, &mut Array2<f64>, f64),
) -> Vec<f64> {
    let mut grid = array_of(shape);
    let mut next_grid = Array2::zeros(grid.raw_dim());
    run.time(|| {
        for _ in 0..steps {
            evolve(&grid, DT, &mut next_grid, D);
            std::mem::swap(&mut grid, &mut next_grid);
        }
    });
    grid.iter().copied().collect()
}
