//! The kernel on AVX2 and FMA: tiles of 6 rows × 4 columns, stepped by one `asm!` loop whose
//! registers are allocated by hand, and the points still running at step [`WARMUP`] packed
//! into full tiles.
//!
//! The generic loop ([`super::tile`]) compiled for AVX2 keeps part of a 6-row tile on the
//! stack: LLVM's scheduler computes every row's squares before any row's update, which needs
//! more than the 16 ymm registers, and every step then waits on a store and a load (17 to
//! 20 ms for the grid on one core). Here 12 coordinates, 3 temporaries and the constant 2 take
//! the 16 registers, and the other constants are memory operands.

use std::arch::asm;
use std::arch::x86_64::*;

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

/// The rows' `re`, then their `im`.
type State = [__m256d; 2 * ROWS];

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
    /// The lanes that passed the last test: row `r`'s lane `k` in bit `4r + k`.
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

    /// The escape count of each lane: the first step it failed, or `last_step` if it never
    /// did.
    #[inline(always)]
    fn counts<const LANES: usize>(&self, last_step: i32) -> [i32; LANES] {
        let mut counts = [last_step; LANES];
        for change in &self.changes[..self.len.min(CHANGES)] {
            // PERF: bit operations, not a branch or a select (which LLVM turns into a branch),
            // so that the lanes run as vectors: all ones where the lane escaped, else zeros.
            for (lane, count) in counts.iter_mut().enumerate() {
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
/// `maxiter`: a tile of the grid that mixes points inside the set with points that escape keeps
/// all its lanes busy only until the first escape. Packed, the book's grid takes 1.54 M tile
/// steps instead of 1.88 M.
///
/// # Panics
///
/// If `zs` has more than [`ROWS`] rows of `width`, or `output` is shorter than `zs`.
#[target_feature(enable = "avx2,fma")]
pub(super) fn band(maxiter: i32, zs: &[Complex64], width: usize, c: Complex64, output: BandCounts) {
    let rows = zs.len() / width;
    assert!(rows <= ROWS, "bands have at most {ROWS} rows, got {rows}");
    let constants = Constants {
        four: _mm256_set1_pd(4.0),
        c_re: _mm256_set1_pd(c.re),
        c_im: _mm256_set1_pd(c.im),
    };
    let warmup = maxiter.min(WARMUP);
    // The points still running at `warmup`: where their counts go, and where they are.
    let mut running_points = Vec::with_capacity(zs.len() / 4);
    let mut escapes = Escapes::new(0);
    for column in (0..width).step_by(4) {
        let lanes = 4.min(width - column);
        for row in 0..rows {
            if let Some(ahead) = zs.get(row * width + column + PREFETCH_AHEAD * 4) {
                prefetch(ahead);
            }
        }
        // A short band at the bottom of the grid, or the last columns of a row, are padded.
        let full = rows == ROWS && lanes == 4;
        let mut state = [_mm256_setzero_pd(); 2 * ROWS];
        for row in 0..ROWS {
            let start = row * width + column;
            (state[row], state[ROWS + row]) = if full {
                load_points(&zs[start..start + 4])
            } else {
                let mut padded = [PADDING; 4];
                if row < rows {
                    padded[..lanes].copy_from_slice(&zs[start..start + lanes]);
                }
                load_points(&padded)
            };
        }
        escapes.reset(LANES);
        let step = run::<false>(&mut state, &mut escapes, 0, warmup, &constants);
        let counts = escapes.counts::<LANES>(step);
        for row in 0..rows {
            let start = row * width + column;
            if full {
                // PERF: a length known at compile time is a few moves, not a `memcpy` call.
                write_counts(&mut output[start..start + 4], &counts[4 * row..4 * row + 4]);
            } else {
                write_counts(
                    &mut output[start..start + lanes],
                    &counts[4 * row..4 * row + lanes],
                );
            }
        }
        if escapes.running != 0 && step < maxiter {
            let (re, im) = store(&state);
            for row in 0..rows {
                for lane in 0..lanes {
                    if escapes.running & (1 << (4 * row + lane)) != 0 {
                        let z = Complex64::new(re[4 * row + lane], im[4 * row + lane]);
                        running_points.push((row * width + column + lane, z));
                    }
                }
            }
        }
    }
    for chunk in running_points.chunks(LANES) {
        // Lane `k` of the packed tile is `chunk[k]`; the padding lanes are not running.
        let mut points = [PADDING; LANES];
        for (point, &(_, z)) in points.iter_mut().zip(chunk) {
            *point = z;
        }
        let mut state = [_mm256_setzero_pd(); 2 * ROWS];
        for row in 0..ROWS {
            (state[row], state[ROWS + row]) = load_points(&points[4 * row..4 * row + 4]);
        }
        escapes.reset(chunk.len());
        let step = run::<true>(&mut state, &mut escapes, warmup, maxiter, &constants);
        let counts = escapes.counts::<LANES>(step);
        for (&(index, _), &count) in chunk.iter().zip(&counts) {
            output[index].write(count);
        }
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
fn prefetch(point: &Complex64) {
    // SAFETY: a prefetch is a hint: it reads nothing the program sees, and `point` is valid.
    unsafe { _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(point).cast()) }
}

/// The real and imaginary parts of 4 points.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn load_points(points: &[Complex64]) -> (__m256d, __m256d) {
    // `Complex64` is `#[repr(C)]` `{ re, im }`: 4 points are 8 contiguous f64 (the slice
    // below panics if there are fewer).
    let pointer = points[..4].as_ptr().cast::<f64>();
    // SAFETY: the two loads read the 8 f64 of the 4 points.
    unsafe {
        let low = _mm256_loadu_pd(pointer); // re0 im0 re1 im1
        let high = _mm256_loadu_pd(pointer.add(4)); // re2 im2 re3 im3
        // Unpacking works within 128-bit halves: re0 re2 re1 re3, then lanes 1 and 2 swap.
        let re = _mm256_permute4x64_pd::<0b11_01_10_00>(_mm256_unpacklo_pd(low, high));
        let im = _mm256_permute4x64_pd::<0b11_01_10_00>(_mm256_unpackhi_pd(low, high));
        (re, im)
    }
}

/// The real and imaginary parts of a tile, row `r`'s lane `k` at `4r + k`.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn store(state: &State) -> ([f64; LANES], [f64; LANES]) {
    let mut re = [0.0; LANES];
    let mut im = [0.0; LANES];
    for row in 0..ROWS {
        // SAFETY: each row writes 4 of the 24 f64 of `re` and of `im`.
        unsafe {
            _mm256_storeu_pd(re[4 * row..].as_mut_ptr(), state[row]);
            _mm256_storeu_pd(im[4 * row..].as_mut_ptr(), state[ROWS + row]);
        }
    }
    (re, im)
}

/// Steps a tile from `step` to at most `end`, recording its escapes; returns the step it
/// stopped at (`end`, or earlier once no lane runs).
///
/// With `FEW_ESCAPES`, a step that changes the running lanes branches out of line to record
/// them. Without, every step writes its record and keeps it or not without a branch, for the
/// first steps, where lanes escape often and that branch would be mispredicted.
///
/// PERF: the loop is one `asm!` block, bookkeeping included: 69 instructions a step (75
/// without `FEW_ESCAPES`), 2.2 cycles per row on a grid whose points never escape. The same
/// step as an `asm!` block in a Rust loop took 100 instructions and 2.6 cycles per row; with
/// none of the bookkeeping, 6 rows of the step alone take 2.0 cycles per row, the pipes' limit.
#[target_feature(enable = "avx2,fma")]
fn run<const FEW_ESCAPES: bool>(
    state: &mut State,
    escapes: &mut Escapes,
    mut step: i32,
    end: i32,
    constants: &Constants,
) -> i32 {
    if step >= end || escapes.running == 0 {
        return step;
    }
    let [s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11] = state;
    let changes = escapes.changes.as_mut_ptr();
    let two = _mm256_set1_pd(2.0);
    // The step loop, with `$record` after the rows' steps.
    macro_rules! step_loop {
        ($($record:literal,)*) => {
            // SAFETY: the loop reads the 3 vectors of `constants` (`#[repr(C)]`, 32 bytes
            // each) and writes `escapes.changes[len % 32]` (`Change` is `#[repr(C)]`
            // `{ i32, u32 }`, 8 bytes, and the array has 32); it runs from `step < end`.
            unsafe {
                asm!(
                    "2:",
                    row_step!(0, 6, first),
                    row_step!(1, 7),
                    row_step!(2, 8),
                    row_step!(3, 9),
                    row_step!(4, 10),
                    row_step!(5, 11),
                    $($record,)*
                    s0 = inout(ymm_reg) *s0,
                    s1 = inout(ymm_reg) *s1,
                    s2 = inout(ymm_reg) *s2,
                    s3 = inout(ymm_reg) *s3,
                    s4 = inout(ymm_reg) *s4,
                    s5 = inout(ymm_reg) *s5,
                    s6 = inout(ymm_reg) *s6,
                    s7 = inout(ymm_reg) *s7,
                    s8 = inout(ymm_reg) *s8,
                    s9 = inout(ymm_reg) *s9,
                    s10 = inout(ymm_reg) *s10,
                    s11 = inout(ymm_reg) *s11,
                    a = out(ymm_reg) _,
                    b = out(ymm_reg) _,
                    n = out(ymm_reg) _,
                    two = in(ymm_reg) two,
                    constants = in(reg) constants,
                    changes = in(reg) changes,
                    len = inout(reg) escapes.len,
                    running = inout(reg) escapes.running,
                    step = inout(reg) step,
                    end = in(reg) end,
                    passed = out(reg) _,
                    mask = out(reg) _,
                    options(nostack),
                );
            }
        };
    }
    if FEW_ESCAPES {
        step_loop!(
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
        );
    } else {
        step_loop!(
            "and {len:e}, 31",
            "mov dword ptr [{changes} + 8*{len}], {step:e}",
            "mov dword ptr [{changes} + 8*{len} + 4], {passed:e}",
            // The lanes that pass are a subset of those that ran, so they differ exactly when
            // `passed < running`, which sets the carry.
            "cmp {passed:e}, {running:e}",
            "adc {len:e}, 0",
            "mov {running:e}, {passed:e}",
            "inc {step:e}",
            "test {passed:e}, {passed:e}",
            "jz 3f",
            "cmp {step:e}, {end:e}",
            "jl 2b",
            "3:",
        );
    }
    step
}

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
