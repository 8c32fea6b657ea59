//! The NumPy programs on `ndarray::Array2`, one array operation per NumPy operation, so that
//! each allocates where NumPy allocates: `diffusion_numpy.py` (`np.roll` ×4 and a new array per
//! operator, order B), `diffusion_numpy_memory.py` (in place into a swapped buffer, but each
//! `np.roll` still allocates, order A) and `diffusion_numpy_memory2.py` (`roll_add`: in-place
//! slice adds, no temporaries, order A).

use std::mem::MaybeUninit;
use std::sync::atomic::{Ordering, compiler_fence};

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
/// C-order array's rows are contiguous, so each part here is one copy (axis 0) or two per row
/// (axis 1). `roll-inplace` at book size went from 2.83 s to 1.84 s (medians of 3 in the
/// runner, 2026-11-26, the same noisy minutes). The copies then went from `extend_from_slice`
/// (glibc's `memmove`) to `copy_clear_of_aliasing`, whose direction follows the page offsets
/// of the result and the source (see [`run_roll_in_place`]): `taskset -c 1 hiperf-runner run
/// --only ch06/diffusion-numpy --runs 6`, three sequences alternating with the old binary
/// (2026-11-26 04:58 to 05:05 UTC), gave `roll` 2.1 to 4.8 s a run (medians 3.0 to 3.2 s)
/// against 3.3 to 5.6 s (medians 3.9 to 5.0 s).
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
    let cells = &mut out.spare_capacity_mut()[..rows * cols];
    if axis == Axis(0) {
        let (to_tail, to_head) = cells.split_at_mut(k * cols);
        copy_clear_of_aliasing(to_tail, &source[(n - k) * cols..]);
        copy_clear_of_aliasing(to_head, &source[..(n - k) * cols]);
    } else {
        for (to_row, row) in cells.chunks_exact_mut(cols).zip(source.chunks_exact(cols)) {
            let (to_tail, to_head) = to_row.split_at_mut(k);
            copy_clear_of_aliasing(to_tail, &row[n - k..]);
            copy_clear_of_aliasing(to_head, &row[..n - k]);
        }
    }
    // SAFETY: the two copies above wrote every one of the first `rows · cols` cells (the parts
    // partition them: `k·cols` and `(n − k)·cols` cells on axis 0, `k` and `n − k` a row on
    // axis 1), and the capacity is `rows · cols`.
    unsafe { out.set_len(rows * cols) };
    Array2::from_shape_vec((rows, cols), out).expect("as many cells as the input")
}

/// Cells copied between two compiler fences by [`copy_clear_of_aliasing`].
const BLOCK: usize = 8;

/// Copies `source` into `destination` (of the same length) forwards, or from the end backwards
/// when the destination starts a little after the source within a 4 KiB page.
///
/// PERF: a core matches a load to the pending stores by the address's low 12 bits before the
/// full address, so a load that follows a store at the same page offset waits for it (4K
/// aliasing). In a forward copy whose destination starts `d` bytes after its source modulo
/// 4 KiB, each store has the page offset of the source cell `d` bytes ahead, which the copy
/// loads soon after when `d` is small. So for `0 < d < 2048` the copy runs from the end
/// backwards, element by element, and each store has the offset of a source cell already
/// loaded; otherwise it runs forwards, and the aliased cell is at least 2 KiB ahead. The
/// compiler fence between blocks keeps LLVM from turning the loops back into a `memcpy` call,
/// which would choose its own direction: `objdump -d` (2026-11-26 04:54 UTC) shows four 16-byte
/// loads, then four stores, per block, and calls `memcpy` only for the remainders of under
/// `BLOCK` cells, which glibc copies with every load before the first store.
fn copy_clear_of_aliasing(destination: &mut [MaybeUninit<f64>], source: &[f64]) {
    assert_eq!(
        destination.len(),
        source.len(),
        "copies between equal lengths"
    );
    const PAGE: usize = 4096;
    let distance = (destination.as_ptr() as usize).wrapping_sub(source.as_ptr() as usize) % PAGE;
    if distance != 0 && distance < PAGE / 2 {
        let split = source.len() % BLOCK;
        let (to_rest, to_blocks) = destination.split_at_mut(split);
        let (rest, blocks) = source.split_at(split);
        for (to_block, block) in to_blocks
            .rchunks_exact_mut(BLOCK)
            .zip(blocks.rchunks_exact(BLOCK))
        {
            for (to, &value) in to_block.iter_mut().zip(block).rev() {
                to.write(value);
            }
            compiler_fence(Ordering::SeqCst);
        }
        for (to, &value) in to_rest.iter_mut().zip(rest).rev() {
            to.write(value);
        }
    } else {
        let mut to_blocks = destination.chunks_exact_mut(BLOCK);
        let mut blocks = source.chunks_exact(BLOCK);
        for (to_block, block) in to_blocks.by_ref().zip(blocks.by_ref()) {
            for (to, &value) in to_block.iter_mut().zip(block) {
                to.write(value);
            }
            compiler_fence(Ordering::SeqCst);
        }
        for (to, &value) in to_blocks
            .into_remainder()
            .iter_mut()
            .zip(blocks.remainder())
        {
            to.write(value);
        }
    }
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
/// PERF: its time depended on where `malloc` put the three arrays. At book size an array is
/// exactly 800 pages. In the runner's first run the grids and the rolls' results come from
/// fresh mappings and start at the same offset in a page; later runs reuse heap blocks whose
/// page offsets differ, e.g. a roll's result 16 bytes after its source modulo 4 KiB. That is
/// the pattern of 4K aliasing (a load from one array that follows a store to another at the
/// same page offset waits for the store, as the core matches loads to pending stores by their
/// low 12 bits first), the likely cause; no hardware counter here can confirm it. With
/// `roll`'s copies as glibc's `memmove` (45% of the samples), `taskset -c 1 hiperf-runner run
/// --only ch06/diffusion-numpy/roll-inplace --runs 6` (2026-11-26 05:02 UTC) took 1.06 to
/// 1.14 s for the first run, then 2.0 to 2.8 s; padding every array by 2 KiB or 4 KiB had moved
/// the blocks but not their offsets (1.7 to 2.8 s a run). With `copy_clear_of_aliasing`,
/// which copies backwards when the result starts a little after the source in its page, the
/// same command in the same minutes, alternating with the old binary, gave 0.82 to 1.39 s for
/// every run (three sequences of 6); under `perf record -e cpu-clock`, 31% of the samples are
/// in `roll`'s own loops and none in `memmove`.
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

#[cfg(test)]
mod tests {
    use std::mem::MaybeUninit;

    use super::{BLOCK, copy_clear_of_aliasing};

    /// The copy equals a plain copy and leaves the cells around the destination alone, for
    /// lengths around the block size and destinations at page offsets from the source that take
    /// either direction (`0 < d < 2048` backwards, the rest forwards).
    #[test]
    fn copy_clear_of_aliasing_equals_a_plain_copy_in_both_directions() {
        const PAGE: usize = 4096;
        const OUTSIDE: f64 = -7.25;
        let lengths = [
            0,
            1,
            BLOCK - 1,
            BLOCK,
            BLOCK + 1,
            2 * BLOCK - 1,
            2 * BLOCK + 3,
            639,
            640,
            1030,
        ];
        let distances: [usize; 10] = [0, 8, 16, 24, 64, 2040, 2048, 2056, 4080, 4088];
        let longest = 1030;
        let source_cells: Vec<f64> = (0..longest + PAGE)
            .map(|i| f64::from_bits(0x3ff0_0000_0000_0000 + i as u64 * 0x1_0000_0001))
            .collect();
        for &length in &lengths {
            for source_start in [0, 3, 511] {
                let source = &source_cells[source_start..source_start + length];
                for &distance in &distances {
                    let mut cells = vec![MaybeUninit::new(OUTSIDE); longest + 2 * PAGE];
                    let base = (cells.as_ptr() as usize).wrapping_sub(source.as_ptr() as usize);
                    // A page of cells before the destination keeps some outside it on both sides.
                    let start = PAGE / 8 + (distance.wrapping_sub(base) % PAGE) / 8;
                    let destination = &mut cells[start..start + length];
                    assert_eq!(
                        (destination.as_ptr() as usize).wrapping_sub(source.as_ptr() as usize)
                            % PAGE,
                        distance
                    );
                    copy_clear_of_aliasing(destination, source);
                    // SAFETY: every cell was initialised by `vec!`, and the copy only writes.
                    let after: Vec<u64> = cells
                        .iter()
                        .map(|cell| unsafe { cell.assume_init() }.to_bits())
                        .collect();
                    let mut expected = vec![OUTSIDE.to_bits(); cells.len()];
                    for (to, value) in expected[start..].iter_mut().zip(source) {
                        *to = value.to_bits();
                    }
                    assert_eq!(
                        after, expected,
                        "length {length}, source at {source_start}, distance {distance}"
                    );
                }
            }
        }
    }
}
