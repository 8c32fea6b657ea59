//! The kernel on AVX2 and FMA: tiles of 6 rows × 4 columns, stepped by one `asm!` loop whose
//! registers are allocated by hand, and the points still running at step [`WARMUP`] packed
//! into full tiles.
//!
//! The generic loop ([`super::band_of`]) compiled for AVX2 keeps part of a 6-row tile on the
//! stack: LLVM's scheduler computes every row's squares before any row's update, which needs
//! more than the 16 ymm registers, and every step then waits on a store and a load (17 to
//! 20 ms for the grid on one core). Here 12 coordinates, 3 temporaries and the constant 2 take
//! the 16 registers, and the other constants are memory operands.
//!
//! Most tiles of the grid stop within 2 steps, so what a tile costs besides its steps counts
//! as much as the steps: the `asm!` block loads the tile itself and stores it only if it is
//! to be packed, the loads leave two columns swapped rather than shuffle them back (the counts
//! put them back), and the points to pack go into a tile that runs as soon as it is full. (See
//! the measurements in [`super`].)

use std::arch::asm;
use std::arch::x86_64::*;
use std::mem::offset_of;

use num_complex::Complex64;

use super::{BandCounts, PADDING, write_counts};

/// Rows per band and tile.
///
/// PERF: a row's step is a 9-cycle chain (multiply, subtract, add) of 8 vector operations,
/// 4 on the multiply pipes and 4 on the add pipes: 6 rows give the two pairs of pipes enough
/// independent work (measured: 2.0 cycles per row and step alone, 2.2 in the kernel).
pub(super) const ROWS: usize = 6;

/// Lanes in a tile.
const LANES: usize = 4 * ROWS;

/// The step at which the points still running are packed into new tiles: most points escape
/// early (880,000 of the book's million within 30 steps), and of the 106,000 still running at
/// step 64, 100,000 never escape. (Packing at step 32 took 1.63 M tile steps instead of 1.54 M,
/// and the grid 4% longer on one core.)
const WARMUP: i32 = 64;

/// A tile's state as [`run`] leaves it: the `re` of lane `k` (row `k / 4`) at `k`, its `im` at
/// `LANES + k`.
type State = [f64; 2 * LANES];

/// The constants of a step, in the order the `asm!` loop reads them.
#[repr(C)]
struct Constants {
    four: __m256d,
    c_re: __m256d,
    c_im: __m256d,
}

/// Entries in a tile's record of escapes: more than its lanes, and a power of two, so that
/// the index the `asm!` loop writes at can be kept in bounds by a mask.
const CHANGES: usize = 32;

/// The steps at which a tile's lanes escaped, from which their counts follow.
///
/// PERF: the kernel keeps no counts in vector registers. A lane's count is the step at which it
/// first fails the test, and lanes only ever leave the running set (see
/// [`super::band_len`]), so a tile changes it at most once per lane: [`run`] records the steps
/// that change it, and the counts follow once, at the end of the tile.
#[repr(C)]
struct Escapes {
    /// The lanes that passed the last test: row `r`'s vector lane `k` in bit `4r + k` (which
    /// point that is, see [`GRID_LANES`] and [`PACKED_LANES`]).
    running: u32,
    /// The steps that changed `running`, then scratch: [`run`] writes every step's lanes at
    /// `len` and moves `len` on only if they changed.
    changes: [Change; CHANGES],
    /// The changes recorded.
    len: usize,
}

/// A step at which lanes escaped: the first they failed, and the lanes that passed it.
#[derive(Clone, Copy)]
#[repr(C)]
struct Change {
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

/// The kernel over one band of up to [`ROWS`] rows (see [`super::calculate_z_simd`]).
///
/// Every tile of the grid runs [`WARMUP`] steps. The points still running then (11% of the
/// book's grid) are packed, 24 at a time in the order they come, into new tiles that run on to
/// `maxiter`, each as soon as it is full: a tile of the grid that mixes points inside the set
/// with points that escape keeps all its lanes busy only until the first escape. Packed, the
/// book's grid takes 1.54 M tile steps instead of 1.88 M.
///
/// # Panics
///
/// If `zs` has more than [`ROWS`] rows of `width`, or `output` is shorter than `zs`.
#[target_feature(enable = "avx2,fma")]
pub(super) fn band(maxiter: i32, zs: &[Complex64], width: usize, c: Complex64, output: BandCounts) {
    let rows = zs.len() / width;
    assert!(rows <= ROWS, "bands have at most {ROWS} rows, got {rows}");
    assert!(
        output.len() >= zs.len(),
        "the output is shorter than the points"
    );
    let constants = Constants {
        four: _mm256_set1_pd(4.0),
        c_re: _mm256_set1_pd(c.re),
        c_im: _mm256_set1_pd(c.im),
    };
    let warmup = maxiter.min(WARMUP);
    let mut escapes = Escapes::new(0);
    let mut state: State = [0.0; 2 * LANES];
    let mut packed = Packed::new();
    for column in (0..width).step_by(4) {
        let lanes = 4.min(width - column);
        for row in 0..ROWS {
            prefetch(
                zs.as_ptr()
                    .wrapping_add(row * width + column + PREFETCH_AHEAD * 4),
            );
        }
        // A short band at the bottom of the grid, or the last columns of a row, are padded.
        let full = rows == ROWS && lanes == 4;
        // Padding lanes run too: they fail the first test.
        escapes.reset(LANES);
        let step = if full {
            // SAFETY: the tile's rows are `ROWS` rows of `zs` from `column`, of which it reads
            // the 4 points `column..column + 4`, all within `zs` since `column + 4 <= width`.
            unsafe {
                run_grid(
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
                padded[4 * row..4 * row + lanes].copy_from_slice(&zs[start..start + lanes]);
            }
            // SAFETY: `padded` holds the tile's `ROWS` rows of 4 points, one after the other.
            unsafe {
                run_grid(
                    padded.as_ptr(),
                    4,
                    &mut state,
                    &mut escapes,
                    warmup,
                    &constants,
                )
            }
        };
        let counts = escapes.counts(step, &GRID_LANES);
        if full {
            for row in 0..ROWS {
                let start = row * width + column;
                // PERF: a length known at compile time is a few moves, not a `memcpy` call.
                // SAFETY: as for the points: `output` is at least as long as `zs`.
                let output = unsafe { output.get_unchecked_mut(start..start + 4) };
                write_counts(output, &counts[4 * row..4 * row + 4]);
            }
        } else {
            for row in 0..rows {
                let start = row * width + column;
                write_counts(
                    &mut output[start..start + lanes],
                    &counts[4 * row..4 * row + lanes],
                );
            }
        }
        if escapes.running != 0 && step < maxiter {
            if full {
                packed.push(&state, escapes.running, ROWS, 4, column, width);
            } else {
                packed.push(&state, escapes.running, rows, lanes, column, width);
            }
            if packed.len >= LANES {
                packed.run(LANES, &mut escapes, warmup, maxiter, &constants, output);
            }
        }
    }
    if packed.len > 0 {
        packed.run(
            packed.len,
            &mut escapes,
            warmup,
            maxiter,
            &constants,
            output,
        );
    }
}

/// Tiles ahead of the current one whose points are fetched into the cache.
const PREFETCH_AHEAD: usize = 8;

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

/// The lane of a tile of the grid that holds each of its points: point `4r + k` (row `r`,
/// column `k`) is in lane `GRID_LANES[4r + k]`, bit `GRID_LANES[4r + k]` of the escape masks.
///
/// PERF: [`run_grid`] loads each row with two unpacks, which leave columns 1 and 2 swapped,
/// rather than spend two lane-crossing shuffles more to put them back; the counts put them
/// back for free. (12 instructions fewer a tile; too few to time apart from the changes that
/// came with it.)
const GRID_LANES: [u32; LANES] = {
    let mut lanes = [0; LANES];
    let mut point = 0;
    while point < LANES {
        lanes[point] = (point - point % 4 + [0, 2, 1, 3][point % 4]) as u32;
        point += 1;
    }
    lanes
};

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
/// 0.88 ms on one core, now 0.34 to 0.42 ms (`taskset -c 1 julia_simd simd 20 65` against
/// `... 20 64`, best calls of 10 alternated rounds, 2026-11-26, 04:30 and 04:33 UTC).
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
    fn push(
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
                let lane = GRID_LANES[4 * row + column] as usize;
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
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    fn run(
        &mut self,
        lanes: usize,
        escapes: &mut Escapes,
        warmup: i32,
        maxiter: i32,
        constants: &Constants,
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
        // SAFETY: the tile reads the first 24 f64 of `re` and of `im`, within `self`.
        let step = unsafe {
            run::<true>(
                points,
                stride,
                std::ptr::null_mut(),
                escapes,
                warmup,
                maxiter,
                constants,
            )
        };
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

/// Runs a tile of the grid, whose row `r` is the 4 points at `first + r * width`, from step 0
/// to `end`; returns the step it stopped at, and if any lane still runs, leaves the tile in
/// `state`.
///
/// # Safety
///
/// The 4 points at `first + r * width` must be readable for every `r` in `0..ROWS`.
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn run_grid(
    first: *const Complex64,
    width: usize,
    state: &mut State,
    escapes: &mut Escapes,
    end: i32,
    constants: &Constants,
) -> i32 {
    // SAFETY: the caller's rows are readable, `state` is writable.
    unsafe {
        run::<false>(
            first.cast(),
            width * size_of::<Complex64>(),
            state.as_mut_ptr(),
            escapes,
            0,
            end,
            constants,
        )
    }
}

/// Loads a tile, steps it from `step` to at most `end`, recording its escapes, and returns the
/// step it stopped at (`end`, or earlier once no lane runs).
///
/// `PACKED` selects the tile's layout and the recording:
/// - a tile of the grid (`PACKED` false) is 6 rows of 4 interleaved points (`re`, `im`), row
///   `r` at `points + r * stride` bytes, each loaded with two unpacks (see [`GRID_LANES`]). Its
///   lanes escape often, so every step writes its record and keeps it or not without a branch.
///   If it reaches `end` with lanes running, the loop stores the tile to `state` (see
///   [`State`]);
/// - a packed tile has the `re` of its 24 lanes at `points`, their `im` at `points + stride`
///   bytes. A step that changes its running lanes branches out of line to record them, and
///   `state` is not written.
///
/// PERF: the loop is one `asm!` block, bookkeeping included: 69 instructions a step (75 for the
/// tiles of the grid), 2.2 cycles per row on a grid whose points never escape. The same step
/// as an `asm!` block in a Rust loop took 100 instructions and 2.6 cycles per row; with none of
/// the bookkeeping, 6 rows of the step alone take 2.0 cycles per row, the pipes' limit. The
/// loads and the store are in the block too: with the tile in Rust variables, LLVM zeroed it
/// and kept copies of it on the stack, 36 to 48 stores of 32 bytes a tile, and a tile took
/// 279 instructions at 1 iteration, 244 this way (callgrind, `julia_simd simd 1 1`). At 8
/// iterations, where most tiles have stopped, the grid took 1.94 ms on one core, 1.79 this
/// way (median of the best calls of 10 alternated rounds of `taskset -c 1 julia_simd simd 40
/// 8`, 2026-11-26, 04:26 UTC); at 300 the two were within the noise.
///
/// # Safety
///
/// The tile's points must be readable, and without `PACKED`, `state` writable for
/// [`State`]'s 48 f64.
#[target_feature(enable = "avx2,fma")]
unsafe fn run<const PACKED: bool>(
    points: *const f64,
    stride: usize,
    state: *mut f64,
    escapes: &mut Escapes,
    mut step: i32,
    end: i32,
    constants: &Constants,
) -> i32 {
    if step >= end || escapes.running == 0 {
        return step;
    }
    let changes = escapes.changes.as_mut_ptr();
    let two = _mm256_set1_pd(2.0);
    // The tile's loads, the step loop, then `$record` after the rows' steps.
    macro_rules! step_loop {
        ([$($load:expr,)*] [$($record:literal,)*] $($operand:tt)*) => {
            // SAFETY: the loads read the tile's points (see the caller's contract) and the
            // stores, without `PACKED`, write `state`. The loop reads the 3 vectors of
            // `constants` (`#[repr(C)]`, 32 bytes each) and writes `escapes.changes[len % 32]`
            // (`Change` is `#[repr(C)]` `{ i32, u32 }`, 8 bytes, and the array has 32); it runs
            // from `step < end`.
            unsafe {
                asm!(
                    $($load,)*
                    "2:",
                    row_step!(0, 6, first),
                    row_step!(1, 7),
                    row_step!(2, 8),
                    row_step!(3, 9),
                    row_step!(4, 10),
                    row_step!(5, 11),
                    $($record,)*
                    s0 = out(ymm_reg) _,
                    s1 = out(ymm_reg) _,
                    s2 = out(ymm_reg) _,
                    s3 = out(ymm_reg) _,
                    s4 = out(ymm_reg) _,
                    s5 = out(ymm_reg) _,
                    s6 = out(ymm_reg) _,
                    s7 = out(ymm_reg) _,
                    s8 = out(ymm_reg) _,
                    s9 = out(ymm_reg) _,
                    s10 = out(ymm_reg) _,
                    s11 = out(ymm_reg) _,
                    a = out(ymm_reg) _,
                    b = out(ymm_reg) _,
                    n = out(ymm_reg) _,
                    two = in(ymm_reg) two,
                    points = in(reg) points,
                    stride = in(reg) stride,
                    constants = in(reg) constants,
                    changes = in(reg) changes,
                    len = inout(reg) escapes.len,
                    running = inout(reg) escapes.running,
                    step = inout(reg) step,
                    end = in(reg) end,
                    passed = out(reg) _,
                    mask = out(reg) _,
                    $($operand)*
                    options(nostack),
                );
            }
        };
    }
    if PACKED {
        step_loop!(
            [
                load_planar_row!(0, 6, "0"),
                load_planar_row!(1, 7, "32"),
                load_planar_row!(2, 8, "64"),
                load_planar_row!(3, 9, "96"),
                load_planar_row!(4, 10, "128"),
                load_planar_row!(5, 11, "160"),
            ]
            [
                "cmp {passed:e}, {running:e}",
                "jne 4f",
                "5:",
                "inc {step:e}",
                "cmp {step:e}, {end:e}",
                "jl 2b",
                "jmp 3f",
                // Out of line: lanes escaped.
                "4:",
                "and {len:e}, 31",
                "mov dword ptr [{changes} + 8*{len}], {step:e}",
                "mov dword ptr [{changes} + 8*{len} + 4], {passed:e}",
                "inc {len:e}",
                "mov {running:e}, {passed:e}",
                "test {passed:e}, {passed:e}",
                "jnz 5b",
                "inc {step:e}",
                "3:",
            ]
        );
    } else {
        step_loop!(
            [
                // Rows 2 and 4 start at `passed` and `mask`, free until the loop.
                "lea {passed}, [{points} + 2*{stride}]",
                "lea {mask}, [{points} + 4*{stride}]",
                load_interleaved_row!(0, 6, "{points}"),
                load_interleaved_row!(1, 7, "{points} + {stride}"),
                load_interleaved_row!(2, 8, "{passed}"),
                load_interleaved_row!(3, 9, "{passed} + {stride}"),
                load_interleaved_row!(4, 10, "{mask}"),
                load_interleaved_row!(5, 11, "{mask} + {stride}"),
            ]
            [
                "and {len:e}, 31",
                "mov dword ptr [{changes} + 8*{len}], {step:e}",
                "mov dword ptr [{changes} + 8*{len} + 4], {passed:e}",
                // The lanes that pass are a subset of those that ran, so they differ exactly
                // when `passed < running`, which sets the carry.
                "cmp {passed:e}, {running:e}",
                "adc {len:e}, 0",
                "mov {running:e}, {passed:e}",
                "inc {step:e}",
                "test {passed:e}, {passed:e}",
                "jz 3f",
                "cmp {step:e}, {end:e}",
                "jl 2b",
                // Lanes still run at `end`: the tile is stored for packing.
                "vmovupd ymmword ptr [{state}], {s0}",
                "vmovupd ymmword ptr [{state} + 32], {s1}",
                "vmovupd ymmword ptr [{state} + 64], {s2}",
                "vmovupd ymmword ptr [{state} + 96], {s3}",
                "vmovupd ymmword ptr [{state} + 128], {s4}",
                "vmovupd ymmword ptr [{state} + 160], {s5}",
                "vmovupd ymmword ptr [{state} + 192], {s6}",
                "vmovupd ymmword ptr [{state} + 224], {s7}",
                "vmovupd ymmword ptr [{state} + 256], {s8}",
                "vmovupd ymmword ptr [{state} + 288], {s9}",
                "vmovupd ymmword ptr [{state} + 320], {s10}",
                "vmovupd ymmword ptr [{state} + 352], {s11}",
                "3:",
            ]
            state = in(reg) state,
        );
    }
    step
}

/// The instructions that load row `$row` of a tile of the grid from the 4 interleaved points
/// at `$address`: `re0 im0 re1 im1` and `re2 im2 re3 im3`, unpacked within 128-bit halves into
/// `re0 re2 re1 re3` and `im0 im2 im1 im3` (see [`GRID_LANES`]).
macro_rules! load_interleaved_row {
    ($row:literal, $im:literal, $address:literal) => {
        concat!(
            "vmovupd {s",
            $row,
            "}, ymmword ptr [",
            $address,
            "]\n",
            "vmovupd {a}, ymmword ptr [",
            $address,
            " + 32]\n",
            "vunpckhpd {s",
            $im,
            "}, {s",
            $row,
            "}, {a}\n",
            "vunpcklpd {s",
            $row,
            "}, {s",
            $row,
            "}, {a}\n",
        )
    };
}
use load_interleaved_row;

/// The instructions that load row `$row` of a packed tile: its `re` at `points + $offset`, its
/// `im` at `points + stride + $offset`.
macro_rules! load_planar_row {
    ($row:literal, $im:literal, $offset:literal) => {
        concat!(
            "vmovupd {s",
            $row,
            "}, ymmword ptr [{points} + ",
            $offset,
            "]\n",
            "vmovupd {s",
            $im,
            "}, ymmword ptr [{points} + {stride} + ",
            $offset,
            "]\n",
        )
    };
}
use load_planar_row;

/// The instructions of one row's step in [`run`]: the test `re² + im² < 4` into bits
/// `4·row..4·row + 4` of `passed` (`first` sets `passed`, the other rows add to it), and the
/// update `re' = (re² - im²) + c.re`, `im' = 2·(re·im) + c.im`. Doubling is exact, so the
/// fused multiply-add rounds `2·(re·im) + c.im` once, as `(re·im + re·im) + c.im` is rounded.
macro_rules! row_step {
    ($row:literal, $im:literal $(, $first:ident)?) => {
        concat!(
            "vmulpd {a}, {s", $row, "}, {s", $row, "}\n",
            "vmulpd {b}, {s", $im, "}, {s", $im, "}\n",
            "vmulpd {s", $im, "}, {s", $row, "}, {s", $im, "}\n",
            "vaddpd {n}, {a}, {b}\n",
            "vsubpd {a}, {a}, {b}\n",
            // Predicate 0x11 is `_CMP_LT_OQ`: false where the norm is NaN.
            "vcmppd {n}, {n}, ymmword ptr [{constants}], 0x11\n",
            "vaddpd {s", $row, "}, {a}, ymmword ptr [{constants} + 32]\n",
            "vfmadd213pd {s", $im, "}, {two}, ymmword ptr [{constants} + 64]\n",
            row_step!(@bits $row $(, $first)?),
        )
    };
    (@bits $row:literal, first) => {
        "vmovmskpd {passed:e}, {n}\n"
    };
    (@bits $row:literal) => {
        concat!(
            "vmovmskpd {mask:e}, {n}\n",
            "shl {mask:e}, 4 * ", $row, "\n",
            "or {passed:e}, {mask:e}\n",
        )
    };
}
use row_step;
