//! The Julia kernel on SIMD lanes: AVX-512 (8 f64 lanes) or AVX2 (4 lanes), the faster of the
//! two on the processor at hand, chosen at run time, and a portable fallback with the same
//! loop on plain arrays.
//!
//! The grid is cut into bands of a few rows and each band into tiles: one vector per row, one
//! lane per column. The vectors of a tile are independent chains stepped in lockstep, so the
//! core has several multiplies and adds in flight while each chain waits on its own latency
//! (one step is a 9-cycle chain: multiply, subtract, add). A tile stops when none of its lanes
//! runs, or at `maxiter`.
//!
//! AVX2 and AVX-512 have kernels of their own (modules `avx2` and `avx512`), on one frame
//! (module `tile`): tiles of 24 lanes, 6 rows × 4 or 3 rows × 8, stepped by one `asm!` loop,
//! the escapes recorded as the steps at which the running lanes change, and the points still
//! running at step 64 packed into full tiles. The portable path is a generic loop over the
//! trait `lanes::Lanes`: tiles of 4 rows, a lane that escapes stops counting.
//!
//! Every lane computes exactly what the scalar kernel computes, in the same order:
//! `re² + im² < 4`, then `re' = (re² - im²) + c.re` and `im' = (re·im + re·im) + c.im`
//! (`re·im + im·re` in `num-complex`, the same value). The one fused operation, in the `asm!`
//! kernels, is `im' = 2·(re·im) + c.im`: doubling is exact, so rounding the sum once gives the
//! same value. The outputs are bit for bit those of [`super::julia::calculate_z_expanded`].
//!
//! # Per processor
//!
//! [`InstructionSet::detected`] takes the widest path the processor has, except where a
//! narrower one measured faster:
//!
//! | processor | path taken | why |
//! |---|---|---|
//! | AMD Zen 4 (family 19h with AVX-512) | AVX2 | measured: the step below, and the grid, are faster on AVX2 |
//! | Intel with AVX-512 (Xeon) | AVX-512 | twice the lanes per operation (estimate below; not measured yet) |
//! | AMD Zen 3 and others with AVX2 only | AVX2 | the widest |
//! | anything else | portable | |
//!
//! Zen 4 executes a 512-bit operation as two 256-bit halves, and a compare into a mask
//! register, the only form AVX-512 has, on the two pipes that multiply, where AVX2's compare
//! into a vector runs on the two that add. A zmm row's step is then 5 operations on the
//! multiply pipes, 2 cycles each, 5 cycles for 8 lanes, where two ymm rows take 4 (4
//! operations on each pair of pipes). `julia_step_pipes` times the step alone, without loads,
//! counts or escapes (`taskset -c 1 target/release/examples/julia_step_pipes`, best of 500
//! calls of 200,000 steps, three runs alike to 0.3% on 2026-12-05 at 08:55 UTC, the machine
//! loaded by other builds; the clock from 8 dependent `vaddpd`, 3.69 GHz):
//!
//! | step of 24 lanes | cycles |
//! |---|--:|
//! | 6 ymm rows, compare into a vector (the AVX2 kernel's) | 12.0 |
//! | 6 ymm rows, compare into a mask register | 15.5 |
//! | 3 zmm rows, compare into a mask register (the AVX-512 kernel's) | 16.8–17.0 |
//! | 3 zmm rows, one with the FMA and two doubling with two adds (balancing the pipes) | 14.8 |
//! | 3 zmm rows, the sign of `(re² + im²) - 4` into a mask (`vpmovq2m`) | 15.8 |
//! | 4 zmm rows (32 lanes, scaled to 24) | 16.0–16.3 |
//!
//! No zmm form of the test comes down to AVX2's 12 cycles: the sign of `(re² + im²) - 4`
//! (valid where only the running lanes are kept, since an escaped lane may hold a NaN of
//! either sign) into a mask with `vpmovq2m` took 15.8 cycles, with `vfpclasspd` the same, and
//! kept in a vector with no mask at all, 15.0 (the last two in scratch loops, 09:10 UTC). 9
//! operations a row of 2 cycles each on 4 pipes are 13.5 cycles a step at best; only the VEX
//! compare into a vector, which has no 512-bit form, keeps the test at 8 operations.
//!
//! On the whole grid, one core, the AVX-512 kernel took 8.73 ms and the AVX2 kernel 6.53 to
//! 6.55 (best calls, `taskset -c 1 julia_simd simd 20 avx512` and `... avx2`, three
//! alternated rounds, 08:32 UTC): the steps from 64 to 300 iterations, 5.5 ms against 4.0.
//! The masks' gain, 3 instructions a step where AVX2 spends 16, does not make up for it.
//! On Intel's AVX-512 cores the multiplies, adds and FMAs of 512 bits share ports 0 and 5,
//! and the compare into a mask takes port 5: 9 operations for 8 lanes on 2 ports, 4.5 cycles
//! a row, where AVX2's 8 operations for 4 lanes on ports 0 and 1 take 4, so AVX-512 is taken
//! there; the rule is to be measured when that machine comes back (`julia_step_pipes`, and
//! `julia_simd` with `avx512` and `avx2`).
//!
//! # Floating-point limit
//!
//! The 1000², 300-iteration grid takes 33,219,980 updates, each 8 vector operations: 3
//! multiplies (`re²`, `im²`, `re·im`), the test's add and compare, `re² - im²`, `+ c.re`, and
//! the doubling with `+ c.im` (one FMA, or two adds without). Per processor kind, with 2 cores
//! as the project's machines have:
//!
//! - AMD Zen 4 (this session's EPYC, family 19h model 11h): two multiply and two add pipes of
//!   256 bits per core, 16 f64 lane operations per cycle on either width; clock 3.69 GHz
//!   (above). 33.2 M × 8 / 16 = 16.6 M cycles: **4.50 ms on one core, 2.25 ms on two**. (With
//!   AVX-512's compare on the multiply pipes, 5 of the 9 operations there: 33.2 M × 5 / 8 =
//!   20.8 M cycles, 5.62 and 2.81 ms.)
//!
//!   How close: the AVX2 kernel's best call on one core, 6.53 ms (above), is 1.45 times the
//!   one-core limit. On a quiet machine (a later session, 2026-12-06 20:34 to 21:01 UTC, eight
//!   runs of `cargo xtask report --runs 7 --vs-python --no-profile --only ch06/diffusion
//!   --only ch07/julia`), `simd` took medians of 6.86 to 7.13 ms on one core (1.52 to 1.58
//!   times the limit) and `simd-rayon` 3.47 to 4.13 ms on two, the fastest call 3.39 ms: 1.51
//!   times the two-core limit.
//! - AMD Zen 3 (the development machine of earlier sessions, AVX2 only): the same pipes and
//!   16 lane operations per cycle; clock 2.9 to 3.1 GHz from the same chain. 16.6 M cycles,
//!   2 cores × 2.93 GHz: **2.83 ms**.
//! - Intel Xeon with AVX-512 (seen in earlier sessions; clock not recorded): two 512-bit FMA
//!   units (ports 0 and 5) per core, the compare on port 5: 16 lane operations per cycle and
//!   9 operations an update, 33.2 M × 9 / 16 = 18.7 M cycles per core, 9.3 M on two; at
//!   2.5 to 3.0 GHz under AVX-512, **3.1 to 3.7 ms**. (On AVX2, 8 lane operations per cycle:
//!   twice that.)
//!
//! What keeps the AVX2 kernel above the limit, measured on the Zen 3 machine in November 2026
//! (the step alone takes 12 cycles on Zen 4 too, above):
//! - the step itself is near the limit: 6 rows of the `asm!` step, alone in a loop, take 11.7
//!   to 12.1 cycles, 2.0 per row (4 operations on each pair of pipes). With the recording of
//!   escapes, 69 instructions a step, it takes 2.2 cycles per row (on a grid of points that
//!   never escape, so that every tile runs 300 steps);
//! - a tile steps until its slowest lane is done: with the packing at step 64, the book's grid
//!   takes 1.54 M steps of 24 lanes for 33.2 M updates (90% of the lanes do useful work; 1.88 M
//!   steps without packing);
//! - every one of the 41,750 tiles of the grid is loaded, run, counted and written, and most
//!   stop within 2 steps: at 1 iteration the grid takes 1.0 to 1.4 ms on one core, 24 to 33 ns
//!   a tile. About 0.2 to 0.3 ms of it waits on memory (a scratch program that runs each
//!   24-row chunk of the grid twice in a row finds the second call, from the cache, that much
//!   faster, at 1 and at 300 iterations, 04:28 UTC); the 16 MB of points are read once and the
//!   4 MB of counts written once, and one core reads 11 GB/s, two 18 GB/s. The rest is 232
//!   instructions a tile (callgrind, `julia_simd simd 1 1`), the step's 75 among them;
//! - the steps of the tiles of the grid cost more than those of the packed tiles: 2.45 ms for
//!   the 446,000 steps between 1 and 64 iterations, 5.5 ns a step against 4.2 ns, most likely
//!   for the loop exits of the 36,000 tiles whose lanes all escape before step 64 (there are
//!   no hardware counters on this machine to count the mispredictions).
//!
//! Where the time of the grid on one core goes, from the iteration limit of `julia_simd`:
//! best calls of 10 alternated rounds of `taskset -c 1 julia_simd simd 20 N` on 2026-11-26 at
//! 04:30 and 04:33 UTC (at 300, with the batches of the table further down), this kernel
//! against the one before it (in brackets), which loaded the tile with lane-crossing shuffles
//! and kept it in Rust variables, and packed the running points through a `Vec` at the end of
//! each band:
//!
//! | iterations | time | what it adds |
//! |---|---|---|
//! | 1 | 0.98–1.38 ms (1.29–1.87) | loading, one step, counting and writing 41,750 tiles |
//! | 8 | 1.64–2.12 ms (2.02–2.83) | 106,000 steps, 36,000 loop exits |
//! | 64 | 3.42–3.43 ms (3.72–3.76) | 340,000 steps |
//! | 65 | 3.77–3.84 ms (4.58–4.60) | packing 106,000 points into 4,458 tiles |
//! | 300 | 8.12–8.36 ms (8.88–9.25) | 1.04 M steps of packed tiles, 4.2 ns each |
//!
//! The packing cost 0.82 to 0.88 ms, now 0.34 to 0.42; the rest of the gain is in the
//! per-tile work, 394 instructions a tile at 1 iteration before, 232 now, of which 36 to 48
//! were stores of 32 bytes: copies of the tile that LLVM kept on the stack around the `asm!`
//! loop. The steps themselves, in the two kernels alike, take the same 2.45 ms from 1 to 64
//! iterations.
//!
//! The 6-row kernel against the one before it, measured on 2026-11-26 between 02:40 and 02:56
//! UTC, with the other core often busy with another job (the two kernels alternated, so that
//! they met the same conditions; ranges over 2 to 6 rounds, the last two with the packing at
//! step 64):
//!
//! | command | the 6-row kernel then | the one before (4-row tiles, counted and masked step) |
//! |---|---|---|
//! | `taskset -c 1 julia_simd simd 40`, min / median | 8.8–9.4 / 9.1–10.0 ms | 14.2–16.0 / 14.8–17.8 ms |
//! | `julia_simd simd-rayon 60`, min / median | 4.4–6.8 / 4.7–8.8 ms | 7.3–8.5 / 7.9–9.1 ms |
//! | report, `simd`, median of 7 | 10.2–11.8 ms | 14.9–17.1 ms |
//! | report, `simd-rayon`, median of 7 | 6.5–9.1 ms | 8.7–14.6 ms |
//!
//! `julia_simd` is `cargo run --release -p hiperf-workloads --example julia_simd --`, warm calls
//! in one process; the report is `cargo xtask report --only ch07/julia --runs 7 --no-profile`,
//! one call per run right after building the grid. `simd-rayon` reaches 4.4 to 5 ms, 1.6 to 1.8
//! times the limit, only while the other core is idle; beside another job it gets about one
//! and a half cores. In the noisiest minutes even the pinned one-core runs took 13 to 15 ms.
//!
//! This kernel against the 6-row kernel as it was at 02:56 (its build kept aside), pinned to
//! one core and on both, 8 batches of 10 alternated rounds of 40 calls between 04:31 and 04:37
//! UTC on 2026-11-26, the other core busy with another job most of the time. The ratio is
//! taken within each round, so that both kernels meet the same minute, then its median over a
//! batch's rounds, then the median of the 8 batches:
//!
//! | command | this kernel | the 6-row kernel at 02:56 | ratio |
//! |---|---|---|---|
//! | `taskset -c 1 julia_simd simd 40`, best call | 8.12–8.31 ms | 8.88–9.25 ms | 0.91 |
//! | same, median of the round medians | 8.7–13.5 ms | 9.8–14.2 ms | 0.95 |
//! | `julia_simd simd-rayon 40`, best call | 4.24–5.82 ms | 4.73–6.17 ms | 0.91 |
//! | same, median of the round medians | 6.7–8.1 ms | 6.9–7.8 ms | 0.96 |
//!
//! (Tried and not kept: steps without the test, in batches of 8 checked at their last step and
//! replayed on an escape, which save nothing because the multiply pipes bound an untested step
//! as tightly as dispatch bounds a tested one; packing again at step 96; rows that double with
//! two adds; bands handed out alternately from the middle; prefetching 24 tiles ahead. And,
//! on the per-tile costs, none of them 3% faster at 300 iterations in alternated rounds:
//! prefetching 16 tiles ahead; a second prefetch, into L2, 40 tiles ahead; `prefetchw` on the
//! lines of counts ahead; prefetching the next band's first tiles at the end of each row;
//! reading the escape record 4 changes at a time, padded, to spare the counts loop its
//! mispredicted exit, which was 15% slower at 1 iteration.)

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(all(target_arch = "x86_64", hiperf_avx512))]
mod avx512;
mod lanes;
#[cfg(target_arch = "x86_64")]
mod tile;

use std::mem::MaybeUninit;
use std::sync::{Mutex, PoisonError};

use num_complex::Complex64;

use lanes::Lanes;

/// The widest vector any instruction set here uses, in f64 lanes: the size of the buffers a
/// tile is loaded from and stored to.
const MAX_LANES: usize = 8;

/// A point outside the radius-2 circle: padding lanes fail their first test and count 0.
const PADDING: Complex64 = Complex64 { re: 4.0, im: 0.0 };

/// The escape counts of a band, uninitialised until the band's kernel writes them.
///
/// PERF: every band writes every count of its rows, so the output is not zeroed first: zeroing
/// the grid's 4 MB took 0.3 ms on one core, before the bands could start on both.
type BandCounts<'a> = &'a mut [MaybeUninit<i32>];

/// Writes `counts` to the start of `output`.
#[inline(always)]
fn write_counts(output: &mut [MaybeUninit<i32>], counts: &[i32]) {
    for (output, &count) in output[..counts.len()].iter_mut().zip(counts) {
        output.write(count);
    }
}

/// The instruction set a SIMD kernel runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstructionSet {
    /// AVX-512F and BW: 3-row tiles of 8 lanes stepped by hand-written assembly, escape masks
    /// in mask registers.
    Avx512,
    /// AVX2 and FMA: 6-row tiles of 4 lanes stepped by hand-written assembly.
    Avx2,
    /// Plain Rust on arrays of 4 lanes, for any CPU.
    Portable,
}

impl InstructionSet {
    /// Every instruction set, widest first.
    pub const ALL: [Self; 3] = [Self::Avx512, Self::Avx2, Self::Portable];

    /// The fastest instruction set of this CPU (and this build), which the workloads run:
    /// the widest available, except on AMD's Zen 4, where the AVX2 kernel is faster than the
    /// AVX-512 one (see [`Self::prefers_avx2`]).
    ///
    /// ```
    /// use hiperf_workloads::ch07_compiling::simd::InstructionSet;
    ///
    /// assert!(InstructionSet::detected().is_available());
    /// ```
    pub fn detected() -> Self {
        let order = if Self::prefers_avx2() {
            [Self::Avx2, Self::Avx512]
        } else {
            [Self::Avx512, Self::Avx2]
        };
        order
            .into_iter()
            .find(|set| set.is_available())
            .unwrap_or(Self::Portable)
    }

    /// Whether this CPU runs the AVX2 kernel faster than the AVX-512 one: AMD's family 19h,
    /// whose AVX-512 models (Zen 4) execute a 512-bit operation as two 256-bit halves, and
    /// compare into mask registers on the two pipes that multiply. A step of 3 zmm rows then
    /// takes 15 cycles (5 operations a row on the multiply pipes, 2 cycles each), where 6 ymm
    /// rows, which compare on the add pipes, take 12. (Measured on an AMD EPYC of family 19h
    /// model 11h: see "Per processor" in the module docs.) Intel's AVX-512 cores, and any
    /// other, take the widest path.
    pub fn prefers_avx2() -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::__cpuid;
            // SAFETY: every x86-64 processor has `cpuid`, with leaves 0 and 1.
            #[allow(
                unused_unsafe,
                reason = "`__cpuid` is an unsafe function in the compilers before it became safe"
            )]
            let (vendor, signature) = unsafe { (__cpuid(0), __cpuid(1).eax) };
            let amd = [vendor.ebx, vendor.edx, vendor.ecx]
                == [
                    u32::from_le_bytes(*b"Auth"),
                    u32::from_le_bytes(*b"enti"),
                    u32::from_le_bytes(*b"cAMD"),
                ];
            let base_family = (signature >> 8) & 0xf;
            let family = if base_family == 0xf {
                base_family + ((signature >> 20) & 0xff)
            } else {
                base_family
            };
            amd && family == 0x19
        }
        #[cfg(not(target_arch = "x86_64"))]
        false
    }

    /// The path's name in the reports: the target features its kernel is compiled for,
    /// `avx512f+avx512bw` or `avx2+fma`, or `portable`.
    ///
    /// ```
    /// use hiperf_workloads::ch07_compiling::simd::InstructionSet;
    ///
    /// assert_eq!(InstructionSet::Avx2.name(), "avx2+fma");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Self::Avx512 => "avx512f+avx512bw",
            Self::Avx2 => "avx2+fma",
            Self::Portable => "portable",
        }
    }

    /// Whether the CPU supports this instruction set. AVX-512 also needs a compiler of 1.89
    /// or later, where its intrinsics and registers are stable; older ones build without that
    /// path.
    pub fn is_available(self) -> bool {
        match self {
            #[cfg(all(target_arch = "x86_64", hiperf_avx512))]
            Self::Avx512 => {
                is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512bw")
            }
            #[cfg(target_arch = "x86_64")]
            Self::Avx2 => is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"),
            Self::Portable => true,
            #[allow(
                unreachable_patterns,
                reason = "reached on targets or compilers without the SIMD paths"
            )]
            _ => false,
        }
    }

    /// Rows per band: the independent vectors a tile keeps in flight.
    fn rows(self) -> usize {
        match self {
            #[cfg(all(target_arch = "x86_64", hiperf_avx512))]
            Self::Avx512 => avx512::ROWS,
            #[cfg(target_arch = "x86_64")]
            Self::Avx2 => avx2::ROWS,
            _ => 4,
        }
    }

    /// Runs the kernel over one band (`zs` and `output` are `rows()` rows of `width`, or fewer
    /// at the bottom of the grid).
    fn band(self, maxiter: i32, zs: &[Complex64], width: usize, c: Complex64, output: BandCounts) {
        assert!(self.is_available(), "{self:?} is not available on this CPU");
        match self {
            #[cfg(all(target_arch = "x86_64", hiperf_avx512))]
            // SAFETY: the assert above checked that the CPU supports AVX-512F and BW.
            Self::Avx512 => unsafe { avx512::band(maxiter, zs, width, c, output) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the assert above checked that the CPU supports AVX2 and FMA.
            Self::Avx2 => unsafe { avx2::band(maxiter, zs, width, c, output) },
            _ => band(lanes::Portable, maxiter, zs, width, c, output),
        }
    }
}

/// The SIMD kernel on one core: escape counts of `zs`, a row-major grid `width` points wide,
/// for the constant `c`, on the instruction set `set`.
///
/// # Panics
///
/// If `set` is not available on this CPU, or if `zs` is not a whole number of rows.
///
/// ```
/// use hiperf_workloads::ch02_julia::{C, build_grid};
/// use hiperf_workloads::ch07_compiling::simd::{InstructionSet, calculate_z_simd};
///
/// let (zs, _) = build_grid(100);
/// let output = calculate_z_simd(InstructionSet::detected(), 300, &zs, 100, C);
/// assert_eq!(output.iter().map(|&n| i64::from(n)).sum::<i64>(), 334_236);
/// ```
pub fn calculate_z_simd(
    set: InstructionSet,
    maxiter: i32,
    zs: &[Complex64],
    width: usize,
    c: Complex64,
) -> Vec<i32> {
    let band_len = band_len(set, zs, width, c);
    let mut output = Vec::with_capacity(zs.len());
    let counts = &mut output.spare_capacity_mut()[..zs.len()];
    for (zs, counts) in zs.chunks(band_len).zip(counts.chunks_mut(band_len)) {
        set.band(maxiter, zs, width, c, counts);
    }
    // SAFETY: the chunks of `counts` cover its `zs.len()` elements, and `band` writes every
    // element of its chunk (see `BandCounts`).
    unsafe { output.set_len(zs.len()) };
    output
}

/// [`calculate_z_simd`] on every core of rayon's pool: the calling thread and one task per
/// other thread of the pool take the bands in order, each the next band when it is free (cost
/// per band varies from a few to 300 steps per point).
///
/// PERF: the calling thread works too, and only the other threads have to wake: with the bands
/// as rayon tasks, which the calling thread only waits for, the grid took 7.7 to 8.7 ms in the
/// report's runs (one call each, after building the grid), against 6.5 to 7.1 this way (9.1
/// once, beside another job).
///
/// # Panics
///
/// As [`calculate_z_simd`].
pub fn calculate_z_simd_rayon(
    set: InstructionSet,
    maxiter: i32,
    zs: &[Complex64],
    width: usize,
    c: Complex64,
) -> Vec<i32> {
    let band_len = band_len(set, zs, width, c);
    let mut output = Vec::with_capacity(zs.len());
    let counts = &mut output.spare_capacity_mut()[..zs.len()];
    let bands = Mutex::new(zs.chunks(band_len).zip(counts.chunks_mut(band_len)));
    let work = || {
        loop {
            let band = bands.lock().unwrap_or_else(PoisonError::into_inner).next();
            let Some((zs, counts)) = band else { break };
            set.band(maxiter, zs, width, c, counts);
        }
    };
    rayon::in_place_scope(|scope| {
        for _ in 1..rayon::current_num_threads() {
            scope.spawn(|_| work());
        }
        work();
    });
    // SAFETY: as in `calculate_z_simd`: the bands cover the `zs.len()` counts, every band is
    // taken by one of the threads, and each writes all of its chunk.
    unsafe { output.set_len(zs.len()) };
    output
}

/// Points per band, after checking the shape and the constant.
fn band_len(set: InstructionSet, zs: &[Complex64], width: usize, c: Complex64) -> usize {
    assert!(
        width > 0 && zs.len().is_multiple_of(width),
        "{} points do not make rows of {width}",
        zs.len()
    );
    // The lanes of a tile keep stepping after they escape, and stop counting only because an
    // escaped point stays escaped: if |z| ≥ 2 ≥ |c| then |z² + c| ≥ |z|² - |c| ≥ 2, and beyond
    // overflow the lanes hold infinities and NaNs, which fail `< 4`. With |c| ≤ 1 the margin
    // (|z'| ≥ 3) dwarfs any rounding; the book's c has |c| = 0.757.
    assert!(
        c.norm_sqr() <= 1.0,
        "the SIMD kernels need |c| <= 1, got {c}"
    );
    width * set.rows()
}

/// The kernel over one band, for any instruction set: tiles of 2 or 4 vectors, each stepped
/// until none of its lanes runs.
#[inline(always)]
fn band<L: Lanes>(
    isa: L,
    maxiter: i32,
    zs: &[Complex64],
    width: usize,
    c: Complex64,
    output: BandCounts,
) {
    // A short band at the bottom of the grid is padded to 2 or 4 rows.
    match zs.len() / width {
        1 | 2 => band_of::<L, 1>(isa, maxiter, zs, width, c, output),
        3 | 4 => band_of::<L, 2>(isa, maxiter, zs, width, c, output),
        rows => unreachable!("bands have at most 4 rows, got {rows}"),
    }
}

/// One band of up to `2 * PAIRS` rows.
#[inline(always)]
fn band_of<L: Lanes, const PAIRS: usize>(
    isa: L,
    maxiter: i32,
    zs: &[Complex64],
    width: usize,
    c: Complex64,
    output: BandCounts,
) {
    let rows = zs.len() / width;
    let four = isa.splat(4.0);
    let c_re = isa.splat(c.re);
    let c_im = isa.splat(c.im);
    let mut count_buffers = [[0; MAX_LANES]; 2];
    for column in (0..width).step_by(L::WIDTH) {
        let lanes = L::WIDTH.min(width - column);
        // Row `2 * pair + half` of the band is `re[pair][half]`, `im[pair][half]`.
        let mut re = [[isa.splat(0.0); 2]; PAIRS];
        let mut im = [[isa.splat(0.0); 2]; PAIRS];
        for row in 0..2 * PAIRS {
            let start = row * width + column;
            let (x, y) = if row < rows && lanes == L::WIDTH {
                isa.load_points(&zs[start..start + L::WIDTH])
            } else {
                let mut padded = [PADDING; MAX_LANES];
                if row < rows {
                    padded[..lanes].copy_from_slice(&zs[start..start + lanes]);
                }
                isa.load_points(&padded[..L::WIDTH])
            };
            re[row / 2][row % 2] = x;
            im[row / 2][row % 2] = y;
        }
        let mut counts = [isa.no_counts(); PAIRS];
        // Whether any lane ran in the previous step (every lane may run in the first).
        let mut any_running = true;
        for _ in 0..maxiter {
            // PERF: the exit test comes first, on the previous step's masks. Tested after the
            // update, it lets the compiler sink the update below the branch, which keeps `re²`
            // and `im²` alive across it and spills the tile's state to the stack.
            if !any_running {
                break;
            }
            let mut running = [isa.pair(isa.below(four, four), isa.below(four, four)); PAIRS];
            for pair in 0..PAIRS {
                let mut passed = [isa.below(four, four); 2];
                for half in 0..2 {
                    let (x, y) = (re[pair][half], im[pair][half]);
                    let x2 = isa.mul(x, x);
                    let y2 = isa.mul(y, y);
                    passed[half] = isa.below(isa.add(x2, y2), four);
                    let product = isa.mul(x, y);
                    re[pair][half] = isa.add(isa.sub(x2, y2), c_re);
                    im[pair][half] = isa.add(isa.add(product, product), c_im);
                }
                running[pair] = isa.pair(passed[0], passed[1]);
                counts[pair] = isa.count(counts[pair], running[pair]);
            }
            any_running = isa.any(
                running[1..]
                    .iter()
                    .fold(running[0], |any, &mask| isa.either(any, mask)),
            );
        }
        for (pair, &counts) in counts.iter().enumerate() {
            let [first, second] = &mut count_buffers;
            isa.store(counts, first, second);
            for (half, buffer) in count_buffers.iter().enumerate() {
                let row = 2 * pair + half;
                let start = row * width + column;
                if row < rows && lanes == L::WIDTH {
                    // PERF: a length known at compile time is a few moves, not a `memcpy` call.
                    write_counts(&mut output[start..start + L::WIDTH], &buffer[..L::WIDTH]);
                } else if row < rows {
                    write_counts(&mut output[start..start + lanes], &buffer[..lanes]);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ch02_julia::{C, build_grid, check};
    use crate::ch07_compiling::julia::calculate_z_expanded;

    /// Every instruction set this CPU has: the portable path always, AVX2 and AVX-512 when
    /// detected (and printed, so a test log says which paths ran).
    fn available_sets() -> Vec<InstructionSet> {
        let sets: Vec<_> = InstructionSet::ALL
            .into_iter()
            .filter(|set| set.is_available())
            .collect();
        println!("instruction sets tested: {sets:?}");
        sets
    }

    #[test]
    fn every_available_instruction_set_matches_the_book_at_widths_100_and_500() {
        for width in [100, 500] {
            let (zs, _) = build_grid(width);
            for set in available_sets() {
                for kernel in [calculate_z_simd, calculate_z_simd_rayon] {
                    let output = kernel(set, 300, &zs, width, C);
                    check(width, 300, width * width, &output)
                        .unwrap_or_else(|error| panic!("{set:?} at width {width}: {error}"));
                }
            }
        }
    }

    #[test]
    fn the_detected_set_is_the_widest_except_where_avx2_measured_faster() {
        let detected = InstructionSet::detected();
        println!(
            "detected {detected:?}, prefers AVX2: {}",
            InstructionSet::prefers_avx2()
        );
        let expected = if InstructionSet::Avx2.is_available() && InstructionSet::prefers_avx2() {
            InstructionSet::Avx2
        } else {
            InstructionSet::ALL
                .into_iter()
                .find(|set| set.is_available())
                .unwrap()
        };
        assert_eq!(detected, expected);
    }

    #[test]
    fn avx2_path_runs_when_the_cpu_has_avx2() {
        let (zs, _) = build_grid(100);
        if InstructionSet::Avx2.is_available() {
            check(
                100,
                300,
                10_000,
                &calculate_z_simd(InstructionSet::Avx2, 300, &zs, 100, C),
            )
            .unwrap();
        } else {
            println!("no AVX2 on this CPU: path not run");
        }
    }

    #[test]
    fn avx512_path_runs_when_the_cpu_has_avx512() {
        let (zs, _) = build_grid(100);
        if InstructionSet::Avx512.is_available() {
            check(
                100,
                300,
                10_000,
                &calculate_z_simd(InstructionSet::Avx512, 300, &zs, 100, C),
            )
            .unwrap();
        } else {
            println!("no AVX-512F on this CPU (or compiler older than 1.89): path not run");
        }
    }

    /// Every available instruction set, serial and on rayon, gives the scalar kernel's count
    /// for every point of `zs` (rows of `width`).
    fn assert_matches_the_scalar_kernel(zs: &[Complex64], width: usize, maxiter: i32) {
        let expected = calculate_z_expanded(maxiter, zs, C);
        let rows = zs.len() / width;
        for set in available_sets() {
            assert_eq!(
                calculate_z_simd(set, maxiter, zs, width, C),
                expected,
                "{set:?}, {width}x{rows}, {maxiter} iterations"
            );
            assert_eq!(
                calculate_z_simd_rayon(set, maxiter, zs, width, C),
                expected,
                "{set:?} on rayon, {width}x{rows}, {maxiter} iterations"
            );
        }
    }

    /// Point `index` of a `width × rows` grid over the book's region.
    fn region_point(index: usize, width: usize, rows: usize) -> Complex64 {
        Complex64::new(
            -1.8 + 3.6 * (index % width) as f64 / width as f64,
            1.8 - 3.6 * (index / width) as f64 / rows as f64,
        )
    }

    #[test]
    fn packed_tiles_equal_the_scalar_kernel_point_for_point() {
        // The book's region on a grid of 203 × 203: the last band is short and the last tile of
        // each row ragged, points escape at every step up to 300, and the limits stop tiles
        // before, at and after the step where the AVX2 kernel packs the running points.
        let (zs, _) = build_grid(203);
        for maxiter in [1, 31, 32, 33, 63, 64, 65, 100, 300] {
            assert_matches_the_scalar_kernel(&zs, 203, maxiter);
        }
    }

    #[test]
    fn points_that_never_escape_count_the_limit() {
        // 0 is inside the book's Julia set: every lane runs to the limit, in the tiles of the
        // grid and in the packed ones.
        let zs = vec![Complex64::new(0.0, 0.0); 48 * 7];
        for set in available_sets() {
            for maxiter in [0, 33, 1000] {
                assert_eq!(
                    calculate_z_simd(set, maxiter, &zs, 48, C),
                    vec![maxiter; zs.len()],
                    "{set:?}, {maxiter} iterations"
                );
            }
        }
    }

    #[test]
    fn ragged_grids_equal_the_scalar_kernel_point_for_point() {
        // Widths that are not a multiple of any lane count, and row counts that leave a short
        // band, so every padding path runs; iteration limits that stop tiles mid-flight.
        for (width, rows, maxiter) in [(37, 13, 300), (9, 3, 50), (1, 5, 7), (24, 6, 0)] {
            let zs: Vec<Complex64> = (0..width * rows)
                .map(|index| region_point(index, width, rows))
                .collect();
            assert_matches_the_scalar_kernel(&zs, width, maxiter);
        }
    }

    #[test]
    fn running_points_packed_across_tiles_and_bands_equal_the_scalar_kernel() {
        // A third of the points at 0, inside the set, scattered among points of the book's
        // region: each band has a number of points running at step 64 that is not a multiple
        // of 24, so packed tiles fill from several tiles of the grid, including ragged ones,
        // and each band ends with a partial packed tile.
        let (width, rows) = (45, 20);
        let zs: Vec<Complex64> = (0..width * rows)
            .map(|index| {
                if index % 3 == 0 {
                    Complex64::new(0.0, 0.0)
                } else {
                    region_point(index, width, rows)
                }
            })
            .collect();
        for maxiter in [64, 65, 80, 300] {
            assert_matches_the_scalar_kernel(&zs, width, maxiter);
        }
    }

    #[test]
    #[should_panic(expected = "do not make rows")]
    fn points_that_are_not_whole_rows_are_rejected() {
        calculate_z_simd(
            InstructionSet::Portable,
            300,
            &[Complex64::new(0.0, 0.0); 10],
            3,
            C,
        );
    }

    #[test]
    #[should_panic(expected = "need |c| <= 1")]
    fn constants_outside_the_proven_range_are_rejected() {
        calculate_z_simd(
            InstructionSet::Portable,
            300,
            &[Complex64::new(0.0, 0.0); 4],
            2,
            Complex64::new(1.5, 0.0),
        );
    }
}
