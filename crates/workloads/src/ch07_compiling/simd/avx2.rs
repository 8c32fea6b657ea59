//! The kernel on AVX2 and FMA: tiles of 6 rows × 4 columns, stepped by one `asm!` loop whose
//! registers are allocated by hand, and the points still running at step [`tile::WARMUP`] packed
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

use num_complex::Complex64;

use super::BandCounts;
use super::tile::{self, Escapes, Kernel, LANES, State};

/// Rows per band and tile.
///
/// PERF: a row's step is a 9-cycle chain (multiply, subtract, add) of 8 vector operations,
/// 4 on the multiply pipes and 4 on the add pipes: 6 rows give the two pairs of pipes enough
/// independent work (measured: 2.0 cycles per row and step alone, 2.2 in the kernel).
pub(super) const ROWS: usize = 6;

/// The constants of a step, in the order the `asm!` loop reads them.
#[repr(C)]
pub(super) struct Constants {
    four: __m256d,
    c_re: __m256d,
    c_im: __m256d,
}

/// The AVX2 tile: 6 rows of 4 lanes.
pub(super) struct Avx2;

impl Kernel for Avx2 {
    const ROWS: usize = ROWS;
    const COLUMNS: usize = 4;
    const GRID_LANES: [u32; LANES] = GRID_LANES;
    type Constants = Constants;

    #[inline(always)]
    unsafe fn constants(c: Complex64) -> Constants {
        // SAFETY: the caller's contract: the CPU has AVX.
        unsafe {
            Constants {
                four: _mm256_set1_pd(4.0),
                c_re: _mm256_set1_pd(c.re),
                c_im: _mm256_set1_pd(c.im),
            }
        }
    }

    #[inline(always)]
    unsafe fn run_grid(
        first: *const Complex64,
        width: usize,
        state: &mut State,
        escapes: &mut Escapes,
        end: i32,
        constants: &Constants,
    ) -> i32 {
        // SAFETY: the caller's contract.
        unsafe { run_grid(first, width, state, escapes, end, constants) }
    }

    #[inline(always)]
    unsafe fn run_packed(
        points: *const f64,
        stride: usize,
        escapes: &mut Escapes,
        step: i32,
        end: i32,
        constants: &Constants,
    ) -> i32 {
        // SAFETY: the caller's contract.
        unsafe {
            run::<true>(
                points,
                stride,
                std::ptr::null_mut(),
                escapes,
                step,
                end,
                constants,
            )
        }
    }
}

/// The kernel over one band of up to [`ROWS`] rows (see [`tile::band`]).
///
/// # Panics
///
/// If `zs` has more than [`ROWS`] rows of `width`, or `output` is shorter than `zs`.
#[target_feature(enable = "avx2,fma")]
pub(super) fn band(maxiter: i32, zs: &[Complex64], width: usize, c: Complex64, output: BandCounts) {
    // SAFETY: this function's target features are AVX2's tile's.
    unsafe { tile::band::<Avx2>(maxiter, zs, width, c, output) }
}

/// The lane of a tile of the grid that holds each of its points (see [`Kernel::GRID_LANES`]).
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
        ([$($load:expr,)*] [$($record:expr,)*] $($operand:tt)*) => {
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
            [tile::packed_record!(),]
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
                tile::grid_record!(),
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
