//! What the two `asm!` kernels share: a tile of 24 lanes, its record of escapes, the packing
//! of the points still running at step [`WARMUP`], and the loop over a band's tiles. Each
//! kernel ([`super::avx2`], [`super::avx512`]) brings the step loop itself, through [`Kernel`].

use std::arch::x86_64::*;
use std::mem::offset_of;

use num_complex::Complex64;

use super::{BandCounts, PADDING, write_counts};

/// Lanes in a tile: 6 rows of 4 with AVX2, 3 rows of 8 with AVX-512.
pub(super) const LANES: usize = 24;

/// The step at which the points still running are packed into new tiles: most points escape
/// early (880,000 of the book's million within 30 steps), and of the 106,000 still running at
/// step 64, 100,000 never escape. (Packing at step 32 took 1.63 M tile steps instead of 1.54 M,
/// and the grid 4% longer on one core.)
pub(super) const WARMUP: i32 = 64;

/// A tile's state as a kernel leaves it: the `re` of lane `k` at `k`, its `im` at `LANES + k`.
pub(super) type State = [f64; 2 * LANES];

/// Entries in a tile's record of escapes: more than its lanes, and a power of two, so that
/// the index the `asm!` loop writes at can be kept in bounds by a mask (`and len, 31`).
pub(super) const CHANGES: usize = 32;

/// One instruction set's tile: its shape, and the `asm!` loops that step it.
pub(super) trait Kernel {
    /// Rows per band and tile.
    const ROWS: usize;
    /// Points per row of a tile of the grid (`ROWS * COLUMNS == LANES`).
    const COLUMNS: usize;
    /// The lane of a tile of the grid that holds each of its points: point `COLUMNS·r + k`
    /// (row `r`, column `k`) is in lane `GRID_LANES[COLUMNS·r + k]`, bit `GRID_LANES[..]` of
    /// the escape masks. The loads leave the columns in the order their unpacks give.
    const GRID_LANES: [u32; LANES];
    /// The constants of a step, as the loop reads them.
    type Constants;

    /// The constants for `c`.
    ///
    /// # Safety
    ///
    /// The CPU must support the kernel's instruction set.
    unsafe fn constants(c: Complex64) -> Self::Constants;

    /// Runs a tile of the grid, whose row `r` is the `COLUMNS` points at `first + r * width`,
    /// from step 0 to `end`; returns the step it stopped at, and if any lane still runs,
    /// leaves the tile in `state`.
    ///
    /// # Safety
    ///
    /// The CPU must support the kernel's instruction set, and the `COLUMNS` points at
    /// `first + r * width` must be readable for every `r` in `0..ROWS`.
    unsafe fn run_grid(
        first: *const Complex64,
        width: usize,
        state: &mut State,
        escapes: &mut Escapes,
        end: i32,
        constants: &Self::Constants,
    ) -> i32;

    /// Runs a packed tile, the `re` of its 24 lanes at `points` and their `im` at
    /// `points + stride` bytes, from `step` to at most `end`; returns the step it stopped at.
    ///
    /// # Safety
    ///
    /// The CPU must support the kernel's instruction set, and the 24 f64 at `points` and at
    /// `points + stride` bytes must be readable.
    unsafe fn run_packed(
        points: *const f64,
        stride: usize,
        escapes: &mut Escapes,
        step: i32,
        end: i32,
        constants: &Self::Constants,
    ) -> i32;
}

/// The steps at which a tile's lanes escaped, from which their counts follow.
///
/// PERF: the kernels keep no counts in vector registers. A lane's count is the step at which
/// it first fails the test, and lanes only ever leave the running set (see
/// [`super::band_len`]), so a tile changes it at most once per lane: the loop records the
/// steps that change it, and the counts follow once, at the end of the tile.
#[repr(C)]
pub(super) struct Escapes {
    /// The lanes that passed the last test: lane `k` in bit `k` (which point that is, see
    /// [`Kernel::GRID_LANES`] and [`PACKED_LANES`]).
    pub(super) running: u32,
    /// The steps that changed `running`, then scratch: the loop writes every step's lanes at
    /// `len` and moves `len` on only if they changed.
    pub(super) changes: [Change; CHANGES],
    /// The changes recorded.
    pub(super) len: usize,
}

/// A step at which lanes escaped: the first they failed, and the lanes that passed it.
#[derive(Clone, Copy)]
#[repr(C)]
pub(super) struct Change {
    step: i32,
    running: u32,
}

impl Escapes {
    #[inline(always)]
    fn new(lanes: usize) -> Self {
        let mut escapes = Self {
            running: 0,
            changes: [Change {
                step: 0,
                running: 0,
            }; CHANGES],
            len: 0,
        };
        escapes.reset(lanes);
        escapes
    }

    /// Starts a tile whose lanes `0..lanes` run.
    ///
    /// PERF: reused from tile to tile, the record is not cleared: only `..len` is read.
    #[inline(always)]
    fn reset(&mut self, lanes: usize) {
        self.running = ((1_u64 << lanes) - 1) as u32;
        self.len = 0;
    }

    /// The escape count of each point, point `k` in bit `lanes[k]`: the first step it failed,
    /// or `last_step` if it never did.
    #[inline(always)]
    fn counts(&self, last_step: i32, lanes: &[u32; LANES]) -> [i32; LANES] {
        let mut counts = [last_step; LANES];
        for change in &self.changes[..self.len.min(CHANGES)] {
            // PERF: bit operations, not a branch or a select (which LLVM turns into a branch),
            // so that the lanes run as vectors: all ones where the lane escaped, else zeros.
            for (&lane, count) in lanes.iter().zip(&mut counts) {
                let escaped = ((change.running >> lane) & 1).wrapping_sub(1) as i32;
                *count = (*count).min((change.step & escaped) | (i32::MAX & !escaped));
            }
        }
        counts
    }
}

/// The kernel `K` over one band of up to `K::ROWS` rows (see [`super::calculate_z_simd`]).
///
/// Every tile of the grid runs [`WARMUP`] steps. The points still running then (11% of the
/// book's grid) are packed, 24 at a time in the order they come, into new tiles that run on to
/// `maxiter`, each as soon as it is full: a tile of the grid that mixes points inside the set
/// with points that escape keeps all its lanes busy only until the first escape. Packed, the
/// book's grid takes 1.54 M tile steps instead of 1.88 M (AVX2's tiles).
///
/// # Safety
///
/// The CPU must support `K`'s instruction set; the caller is a `#[target_feature]` function
/// of that set, into which this one is inlined.
///
/// # Panics
///
/// If `zs` has more than `K::ROWS` rows of `width`, or `output` is shorter than `zs`.
#[inline(always)]
pub(super) unsafe fn band<K: Kernel>(
    maxiter: i32,
    zs: &[Complex64],
    width: usize,
    c: Complex64,
    output: BandCounts,
) {
    let rows = zs.len() / width;
    assert!(
        rows <= K::ROWS,
        "bands have at most {} rows, got {rows}",
        K::ROWS
    );
    assert!(
        output.len() >= zs.len(),
        "the output is shorter than the points"
    );
    // SAFETY: the caller's contract.
    let constants = unsafe { K::constants(c) };
    let warmup = maxiter.min(WARMUP);
    let mut escapes = Escapes::new(0);
    let mut state: State = [0.0; 2 * LANES];
    let mut packed = Packed::new();
    for column in (0..width).step_by(K::COLUMNS) {
        let lanes = K::COLUMNS.min(width - column);
        for row in 0..K::ROWS {
            for line in (0..K::COLUMNS).step_by(4) {
                prefetch(
                    zs.as_ptr()
                        .wrapping_add(row * width + column + line + PREFETCH_AHEAD),
                );
            }
        }
        // A short band at the bottom of the grid, or the last columns of a row, are padded.
        let full = rows == K::ROWS && lanes == K::COLUMNS;
        // Padding lanes run too: they fail the first test.
        escapes.reset(LANES);
        let step = if full {
            // SAFETY: the CPU has the instruction set (the caller's contract). The tile's rows
            // are `ROWS` rows of `zs` from `column`, of which it reads the `COLUMNS` points
            // from `column`, all within `zs` since `column + COLUMNS <= width`.
            unsafe {
                K::run_grid(
                    zs.as_ptr().add(column),
                    width,
                    &mut state,
                    &mut escapes,
                    warmup,
                    &constants,
                )
            }
        } else {
            let mut padded = [PADDING; LANES];
            for row in 0..rows {
                let start = row * width + column;
                padded[K::COLUMNS * row..K::COLUMNS * row + lanes]
                    .copy_from_slice(&zs[start..start + lanes]);
            }
            // SAFETY: as above; `padded` holds the tile's `ROWS` rows of `COLUMNS` points, one
            // after the other.
            unsafe {
                K::run_grid(
                    padded.as_ptr(),
                    K::COLUMNS,
                    &mut state,
                    &mut escapes,
                    warmup,
                    &constants,
                )
            }
        };
        let counts = escapes.counts(step, &K::GRID_LANES);
        if full {
            for row in 0..K::ROWS {
                let start = row * width + column;
                // PERF: a length known at compile time is a few moves, not a `memcpy` call.
                // SAFETY: as for the points: `output` is at least as long as `zs`.
                let output = unsafe { output.get_unchecked_mut(start..start + K::COLUMNS) };
                write_counts(
                    output,
                    &counts[K::COLUMNS * row..K::COLUMNS * row + K::COLUMNS],
                );
            }
        } else {
            for row in 0..rows {
                let start = row * width + column;
                write_counts(
                    &mut output[start..start + lanes],
                    &counts[K::COLUMNS * row..K::COLUMNS * row + lanes],
                );
            }
        }
        if escapes.running != 0 && step < maxiter {
            if full {
                packed.push::<K>(&state, escapes.running, K::ROWS, K::COLUMNS, column, width);
            } else {
                packed.push::<K>(&state, escapes.running, rows, lanes, column, width);
            }
            if packed.len >= LANES {
                // SAFETY: the caller's contract.
                unsafe {
                    packed.run::<K>(LANES, &mut escapes, warmup, maxiter, &constants, output);
                }
            }
        }
    }
    if packed.len > 0 {
        // SAFETY: the caller's contract.
        unsafe {
            packed.run::<K>(
                packed.len,
                &mut escapes,
                warmup,
                maxiter,
                &constants,
                output,
            );
        }
    }
}

/// Points ahead of the current tile's whose cache lines are fetched (8 tiles of AVX2).
const PREFETCH_AHEAD: usize = 32;

/// Starts loading the cache line of `point`.
///
/// PERF: a tile's first step waits for its points, and the next tile's loads come too late in
/// the instruction stream for the core to start them early: at 1 iteration, most of the time
/// for the grid went to waiting on memory.
#[inline(always)]
fn prefetch(point: *const Complex64) {
    // SAFETY: a prefetch is a hint: it reads nothing the program sees, and does not fault on
    // an address outside the grid.
    unsafe { _mm_prefetch::<_MM_HINT_T0>(point.cast()) }
}

/// The lane of a packed tile that holds each of its points: point `k` in lane `k`.
const PACKED_LANES: [u32; LANES] = {
    let mut lanes = [0; LANES];
    let mut point = 0;
    while point < LANES {
        lanes[point] = point as u32;
        point += 1;
    }
    lanes
};

/// The points still running at [`WARMUP`], waiting to fill a packed tile: up to 23 from the
/// tiles before, and up to 24 from the last.
///
/// PERF: a packed tile runs as soon as it is full, from these arrays, which it loads without a
/// shuffle. With a `Vec` of the band's running points, pushed lane by lane with a branch on
/// each and loaded with shuffles at the end of the band, packing the book's grid cost 0.82 to
/// 0.88 ms on one core, now 0.34 to 0.42 ms (AVX2, `taskset -c 1 julia_simd simd 20 65`
/// against `... 20 64`, best calls of 10 alternated rounds, 2026-11-26, 04:30 and 04:33 UTC).
#[repr(C)]
struct Packed {
    re: [f64; 2 * LANES],
    im: [f64; 2 * LANES],
    /// Where each point's count goes in the band's output.
    index: [usize; 2 * LANES],
    /// The points waiting.
    len: usize,
}

impl Packed {
    fn new() -> Self {
        Self {
            re: [0.0; 2 * LANES],
            im: [0.0; 2 * LANES],
            index: [0; 2 * LANES],
            len: 0,
        }
    }

    /// Appends the `running` points of a tile of the grid, `rows` rows and `columns` columns
    /// from column `first` of a band `width` points wide.
    #[inline(always)]
    fn push<K: Kernel>(
        &mut self,
        state: &State,
        running: u32,
        rows: usize,
        columns: usize,
        first: usize,
        width: usize,
    ) {
        let mut len = self.len;
        // PERF: every point is written, and kept only if it runs: no branch to mispredict.
        for row in 0..rows {
            for column in 0..columns {
                let lane = K::GRID_LANES[K::COLUMNS * row + column] as usize;
                self.re[len] = state[lane];
                self.im[len] = state[LANES + lane];
                self.index[len] = row * width + first + column;
                len += ((running >> lane) & 1) as usize;
            }
        }
        self.len = len;
    }

    /// Runs the first `lanes` points (all that wait, or 24) as a tile from step `warmup` to
    /// `maxiter`, writes their counts, and drops them.
    ///
    /// # Safety
    ///
    /// The CPU must support `K`'s instruction set.
    #[inline(always)]
    unsafe fn run<K: Kernel>(
        &mut self,
        lanes: usize,
        escapes: &mut Escapes,
        warmup: i32,
        maxiter: i32,
        constants: &K::Constants,
        output: BandCounts,
    ) {
        // The lanes past the points are padding, which never runs.
        self.re[lanes..LANES].fill(PADDING.re);
        self.im[lanes..LANES].fill(PADDING.im);
        escapes.reset(lanes);
        // Both arrays are reached from a pointer to `self` (`#[repr(C)]`): `im` is
        // `stride` bytes past `re`.
        let points = std::ptr::from_ref(&*self)
            .wrapping_byte_add(offset_of!(Self, re))
            .cast::<f64>();
        let stride = offset_of!(Self, im) - offset_of!(Self, re);
        // SAFETY: the CPU has the instruction set (the caller's contract); the tile reads the
        // first 24 f64 of `re` and of `im`, within `self`.
        let step = unsafe { K::run_packed(points, stride, escapes, warmup, maxiter, constants) };
        let counts = escapes.counts(step, &PACKED_LANES);
        for (&index, &count) in self.index[..lanes].iter().zip(&counts) {
            output[index].write(count);
        }
        self.re.copy_within(LANES.., 0);
        self.im.copy_within(LANES.., 0);
        self.index.copy_within(LANES.., 0);
        self.len -= lanes;
    }
}

/// The instructions after a packed tile's step in the `asm!` loops: `{passed}` holds the
/// lanes that passed this step's test. A step that changes the running lanes branches out of
/// line to record them in `escapes.changes` (`{changes}`, `{len}`); the loop ends at `{end}`
/// or when no lane runs.
macro_rules! packed_record {
    () => {
        concat!(
            "cmp {passed:e}, {running:e}\n",
            "jne 4f\n",
            "5:\n",
            "inc {step:e}\n",
            "cmp {step:e}, {end:e}\n",
            "jl 2b\n",
            "jmp 3f\n",
            // Out of line: lanes escaped.
            "4:\n",
            "and {len:e}, 31\n",
            "mov dword ptr [{changes} + 8*{len}], {step:e}\n",
            "mov dword ptr [{changes} + 8*{len} + 4], {passed:e}\n",
            "inc {len:e}\n",
            "mov {running:e}, {passed:e}\n",
            "test {passed:e}, {passed:e}\n",
            "jnz 5b\n",
            "inc {step:e}\n",
            "3:\n",
        )
    };
}
pub(super) use packed_record;

/// The instructions after a grid tile's step in the `asm!` loops: its lanes escape often, so
/// every step writes its record at `{len}` and keeps it or not without a branch. Jumps to `3f`
/// when no lane runs, back to `2b` before `{end}`, and falls through at `{end}` with lanes
/// running (where the kernel stores the tile).
macro_rules! grid_record {
    () => {
        concat!(
            "and {len:e}, 31\n",
            "mov dword ptr [{changes} + 8*{len}], {step:e}\n",
            "mov dword ptr [{changes} + 8*{len} + 4], {passed:e}\n",
            // The lanes that pass are a subset of those that ran, so they differ exactly
            // when `passed < running`, which sets the carry.
            "cmp {passed:e}, {running:e}\n",
            "adc {len:e}, 0\n",
            "mov {running:e}, {passed:e}\n",
            "inc {step:e}\n",
            "test {passed:e}, {passed:e}\n",
            "jz 3f\n",
            "cmp {step:e}, {end:e}\n",
            "jl 2b\n",
        )
    };
}
pub(super) use grid_record;
