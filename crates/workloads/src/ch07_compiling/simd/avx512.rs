//! The kernel on AVX-512 (F and BW): tiles of 3 rows × 8 columns, the same 24 lanes as AVX2's
//! 6 × 4, stepped by one `asm!` loop, with the escapes recorded and the running points packed
//! as on AVX2 (module [`super::tile`]).
//!
//! What AVX-512 changes, besides the width:
//! - each row's test writes a mask register, and the three masks become the 24-bit running set
//!   with two `kunpck` and one `kmov`, where AVX2 spends a `vmovmskpd`, a shift and an `or` on
//!   each of its six rows: 37 instructions a step (43 for the tiles of the grid) against 69
//!   (75);
//! - 32 vector registers: the tile (6), a set of temporaries per row (9) and the four constants
//!   all stay in registers, with no memory operand in the loop.
//!
//! On a processor that runs 512-bit operations as two 256-bit halves (AMD Zen 4), a zmm row
//! costs the pipes what two ymm rows cost, so the floating-point limit is AVX2's; the gain is in
//! the front end, which on AVX2 issues 69 instructions for the 48 vector operations of a step
//! (see the measurements in [`super`]).

use std::arch::asm;
use std::arch::x86_64::*;

use num_complex::Complex64;

use super::BandCounts;
use super::tile::{self, Escapes, Kernel, LANES, State};

/// Rows per band and tile.
///
/// PERF: a row's step is a 9-cycle chain (multiply, subtract, add) of 8 vector operations,
/// 4 on the multiply pipes and 4 on the add pipes, each of 8 lanes: on two 256-bit pipes of
/// each kind that is 4 cycles a row, so 3 rows (12 cycles) cover the chain.
pub(super) const ROWS: usize = 3;

/// The constants of a step, each in all 8 lanes.
pub(super) struct Constants {
    four: __m512d,
    c_re: __m512d,
    c_im: __m512d,
    two: __m512d,
}

/// The AVX-512 tile: 3 rows of 8 lanes.
pub(super) struct Avx512;

impl Kernel for Avx512 {
    const ROWS: usize = ROWS;
    const COLUMNS: usize = 8;
    const GRID_LANES: [u32; LANES] = GRID_LANES;
    type Constants = Constants;

    #[inline(always)]
    unsafe fn constants(c: Complex64) -> Constants {
        // SAFETY: the caller's contract: the CPU has AVX-512F.
        unsafe {
            Constants {
                four: _mm512_set1_pd(4.0),
                c_re: _mm512_set1_pd(c.re),
                c_im: _mm512_set1_pd(c.im),
                two: _mm512_set1_pd(2.0),
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
        // SAFETY: the caller's contract: the CPU has AVX-512F and BW, the rows are readable,
        // and `state` is writable.
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
#[allow(
    clippy::incompatible_msrv,
    reason = "compiled only by rustc 1.89 or later, where AVX-512 is stable (`hiperf_avx512`, from build.rs)"
)]
#[target_feature(enable = "avx512f,avx512bw")]
pub(super) fn band(maxiter: i32, zs: &[Complex64], width: usize, c: Complex64, output: BandCounts) {
    // SAFETY: this function's target features are AVX-512's tile's.
    unsafe { tile::band::<Avx512>(maxiter, zs, width, c, output) }
}

/// The lane of a tile of the grid that holds each of its points (see [`Kernel::GRID_LANES`]).
///
/// PERF: [`run`] loads each row of 8 interleaved points with two unpacks, which work within
/// 128-bit blocks: lane `2k` holds column `k` and lane `2k + 1` column `k + 4`. The counts put
/// them back in order, with no shuffle in the loop.
const GRID_LANES: [u32; LANES] = {
    let mut lanes = [0; LANES];
    let mut point = 0;
    while point < LANES {
        let column = point % 8;
        let lane = if column < 4 {
            2 * column
        } else {
            2 * (column - 4) + 1
        };
        lanes[point] = (point - column + lane) as u32;
        point += 1;
    }
    lanes
};

/// Loads a tile, steps it from `step` to at most `end`, recording its escapes, and returns the
/// step it stopped at (`end`, or earlier once no lane runs).
///
/// `PACKED` selects the tile's layout and the recording, as in AVX2's kernel:
/// - a tile of the grid (`PACKED` false) is 3 rows of 8 interleaved points (`re`, `im`), row
///   `r` at `points + r * stride` bytes (see [`GRID_LANES`]); every step writes its record, and
///   if the tile reaches `end` with lanes running, the loop stores it to `state` (see
///   [`State`]);
/// - a packed tile has the `re` of its 24 lanes at `points`, their `im` at `points + stride`
///   bytes; a step that changes its running lanes branches out of line to record them.
///
/// # Safety
///
/// The CPU must support AVX-512F and BW, the tile's points must be readable, and without
/// `PACKED`, `state` writable for [`State`]'s 48 f64.
#[allow(
    clippy::incompatible_msrv,
    reason = "compiled only by rustc 1.89 or later, where AVX-512 is stable (`hiperf_avx512`, from build.rs)"
)]
#[target_feature(enable = "avx512f,avx512bw")]
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
    // The tile's loads, the step loop, then `$record` after the rows' steps.
    macro_rules! step_loop {
        ([$($load:expr,)*] [$($record:expr,)*] $($operand:tt)*) => {
            // SAFETY: the loads read the tile's points (see the caller's contract) and the
            // stores, without `PACKED`, write `state`. The loop writes
            // `escapes.changes[len % 32]` (`Change` is `#[repr(C)]` `{ i32, u32 }`, 8 bytes, and
            // the array has 32); it runs from `step < end`.
            unsafe {
                asm!(
                    $($load,)*
                    "2:",
                    row_step!(0, 3, a0, b0, n0, m0),
                    row_step!(1, 4, a1, b1, n1, m1),
                    row_step!(2, 5, a2, b2, n2, m2),
                    // Row 1's lanes above row 0's, then row 2's above both: bit `8r + k` is
                    // row `r`'s lane `k`.
                    "kunpckbw {m0}, {m1}, {m0}",
                    "kunpckwd {m0}, {m2}, {m0}",
                    "kmovd {passed:e}, {m0}",
                    $($record,)*
                    s0 = out(zmm_reg) _,
                    s1 = out(zmm_reg) _,
                    s2 = out(zmm_reg) _,
                    s3 = out(zmm_reg) _,
                    s4 = out(zmm_reg) _,
                    s5 = out(zmm_reg) _,
                    a0 = out(zmm_reg) _,
                    b0 = out(zmm_reg) _,
                    n0 = out(zmm_reg) _,
                    a1 = out(zmm_reg) _,
                    b1 = out(zmm_reg) _,
                    n1 = out(zmm_reg) _,
                    a2 = out(zmm_reg) _,
                    b2 = out(zmm_reg) _,
                    n2 = out(zmm_reg) _,
                    m0 = out(kreg) _,
                    m1 = out(kreg) _,
                    m2 = out(kreg) _,
                    four = in(zmm_reg) constants.four,
                    c_re = in(zmm_reg) constants.c_re,
                    c_im = in(zmm_reg) constants.c_im,
                    two = in(zmm_reg) constants.two,
                    points = in(reg) points,
                    stride = in(reg) stride,
                    changes = in(reg) changes,
                    len = inout(reg) escapes.len,
                    running = inout(reg) escapes.running,
                    step = inout(reg) step,
                    end = in(reg) end,
                    passed = out(reg) _,
                    $($operand)*
                    options(nostack),
                );
            }
        };
    }
    if PACKED {
        step_loop!(
            [
                load_planar_row!(0, 3, "0"),
                load_planar_row!(1, 4, "64"),
                load_planar_row!(2, 5, "128"),
            ]
            [tile::packed_record!(),]
        );
    } else {
        step_loop!(
            [
                load_interleaved_row!(0, 3, "{points}"),
                load_interleaved_row!(1, 4, "{points} + {stride}"),
                load_interleaved_row!(2, 5, "{points} + 2*{stride}"),
            ]
            [
                tile::grid_record!(),
                // Lanes still run at `end`: the tile is stored for packing.
                "vmovupd zmmword ptr [{state}], {s0}",
                "vmovupd zmmword ptr [{state} + 64], {s1}",
                "vmovupd zmmword ptr [{state} + 128], {s2}",
                "vmovupd zmmword ptr [{state} + 192], {s3}",
                "vmovupd zmmword ptr [{state} + 256], {s4}",
                "vmovupd zmmword ptr [{state} + 320], {s5}",
                "3:",
            ]
            state = in(reg) state,
        );
    }
    step
}

/// The instructions that load row `$row` of a tile of the grid from the 8 interleaved points
/// at `$address`, into `re0 re4 re1 re5 re2 re6 re3 re7` and the same of `im` (see
/// [`GRID_LANES`]).
macro_rules! load_interleaved_row {
    ($row:literal, $im:literal, $address:literal) => {
        concat!(
            "vmovupd {s",
            $row,
            "}, zmmword ptr [",
            $address,
            "]\n",
            "vmovupd {a0}, zmmword ptr [",
            $address,
            " + 64]\n",
            "vunpckhpd {s",
            $im,
            "}, {s",
            $row,
            "}, {a0}\n",
            "vunpcklpd {s",
            $row,
            "}, {s",
            $row,
            "}, {a0}\n",
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
            "}, zmmword ptr [{points} + ",
            $offset,
            "]\n",
            "vmovupd {s",
            $im,
            "}, zmmword ptr [{points} + {stride} + ",
            $offset,
            "]\n",
        )
    };
}
use load_planar_row;

/// The instructions of one row's step in [`run`]: the test `re² + im² < 4` into the mask
/// register `$mask`, and the update `re' = (re² - im²) + c.re`, `im' = 2·(re·im) + c.im` (the
/// fused multiply-add rounds once, exactly as `(re·im + re·im) + c.im`: doubling is exact).
/// Each row has temporaries of its own, so that nothing but the pipes orders the rows.
macro_rules! row_step {
    ($row:literal, $im:literal, $a:ident, $b:ident, $n:ident, $mask:ident) => {
        concat!(
            "vmulpd {",
            stringify!($a),
            "}, {s",
            $row,
            "}, {s",
            $row,
            "}\n",
            "vmulpd {",
            stringify!($b),
            "}, {s",
            $im,
            "}, {s",
            $im,
            "}\n",
            "vmulpd {s",
            $im,
            "}, {s",
            $row,
            "}, {s",
            $im,
            "}\n",
            "vaddpd {",
            stringify!($n),
            "}, {",
            stringify!($a),
            "}, {",
            stringify!($b),
            "}\n",
            "vsubpd {",
            stringify!($a),
            "}, {",
            stringify!($a),
            "}, {",
            stringify!($b),
            "}\n",
            // Predicate 0x11 is `_CMP_LT_OQ`: false where the norm is NaN.
            "vcmppd {",
            stringify!($mask),
            "}, {",
            stringify!($n),
            "}, {four}, 0x11\n",
            "vaddpd {s",
            $row,
            "}, {",
            stringify!($a),
            "}, {c_re}\n",
            "vfmadd213pd {s",
            $im,
            "}, {two}, {c_im}\n",
        )
    };
}
use row_step;
