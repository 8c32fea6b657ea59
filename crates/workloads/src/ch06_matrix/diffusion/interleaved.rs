//! The SIMD pass on a lane-interleaved grid: each row is cut into `W` segments (W = 8 lanes on
//! AVX-512F, 4 on AVX2 and the portable path) and lane `k` of vector `p` holds column
//! `k·cols/W + p`. A cell's left and right neighbours are then lane `k` of vectors `p − 1` and
//! `p + 1`: whole, aligned vectors, with no load straddling two vectors and no shuffle, except at
//! the ends of the row, where the wrap-around neighbour is the next segment's first column (or
//! the previous segment's last), one lane rotation away.
//!
//! Every cell is still [`super::cell_a`] of the same five values, rounded as it rounds them:
//! the grid is bit-exact with order A. Where FMA is present (the `avx2+fma` path, and
//! AVX-512F), two of the adds are fused multiply-adds whose product is exact (`c·(−4) + u`
//! and `t·1 + l`), which round once as the add does, so that the six operations of a cell are
//! three on the multiply pipes and three on the add pipes instead of two and five. The grid is
//! interleaved before the first step and put back after the last, inside the timed region.
//!
//! PERF: on the 2-core Zen 3 machine (AVX2) at book size. The row-major loop of
//! [`super::simd`] issues five loads per vector, two of them unaligned (one in two straddles a
//! cache line); here each vector takes three loads (up, down and the next centre; the centre
//! and left are the previous iteration's), all aligned. Measured on 2026-11-26:
//! - in a stand-alone program running both passes alternately (02:00 UTC, medians of 5 to 7):
//!   one core 59 to 74 ms against 86 to 98 ms for the row-major pass, two cores (rayon, 8
//!   bands) 35 to 36 ms against 60 ms;
//! - in `cargo xtask report --only ch06/diffusion --only ch07/julia --vs-python --runs 7
//!   --no-profile` (03:10 UTC, a slower hour for this machine's memory, when NumPy's in-place
//!   program also took 0.85 s instead of its 0.59 s baseline): 72.8 ms against 110.6 ms on one
//!   core, 58.5 ms against 69.1 ms on two.
//!
//! The fused multiply-adds, unchecked loads and two vectors per iteration (12 instructions a
//! vector instead of 17) were measured on 2026-11-26 at 03:45–03:50 UTC with
//! `taskset -c 0 target/release/examples/diffusion_passes interleaved 3 100000 5` (three rows,
//! which stay in L1), the binaries before and after alternated six times on a host whose speed
//! swung twofold from minute to minute: fastest run 43.3 ms after against 51.1 ms before (48.7
//! with the fused multiply-adds alone). On the book's grid (`... interleaved 640 500 5`) one
//! core gained nothing measurable (66 to 74 ms either way): there the rows come from L2 and
//! L3. On two cores (`... interleaved-rayon 640 500 7`) the pass took 39 to 47 ms (medians,
//! three rounds at 03:50 UTC).
//!
//! Temporal blocking in this layout (rings of whole rows, 2 to 16 steps per sweep, bands with
//! halos over rayon, the wavefront of [`super::blocked`]) was slower at every depth
//! tried, before the changes above (42 to 47 ms against 42 ms in the stand-alone program) and
//! after (medians of 54 to 85 ms against 39 to 47 ms, 03:50 UTC): a level's input rows were
//! made a whole wavefront earlier and come from L2, where the plain pass reads the rows it has
//! just read, from L1.
//!
//! Measured again on the 2-core Zen 4 machine (AVX-512F) at book size, 2026-12-06, scratch builds,
//! each against the pass of its time, alternated, with `diffusion_passes`:
//! - this layout's rows through [`super::blocked`]'s wavefront, after the prefetch
//!   (`PREFETCH_AHEAD`): one core gained at two steps per sweep (40.8 against 47.7 ms) and
//!   lost from three (51 to 52 ms: the levels' rings no longer fit L1); on two cores the
//!   medians were above the plain pass's (32 to 33 ms against 25 to 26, minimums 21.6 to 22.1
//!   against 24.5 to 24.8), one band per thread, each sweep waiting for the slower;
//! - two steps per sweep again, after the passes went down and up in turn ([`step_rayon`]),
//!   each band through a ring of three rows per thread in the step's direction (05:15 UTC,
//!   four rounds of `... interleaved-rayon 640 500 21`): minimums 22.1 to 22.7 ms, as without;
//! - the step in place (one grid, each new row written back a row later, so that no line is
//!   read for ownership): 54.5 against 47.5 ms on one core, 32 against 24.5 ms on two;
//! - a second, farther prefetch of the lower row into L2 (2 KB ahead): 5% on one core, 2% on
//!   two.

use rayon::prelude::*;

use super::fused::{self, AlignedGrid};
use super::{D, DT, Shape, initial_grid};
use crate::Run;

/// The vectors of one instruction set, with the operations the pass needs.
///
/// A value of an implementing type is a proof that its instruction set is enabled where the
/// value is used: the x86 types are created only inside their `#[target_feature]` functions.
trait Lanes: Copy {
    /// f64 lanes per vector.
    const WIDTH: usize;
    /// A vector of f64.
    type Vector: Copy;

    fn splat(self, value: f64) -> Self::Vector;
    /// The `WIDTH` values at `row[index·WIDTH ..]`.
    fn load(self, row: &[f64], index: usize) -> Self::Vector;
    /// The `WIDTH` values at `row + index·WIDTH`.
    ///
    /// # Safety
    ///
    /// They must be in one allocation, initialised.
    unsafe fn load_unchecked(self, row: *const f64, index: usize) -> Self::Vector;
    /// Writes `value` to the `WIDTH` values at `row + index·WIDTH`.
    ///
    /// # Safety
    ///
    /// They must be in one allocation that nothing else refers to.
    unsafe fn store_unchecked(self, row: *mut f64, index: usize, value: Self::Vector);
    fn add(self, a: Self::Vector, b: Self::Vector) -> Self::Vector;
    fn mul(self, a: Self::Vector, b: Self::Vector) -> Self::Vector;
    /// `a·b + c` where the product `a·b` is exact (`b` a power of two, or one), so that one
    /// rounding (a fused multiply-add) and two (a multiply, then an add) give the same value.
    fn mul_add_exact(self, a: Self::Vector, b: Self::Vector, c: Self::Vector) -> Self::Vector;
    /// Lane `k` takes lane `k − 1`, lane 0 the last lane.
    fn rotate_up(self, value: Self::Vector) -> Self::Vector;
    /// Lane `k` takes lane `k + 1`, the last lane lane 0.
    fn rotate_down(self, value: Self::Vector) -> Self::Vector;
}

/// How far ahead of the loads the row pass asks for the centre row and the row its direction
/// brings in (the lower row going down, the upper going up; see [`Rows`]), in cells: 1280
/// bytes, 20 cache lines (one prefetch per row per iteration, so every other line on AVX-512F
/// and every line on AVX2).
///
/// PERF: measured before the passes went down and up in turn, when they all went down. On the
/// 2-core Zen 4 machine (AVX-512F) at book size, the rows come from L3 and the
/// hardware prefetchers alone left the pass waiting on them. Measured on 2026-12-06 (03:45 to
/// 03:55 UTC) with `diffusion_passes`, distances and rows set from the environment in a scratch
/// build, every setting alternated in one run:
/// - one core (`taskset -c 1 ... interleaved 640 500 7`): 53.0 ms without, 45.7 ms with the
///   three input rows 16 vectors ahead, 42.4 ms with the centre and lower rows only (the upper
///   row is the previous row's centre, still in L1), 51.5 ms with the centre row only; 12
///   vectors ahead was too close (45.8 ms), 32 too far (45.0 ms); asking for the output row
///   with `prefetchw` as well cost 2.7 ms at 16 vectors ahead and 0.5 ms at 20;
/// - two cores (`... interleaved-rayon 640 500 21`, three rounds): medians 31.8, 30.5 and
///   29.3 ms without, 23.6, 23.5 and 24.8 ms with the centre and lower rows 20 vectors ahead
///   (minimums 27.7 against 22.9 ms);
/// - this constant against the build before it, alternated (03:58 UTC, a slower minute): one
///   core 53.0, 52.5 and 52.7 ms before, 48.6, 47.5 and 47.7 ms after (medians of 7); two cores,
///   minimums 27.6 to 27.9 ms before, 24.3 to 24.9 ms after, medians too noisy to compare.
const PREFETCH_AHEAD: usize = 1280 / size_of::<f64>();

/// Asks for the cache line holding `cell` to be brought to L1; no-op where there is no such
/// hint. A prefetch never faults, so `cell` may lie past the end of its row.
#[inline(always)]
fn prefetch(cell: *const f64) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `prefetcht0` (SSE, in every x86-64 CPU) reads nothing architecturally and never
    // faults, whatever the address.
    unsafe {
        use core::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(cell.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = cell;
}

/// The order a pass takes the rows in: the row it reads for the first time at row `i` is
/// `i + 1` going down and `i − 1` going up, and that is the row it prefetches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rows {
    /// Row 0 first.
    Down,
    /// The last row first.
    Up,
}

impl Rows {
    /// The order of step `index` of a run: down, then up, in turn.
    pub fn of_step(index: usize) -> Rows {
        if index.is_multiple_of(2) {
            Rows::Down
        } else {
            Rows::Up
        }
    }
}

/// One row of the step in the interleaved layout: `out` from the rows `up`, `center` and
/// `down` (each `WIDTH × vectors` cells, `vectors` ≥ 2), in a pass that goes `rows`.
#[inline(always)]
fn row<L: Lanes>(lanes: L, [up, center, down]: [&[f64]; 3], out: &mut [f64], rows: Rows) {
    let vectors = out.len() / L::WIDTH;
    assert!(
        vectors >= 2
            && out.len() == vectors * L::WIDTH
            && up.len() == out.len()
            && center.len() == out.len()
            && down.len() == out.len(),
        "rows of at least two whole vectors"
    );
    let minus_four = lanes.splat(-4.0);
    let d_dt = lanes.splat(D * DT);
    // Hidden from the compiler, which would turn `x·1 + y` back into an add.
    let one = lanes.splat(std::hint::black_box(1.0));
    // Order A, as `super::cell_a`, on whole vectors: `c·(−4)` is exact, so `c·(−4) + u` fused
    // rounds as the multiply and the add do, and so does `t·1 + l`.
    //
    // PERF: with fused multiply-adds the six operations are three on the multiply pipes and
    // three on the add pipes; as two multiplies and five adds, the add pipes were the limit.
    let cell = |c, u, d, l, r| {
        let mut t = lanes.mul_add_exact(c, minus_four, u);
        t = lanes.add(t, d);
        t = lanes.mul_add_exact(t, one, l);
        t = lanes.add(t, r);
        lanes.add(lanes.mul(t, d_dt), c)
    };
    let first = lanes.load(center, 0);
    let last = lanes.load(center, vectors - 1);
    // PERF: unchecked loads and stores, two vectors an iteration: 12 instructions a vector
    // instead of 17 (bounds checks and register moves), which made a row that stays in L1
    // about 15% faster (see the module's notes).
    let (up, down) = (up.as_ptr(), down.as_ptr());
    let (center, out) = (center.as_ptr(), out.as_mut_ptr());
    let incoming = match rows {
        Rows::Down => down,
        Rows::Up => up,
    };
    // SAFETY (the loads and stores below): vector `index` of each row, `index < vectors`, and
    // the four rows are `vectors` whole vectors long (asserted above); `out`, a `&mut`, is
    // none of the others.
    macro_rules! step {
        ($index:expr, $left:expr, $current:expr, $next:expr) => {{
            let index = $index;
            let value = cell(
                $current,
                lanes.load_unchecked(up, index),
                lanes.load_unchecked(down, index),
                $left,
                $next,
            );
            lanes.store_unchecked(out, index, value);
        }};
    }
    // Column `k·S` (vector 0, lane k) has on its left column `k·S − 1`: the last vector's lane
    // `k − 1`, and for k = 0 the grid's last column, its last lane.
    let mut left = lanes.rotate_up(last);
    let mut current = first;
    let mut index = 0;
    // Two vectors per iteration, so that the neighbours change roles without moves.
    while index + 2 < vectors {
        prefetch(center.wrapping_add(index * L::WIDTH + PREFETCH_AHEAD));
        prefetch(incoming.wrapping_add(index * L::WIDTH + PREFETCH_AHEAD));
        // SAFETY: as above, `index + 2 < vectors`.
        unsafe {
            let next = lanes.load_unchecked(center, index + 1);
            let after = lanes.load_unchecked(center, index + 2);
            step!(index, left, current, next);
            step!(index + 1, current, next, after);
            (left, current) = (next, after);
        }
        index += 2;
    }
    if index + 2 == vectors {
        // SAFETY: as above, `index + 1 < vectors`.
        unsafe {
            let next = lanes.load_unchecked(center, index + 1);
            step!(index, left, current, next);
            (left, current) = (current, next);
        }
        index += 1;
    }
    // And column `k·S + S − 1` has on its right column `(k + 1)·S`: the first vector's lane
    // `k + 1`, and for the last lane the grid's first column.
    debug_assert_eq!(index, vectors - 1);
    // SAFETY: as above, `index < vectors`.
    unsafe { step!(index, left, current, lanes.rotate_down(first)) };
}

/// Plain arrays of 4 lanes, for any CPU.
#[derive(Clone, Copy, Debug)]
struct Portable;

impl Lanes for Portable {
    const WIDTH: usize = 4;
    type Vector = [f64; 4];

    #[inline(always)]
    fn splat(self, value: f64) -> [f64; 4] {
        [value; 4]
    }
    #[inline(always)]
    fn load(self, row: &[f64], index: usize) -> [f64; 4] {
        row[index * 4..index * 4 + 4].try_into().expect("4 lanes")
    }
    #[inline(always)]
    unsafe fn load_unchecked(self, row: *const f64, index: usize) -> [f64; 4] {
        // SAFETY: the caller's.
        unsafe { row.add(index * 4).cast::<[f64; 4]>().read_unaligned() }
    }
    #[inline(always)]
    unsafe fn store_unchecked(self, row: *mut f64, index: usize, value: [f64; 4]) {
        // SAFETY: the caller's.
        unsafe { row.add(index * 4).cast::<[f64; 4]>().write_unaligned(value) }
    }
    #[inline(always)]
    fn add(self, a: [f64; 4], b: [f64; 4]) -> [f64; 4] {
        std::array::from_fn(|lane| a[lane] + b[lane])
    }
    #[inline(always)]
    fn mul(self, a: [f64; 4], b: [f64; 4]) -> [f64; 4] {
        std::array::from_fn(|lane| a[lane] * b[lane])
    }
    #[inline(always)]
    fn mul_add_exact(self, a: [f64; 4], b: [f64; 4], c: [f64; 4]) -> [f64; 4] {
        self.add(self.mul(a, b), c)
    }
    #[inline(always)]
    fn rotate_up(self, value: [f64; 4]) -> [f64; 4] {
        std::array::from_fn(|lane| value[(lane + 3) % 4])
    }
    #[inline(always)]
    fn rotate_down(self, value: [f64; 4]) -> [f64; 4] {
        std::array::from_fn(|lane| value[(lane + 1) % 4])
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use core::arch::x86_64::*;

    use super::{Lanes, Rows, row};

    /// AVX2 vectors, with FMA; created only in [`row_avx2`].
    #[derive(Clone, Copy, Debug)]
    struct Avx2(());

    /// [`super::row`] with AVX2 and FMA enabled.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn row_avx2(rows_in: [&[f64]; 3], out: &mut [f64], rows: Rows) {
        row(Avx2(()), rows_in, out, rows);
    }

    // SAFETY (every block below): an `Avx2` value exists only inside `row_avx2`, which runs
    // with AVX2 and FMA enabled; the safe loads are bounds-checked by the slice indexing, the
    // unchecked ones are the caller's to keep in bounds.
    impl Lanes for Avx2 {
        const WIDTH: usize = 4;
        type Vector = __m256d;

        #[inline(always)]
        fn splat(self, value: f64) -> __m256d {
            unsafe { _mm256_set1_pd(value) }
        }
        #[inline(always)]
        fn load(self, row: &[f64], index: usize) -> __m256d {
            let lanes = &row[index * 4..index * 4 + 4];
            unsafe { _mm256_loadu_pd(lanes.as_ptr()) }
        }
        #[inline(always)]
        unsafe fn load_unchecked(self, row: *const f64, index: usize) -> __m256d {
            // SAFETY: the caller's.
            unsafe { _mm256_loadu_pd(row.add(index * 4)) }
        }
        #[inline(always)]
        unsafe fn store_unchecked(self, row: *mut f64, index: usize, value: __m256d) {
            // SAFETY: the caller's.
            unsafe { _mm256_storeu_pd(row.add(index * 4), value) }
        }
        #[inline(always)]
        fn add(self, a: __m256d, b: __m256d) -> __m256d {
            unsafe { _mm256_add_pd(a, b) }
        }
        #[inline(always)]
        fn mul(self, a: __m256d, b: __m256d) -> __m256d {
            unsafe { _mm256_mul_pd(a, b) }
        }
        #[inline(always)]
        fn mul_add_exact(self, a: __m256d, b: __m256d, c: __m256d) -> __m256d {
            unsafe { _mm256_fmadd_pd(a, b, c) }
        }
        #[inline(always)]
        fn rotate_up(self, value: __m256d) -> __m256d {
            // Lanes 0, 1, 2, 3 take 3, 0, 1, 2.
            unsafe { _mm256_permute4x64_pd::<0b10_01_00_11>(value) }
        }
        #[inline(always)]
        fn rotate_down(self, value: __m256d) -> __m256d {
            // Lanes 0, 1, 2, 3 take 1, 2, 3, 0.
            unsafe { _mm256_permute4x64_pd::<0b00_11_10_01>(value) }
        }
    }

    /// AVX-512F vectors; created only in [`row_avx512`].
    #[cfg(hiperf_avx512)]
    #[derive(Clone, Copy, Debug)]
    struct Avx512(());

    /// [`super::row`] with AVX-512F enabled.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX-512F.
    #[cfg(hiperf_avx512)]
    #[target_feature(enable = "avx512f")]
    pub unsafe fn row_avx512(rows_in: [&[f64]; 3], out: &mut [f64], rows: Rows) {
        row(Avx512(()), rows_in, out, rows);
    }

    // SAFETY (every block below): an `Avx512` value exists only inside `row_avx512`, which
    // runs with AVX-512F enabled; the safe loads are bounds-checked by the slice indexing, the
    // unchecked ones are the caller's to keep in bounds.
    #[cfg(hiperf_avx512)]
    impl Lanes for Avx512 {
        const WIDTH: usize = 8;
        type Vector = __m512d;

        #[inline(always)]
        fn splat(self, value: f64) -> __m512d {
            unsafe { _mm512_set1_pd(value) }
        }
        #[inline(always)]
        fn load(self, row: &[f64], index: usize) -> __m512d {
            let lanes = &row[index * 8..index * 8 + 8];
            unsafe { _mm512_loadu_pd(lanes.as_ptr()) }
        }
        #[inline(always)]
        unsafe fn load_unchecked(self, row: *const f64, index: usize) -> __m512d {
            // SAFETY: the caller's.
            unsafe { _mm512_loadu_pd(row.add(index * 8)) }
        }
        #[inline(always)]
        unsafe fn store_unchecked(self, row: *mut f64, index: usize, value: __m512d) {
            // SAFETY: the caller's.
            unsafe { _mm512_storeu_pd(row.add(index * 8), value) }
        }
        #[inline(always)]
        fn add(self, a: __m512d, b: __m512d) -> __m512d {
            unsafe { _mm512_add_pd(a, b) }
        }
        #[inline(always)]
        fn mul(self, a: __m512d, b: __m512d) -> __m512d {
            unsafe { _mm512_mul_pd(a, b) }
        }
        #[inline(always)]
        fn mul_add_exact(self, a: __m512d, b: __m512d, c: __m512d) -> __m512d {
            unsafe { _mm512_fmadd_pd(a, b, c) }
        }
        #[inline(always)]
        fn rotate_up(self, value: __m512d) -> __m512d {
            // Lane k takes lane k − 1 (`_mm512_set_epi64` lists lane 7 first).
            unsafe { _mm512_permutexvar_pd(_mm512_set_epi64(6, 5, 4, 3, 2, 1, 0, 7), value) }
        }
        #[inline(always)]
        fn rotate_down(self, value: __m512d) -> __m512d {
            // Lane k takes lane k + 1.
            unsafe { _mm512_permutexvar_pd(_mm512_set_epi64(0, 7, 6, 5, 4, 3, 2, 1), value) }
        }
    }
}

/// An instruction set the interleaved pass runs on. Only [`Isa::available`] makes one, so
/// holding an `Isa` proves its instructions exist here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Isa {
    kind: Kind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    #[cfg(all(target_arch = "x86_64", hiperf_avx512))]
    Avx512,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    Portable,
}

impl Isa {
    /// Every instruction set this machine runs, widest first (the portable one always).
    pub fn available() -> Vec<Isa> {
        let mut sets = Vec::new();
        #[cfg(all(target_arch = "x86_64", hiperf_avx512))]
        if is_x86_feature_detected!("avx512f") {
            sets.push(Isa { kind: Kind::Avx512 });
        }
        #[cfg(target_arch = "x86_64")]
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            sets.push(Isa { kind: Kind::Avx2 });
        }
        sets.push(Isa {
            kind: Kind::Portable,
        });
        sets
    }

    /// The widest instruction set whose vectors cut `cols` into segments of at least two
    /// columns, if any does.
    pub fn for_columns(cols: usize) -> Option<Isa> {
        Isa::available().into_iter().find(|isa| isa.fits(cols))
    }

    /// Whether rows of `cols` columns make whole vectors, at least two per row.
    pub fn fits(self, cols: usize) -> bool {
        cols.is_multiple_of(self.lanes()) && cols / self.lanes() >= 2
    }

    /// f64 lanes per vector.
    pub fn lanes(self) -> usize {
        match self.kind {
            #[cfg(all(target_arch = "x86_64", hiperf_avx512))]
            Kind::Avx512 => 8,
            #[cfg(target_arch = "x86_64")]
            Kind::Avx2 => 4,
            Kind::Portable => Portable::WIDTH,
        }
    }

    /// `avx512f`, `avx2` or `portable`.
    pub fn name(self) -> &'static str {
        match self.kind {
            #[cfg(all(target_arch = "x86_64", hiperf_avx512))]
            Kind::Avx512 => "avx512f",
            #[cfg(target_arch = "x86_64")]
            Kind::Avx2 => "avx2+fma",
            Kind::Portable => "portable",
        }
    }

    /// One row of the step, all four rows in the interleaved layout.
    #[inline]
    fn row(self, rows_in: [&[f64]; 3], out: &mut [f64], rows: Rows) {
        match self.kind {
            // SAFETY: an `Isa` of this kind exists only when the CPU has AVX-512F.
            #[cfg(all(target_arch = "x86_64", hiperf_avx512))]
            Kind::Avx512 => unsafe { x86::row_avx512(rows_in, out, rows) },
            // SAFETY: an `Isa` of this kind exists only when the CPU has AVX2 and FMA.
            #[cfg(target_arch = "x86_64")]
            Kind::Avx2 => unsafe { x86::row_avx2(rows_in, out, rows) },
            Kind::Portable => row(Portable, rows_in, out, rows),
        }
    }
}

/// The row-major `grid` in the interleaved layout of `lanes` lanes: in each row, lane `k` of
/// vector `p` is column `k·(cols / lanes) + p`.
///
/// ```
/// use hiperf_workloads::ch06_matrix::diffusion::Shape;
/// use hiperf_workloads::ch06_matrix::diffusion::interleaved::{deinterleave, interleave};
///
/// let shape = Shape::new(1, 8);
/// let grid: Vec<f64> = (0..8).map(f64::from).collect();
/// let mut lanes = vec![0.0; 8];
/// interleave(shape, 4, &grid, &mut lanes);
/// assert_eq!(lanes, [0.0, 2.0, 4.0, 6.0, 1.0, 3.0, 5.0, 7.0]);
/// let mut back = vec![0.0; 8];
/// deinterleave(shape, 4, &lanes, &mut back);
/// assert_eq!(back, grid);
/// ```
pub fn interleave(shape: Shape, lanes: usize, grid: &[f64], out: &mut [f64]) {
    interleave_on(Threads::One, shape, lanes, grid, out);
}

/// The inverse of [`interleave`].
pub fn deinterleave(shape: Shape, lanes: usize, interleaved: &[f64], out: &mut [f64]) {
    deinterleave_on(Threads::One, shape, lanes, interleaved, out);
}

/// [`interleave`] on `threads`.
pub fn interleave_on(threads: Threads, shape: Shape, lanes: usize, grid: &[f64], out: &mut [f64]) {
    let segment = segment(shape, lanes, grid, out);
    by_rows(threads, shape.cols, grid, out, |row, out_row| {
        for (lane, column) in row.chunks_exact(segment).enumerate() {
            for (vector, &value) in column.iter().enumerate() {
                out_row[vector * lanes + lane] = value;
            }
        }
    });
}

/// [`deinterleave`] on `threads`.
pub fn deinterleave_on(
    threads: Threads,
    shape: Shape,
    lanes: usize,
    interleaved: &[f64],
    out: &mut [f64],
) {
    let segment = segment(shape, lanes, interleaved, out);
    by_rows(threads, shape.cols, interleaved, out, |row, out_row| {
        for (lane, column) in out_row.chunks_exact_mut(segment).enumerate() {
            for (vector, value) in column.iter_mut().enumerate() {
                *value = row[vector * lanes + lane];
            }
        }
    });
}

/// `per_row` on each row of `from` and the same row of `to` (`cols` wide), on `threads` (over
/// the pool, 16 rows or more a task).
fn by_rows(
    threads: Threads,
    cols: usize,
    from: &[f64],
    to: &mut [f64],
    per_row: impl Fn(&[f64], &mut [f64]) + Sync,
) {
    match threads {
        Threads::One => from
            .chunks_exact(cols)
            .zip(to.chunks_exact_mut(cols))
            .for_each(|(row, out_row)| per_row(row, out_row)),
        Threads::Pool => from
            .par_chunks_exact(cols)
            .zip(to.par_chunks_exact_mut(cols))
            .with_min_len(16)
            .for_each(|(row, out_row)| per_row(row, out_row)),
    }
}

/// Columns per segment, after checking the shapes.
fn segment(shape: Shape, lanes: usize, from: &[f64], to: &[f64]) -> usize {
    assert!(
        lanes > 0
            && shape.cols.is_multiple_of(lanes)
            && from.len() == shape.cells()
            && to.len() == shape.cells(),
        "grids of the shape, rows a whole number of vectors"
    );
    shape.cols / lanes
}

/// One step in the interleaved layout, rows `first ..` of `out` (whole rows), taken in the
/// order `rows`.
fn step_rows(isa: Isa, shape: Shape, grid: &[f64], first: usize, out: &mut [f64], rows: Rows) {
    let Shape { rows: height, cols } = shape;
    let one = |offset: usize, out_row: &mut [f64]| {
        let i = first + offset;
        let (up, down) = fused::neighbour_rows(i, height);
        let rows_in = [up, i, down].map(|row| fused::grid_row(grid, row, cols));
        isa.row(rows_in, out_row, rows);
    };
    let out_rows = out.chunks_exact_mut(cols).enumerate();
    match rows {
        Rows::Down => out_rows.for_each(|(offset, out_row)| one(offset, out_row)),
        Rows::Up => out_rows
            .rev()
            .for_each(|(offset, out_row)| one(offset, out_row)),
    }
}

/// One step in the interleaved layout, row after row in the order `rows`.
pub fn step(isa: Isa, shape: Shape, grid: &[f64], out: &mut [f64], rows: Rows) {
    check_step(isa, shape, grid, out);
    step_rows(isa, shape, grid, 0, out, rows);
}

/// One step in the interleaved layout over the rayon pool, in bands of rows (four per thread),
/// the rows taken in the order `rows`.
///
/// The bands are halved recursively with `rayon::join`, the first half always to the calling
/// thread at the top and, below it, the half `rows` comes to first: going down a thread runs
/// its bands from the first, going up from the last, and its other bands wait in its queue
/// for it or, when it falls behind, for a thread that has finished. On two threads the pool's
/// thread keeps the first half of the grid and the other thread the second, step after step.
///
/// PERF: a run takes the rows down, then up, in turn, so that a step starts on the rows the
/// step before ended on, still in L2 (a core's L2 holds a third of its half of the two grids);
/// that needs each thread to keep its rows from step to step, which bands handed out by
/// whichever thread is free (the pass before) did not. Measured on the Zen 4 machine at book
/// size, 2026-12-06 04:25 to 04:35 UTC, `diffusion_passes interleaved-rayon 640 500 21`, one
/// band per thread, down and up, against that pass before (four bands per thread, all steps
/// down), alternated, four rounds: minimums 21.7 to 22.4 ms against 23.6 to 23.8 ms; medians
/// 23 to 28 ms against 24 to 28 ms, once 41 ms. In a report at 04:35 UTC, one band per thread
/// took a median of 58 ms (minimum 22.5): with a thread slowed by the host, the other could
/// not take any of its rows. Hence the bands of four, which can: against the pass before,
/// alternated (04:40 and 04:45 UTC, seven rounds), minimums 22.3 to 22.5 ms against 23.4 to
/// 23.9 ms, medians 23.4 to 29.8 ms against 24.1 to 46.3 ms. On one core (`taskset -c 1
/// ... interleaved 640 500 7`, three rounds) down and up took 44.1 to 44.7 ms against 45.2 to
/// 45.6 ms all down. Prefetching the lower row on the way up too (a row already read)
/// measured the same as the upper row.
pub fn step_rayon(isa: Isa, shape: Shape, grid: &[f64], out: &mut [f64], rows: Rows) {
    check_step(isa, shape, grid, out);
    let band = shape.rows.div_ceil(4 * rayon::current_num_threads());
    halves(isa, shape, grid, (0, out), band, rows, true);
}

/// The bands of `out` (rows `first ..`, `band` rows each) over the pool, as [`step_rayon`]
/// says; `top` for the whole grid.
fn halves(
    isa: Isa,
    shape: Shape,
    grid: &[f64],
    (first, out): (usize, &mut [f64]),
    band: usize,
    rows: Rows,
    top: bool,
) {
    let count = out.len() / shape.cols;
    if count <= band {
        step_rows(isa, shape, grid, first, out, rows);
        return;
    }
    let middle = count.div_ceil(band) / 2 * band;
    let (low, high) = out.split_at_mut(middle * shape.cols);
    let low = || halves(isa, shape, grid, (first, low), band, rows, false);
    let high = || halves(isa, shape, grid, (first + middle, high), band, rows, false);
    if top || rows == Rows::Down {
        rayon::join(low, high);
    } else {
        rayon::join(high, low);
    }
}

fn check_step(isa: Isa, shape: Shape, grid: &[f64], out: &mut [f64]) {
    assert!(
        shape.rows >= 3
            && isa.fits(shape.cols)
            && grid.len() == shape.cells()
            && out.len() == shape.cells(),
        "grids of the shape, at least 3 rows of at least two {}-lane vectors",
        isa.lanes()
    );
}

/// Whether a run changes layout and steps on this thread alone or over the rayon pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Threads {
    /// This thread ([`step`]).
    One,
    /// The rayon pool ([`step_rayon`]).
    Pool,
}

/// `steps` steps in the interleaved layout of `isa`, from the initial grid, on `threads`; the
/// layout change both ways and every step run inside [`Run::time`].
pub fn evolve(run: &mut Run, isa: Isa, shape: Shape, steps: usize, threads: Threads) -> Vec<f64> {
    let stepper = match threads {
        Threads::One => step,
        Threads::Pool => step_rayon,
    };
    let initial = initial_grid(shape);
    let mut grid = AlignedGrid::from_cells(&vec![0.0; shape.cells()]);
    let mut next_grid = AlignedGrid::from_cells(&vec![0.0; shape.cells()]);
    // Written before the timed region (a copy of the initial grid), so that its pages are
    // mapped, as the grids of the other variants are: `vec![0.0; n]` leaves them to the first
    // write, which counted some 800 page faults in the layout change back (0.55 ms of the
    // book's run on the Zen 4 machine, `diffusion_passes interleaved 640 0 21`).
    let mut result = initial.clone();
    run.time(|| {
        interleave_on(threads, shape, isa.lanes(), &initial, grid.cells_mut());
        for index in 0..steps {
            stepper(
                isa,
                shape,
                grid.cells(),
                next_grid.cells_mut(),
                Rows::of_step(index),
            );
            std::mem::swap(&mut grid, &mut next_grid);
        }
        deinterleave_on(threads, shape, isa.lanes(), grid.cells(), &mut result);
    });
    result
}

/// The interleaved pass on the widest instruction set whose vectors fit the rows, serial; the
/// row-major SIMD pass ([`super::simd::run_serial`]) when none does.
pub fn run_serial(run: &mut Run, shape: Shape, steps: usize) -> Vec<f64> {
    match Isa::for_columns(shape.cols) {
        Some(isa) if shape.rows >= 3 => evolve(run, isa, shape, steps, Threads::One),
        _ => super::simd::run_serial(run, shape, steps),
    }
}

/// The interleaved pass over the rayon pool; the row-major SIMD pass
/// ([`super::simd::run_rayon`]) when no instruction set's vectors fit the rows.
pub fn run_rayon(run: &mut Run, shape: Shape, steps: usize) -> Vec<f64> {
    match Isa::for_columns(shape.cols) {
        Some(isa) if shape.rows >= 3 => {
            fused::in_pool(|| evolve(run, isa, shape, steps, Threads::Pool))
        }
        _ => super::simd::run_rayon(run, shape, steps),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Size;
    use crate::ch06_matrix::diffusion::check::bits;
    use crate::ch06_matrix::diffusion::{Order, reference};

    #[test]
    fn interleaving_round_trips_and_puts_each_segment_in_a_lane() {
        let shape = Shape::new(3, 24);
        let grid: Vec<f64> = (0..shape.cells()).map(|k| k as f64).collect();
        for lanes in [1, 2, 4, 8, 12] {
            let mut interleaved = vec![0.0; shape.cells()];
            interleave(shape, lanes, &grid, &mut interleaved);
            let segment = 24 / lanes;
            // Row 1, column 5: lane 5 / segment, vector 5 % segment.
            assert_eq!(
                interleaved[24 + (5 % segment) * lanes + 5 / segment],
                grid[24 + 5]
            );
            let mut back = vec![0.0; shape.cells()];
            deinterleave(shape, lanes, &interleaved, &mut back);
            assert_eq!(back, grid, "{lanes} lanes");
        }
    }

    #[test]
    fn the_layout_change_over_the_pool_is_the_serial_one() {
        // More rows than one rayon task takes (16), and an uneven last band.
        let shape = Shape::new(37, 40);
        let grid: Vec<f64> = (0..shape.cells()).map(|k| k as f64).collect();
        for lanes in [4, 8] {
            let (mut serial, mut pooled) = (vec![0.0; shape.cells()], vec![0.0; shape.cells()]);
            interleave(shape, lanes, &grid, &mut serial);
            interleave_on(Threads::Pool, shape, lanes, &grid, &mut pooled);
            assert_eq!(pooled, serial, "{lanes} lanes");
            let mut back = vec![0.0; shape.cells()];
            deinterleave_on(Threads::Pool, shape, lanes, &pooled, &mut back);
            assert_eq!(back, grid, "{lanes} lanes");
        }
    }

    #[test]
    fn every_instruction_set_here_is_bit_exact_with_order_a() {
        // Segments of 2 columns (the least), of an odd length, and of one full vector and more;
        // 4-lane rows of an odd number of vectors (3, 11) for the loop that takes two at once.
        for (shape, steps) in [
            (Shape::new(3, 16), 9),
            (Shape::new(5, 12), 11),
            (Shape::new(9, 44), 20),
            (Shape::new(13, 40), 30),
            (Shape::new(37, 56), 45),
            (Shape::new(64, 64), 100),
        ] {
            let expected = bits(&reference(Order::A, shape, steps));
            for isa in Isa::available()
                .into_iter()
                .filter(|isa| isa.fits(shape.cols))
            {
                for threads in [Threads::One, Threads::Pool] {
                    let grid = evolve(&mut Run::new(Size::Quick), isa, shape, steps, threads);
                    assert!(
                        bits(&grid) == expected,
                        "{} path, {threads:?}, {shape:?}",
                        isa.name()
                    );
                }
            }
        }
    }

    #[test]
    fn shapes_no_vector_fits_fall_back_to_the_row_major_pass() {
        for shape in [Shape::new(5, 7), Shape::new(3, 6), Shape::new(4, 4)] {
            let expected = bits(&reference(Order::A, shape, 6));
            assert!(bits(&run_serial(&mut Run::new(Size::Quick), shape, 6)) == expected);
            assert!(bits(&run_rayon(&mut Run::new(Size::Quick), shape, 6)) == expected);
        }
    }

    #[test]
    fn the_portable_path_fits_any_multiple_of_four_columns_from_eight() {
        let portable = Isa::available().pop().expect("the portable path");
        assert_eq!(portable.name(), "portable");
        assert!(portable.fits(8) && portable.fits(12) && portable.fits(640));
        assert!(!portable.fits(4) && !portable.fits(10));
    }
}
