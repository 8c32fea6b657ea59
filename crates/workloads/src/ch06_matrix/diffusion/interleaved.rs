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
//! The step runs in place, in one grid of `rows + 1` row slots, each new row written over an
//! old row it has just read (`Slots`), and takes two rows at a time (`pair`), each row's
//! centre being the other's neighbour. The notes below say what each change measured.
//!
//! PERF: on the 2-core Zen 3 machine (AVX2) at book size. The row-major loop of
//! [`super::simd`] issues five loads per vector, two of them unaligned (one in two straddles a
//! cache line); here each vector took three loads (up, down and the next centre; the centre
//! and left are the previous iteration's), all aligned (four for two vectors since the pass
//! takes two rows at a time). Measured on 2026-11-26:
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
//! - two steps per sweep again, after the passes went down and up in turn (`halves`),
//!   each band through a ring of three rows per thread in the step's direction (05:15 UTC,
//!   four rounds of `... interleaved-rayon 640 500 21`): minimums 22.1 to 22.7 ms, as without;
//! - the step in place with a copy (one grid, each new row kept in a ring and copied back a
//!   row later, so that no line is read for ownership): 54.5 against 47.5 ms on one core, 32
//!   against 24.5 ms on two, the copy's loads and stores costing more than the reads it saved;
//! - a second, farther prefetch of the lower row into L2 (2 KB ahead): 5% on one core, 2% on
//!   two.
//!
//! The step in place without a copy, as the pass now runs (`Slots`): the new row goes
//! straight over the old row it has just read, one slot up going down and one slot down going
//! up, and each band's first and last rows are kept as copies, for the band and its
//! neighbours, since a neighbouring band writes over them. Measured
//! on the 2-core Zen 4 machine (AVX-512F) at book size, 2026-12-06 (a new session, figures not
//! comparable with those above), against the two-grid pass before it, alternated in the same
//! minutes, with `diffusion_passes` (medians, min–max):
//! - one core, `taskset -c 1 ... interleaved 640 500 7` (20:35 to 20:44 UTC): 34.9 and 35.9 ms
//!   in place against 45.2 and 45.6 ms with two grids in two alternated rounds (the two-grid
//!   build 44.5 and 45.0 ms in two rounds before them), and 34.8 to 35.2 ms in three more
//!   rounds of the in-place build; 0.170 ns a cell against 0.220: 22% less time. On a 48-row grid, whose grid stays in L2 either way
//!   (`... interleaved 48 6666 5`), 30.8 to 31.1 ms against 33.0 to 33.6: the book's grid now
//!   runs within 13% of its speed in L2, where it ran 35% behind. On a 4-row grid (`... 4
//!   80000 5`) the copies of the edge rows, two rows a step for four, make it slower: 41.7
//!   against 32.3 ms;
//! - two cores, `... interleaved-rayon 640 500 21` (20:38 UTC, three rounds): minimums 18.3
//!   to 18.5 ms against 23.9 to 24.7; medians 25.0 to 26.6 ms against 29.5 to 58.1. The
//!   medians are the host's: with `DIFFUSION_PASSES_ALL` set, one series of 21 runs had its
//!   fastest seven at 18.7 to 25.1 ms and the other 14 at 35.7 to 37.4 ms, one core's time,
//!   while the other core was taken away for seconds;
//! - the prefetch distances of `PREFETCH_AHEAD` again, in place (a scratch build reading
//!   them from the environment, 20:42 UTC): no setting, without any prefetch included, was
//!   faster than another by more than the noise on one core (37.3 to 39.1 ms) or two.
//!
//! Two rows at once (`pair`), in place, against one row at a time, in place (20:53 to 20:57
//! UTC, the two builds alternated, medians of 5): one core 31.8 to 33.4 ms against 34.5 to
//! 35.0 ms (four rounds); on the 48-row grid in L2, 28.4 to 28.7 ms against 31.0 to 31.1; two
//! cores (`... interleaved-rayon 640 500 15`, three rounds), minimums 16.7 to 19.3 ms against
//! 18.5 to 19.6 ms, medians again the host's (20.0 to 36.4 against 23.6 to 25.9). A vector
//! index now loads four vectors for two new ones instead of three for one; the six
//! floating-point operations of a cell stay, three on the multiply pipes and three on the add
//! pipes, and at 0.139 ns a cell in L2 (4.1 cycles a vector of 8 cells at 3.69 GHz) the pass is
//! within 40% of those pipes' 3 cycles a vector.
//!
//! The AVX-512F path against the AVX2 path of the same build (a scratch build that can leave
//! AVX-512F out, 21:52 to 21:54 UTC, alternated, medians of 7): one core 33.2 to 33.5 ms
//! against 40.7 to 44.5 ms on the book's grid, 29.2 to 31.3 against 36.4 to 37.7 on the 48-row
//! grid, so the pass keeps AVX-512F where the CPU has it. On AVX2 (16 registers, where the two
//! rows' neighbours and constants take 11), two rows at a time measured the same as one row
//! at a time in place: 39.8 to 39.9 ms against 39.8 to 40.6 (three rounds).

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
    /// They must be in one allocation, written and read during the store through no other
    /// pointer than the caller's (the in-place step reads them through its input rows before).
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

/// The order a pass takes the rows in: the rows it reads for the first time are the lower ones
/// going down and the upper ones going up, and those are the rows it prefetches.
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

/// The cell update of order A, as `super::cell_a`, on whole vectors, with its constants.
/// `c·(−4)` is exact, so `c·(−4) + u` fused rounds as the multiply and the add do, and so does
/// `t·1 + l`.
///
/// PERF: with fused multiply-adds the six operations are three on the multiply pipes and three
/// on the add pipes; as two multiplies and five adds, the add pipes were the limit.
#[derive(Clone, Copy)]
struct OrderA<L: Lanes> {
    lanes: L,
    minus_four: L::Vector,
    d_dt: L::Vector,
    one: L::Vector,
}

impl<L: Lanes> OrderA<L> {
    #[inline(always)]
    fn new(lanes: L) -> Self {
        OrderA {
            lanes,
            minus_four: lanes.splat(-4.0),
            d_dt: lanes.splat(D * DT),
            // Hidden from the compiler, which would turn `x·1 + y` back into an add.
            one: lanes.splat(std::hint::black_box(1.0)),
        }
    }

    /// The new value of the cells `c` from their up, down, left and right neighbours.
    #[inline(always)]
    fn cell(
        self,
        c: L::Vector,
        u: L::Vector,
        d: L::Vector,
        l: L::Vector,
        r: L::Vector,
    ) -> L::Vector {
        let lanes = self.lanes;
        let mut t = lanes.mul_add_exact(c, self.minus_four, u);
        t = lanes.add(t, d);
        t = lanes.mul_add_exact(t, self.one, l);
        t = lanes.add(t, r);
        lanes.add(lanes.mul(t, self.d_dt), c)
    }
}

/// One row of the step in the interleaved layout: `out` from the rows `up`, `center` and
/// `down` (each `vectors · WIDTH` cells, `vectors` ≥ 2), in a pass that goes `rows`.
///
/// `out` may be `up` or `down` itself (the step in place, see [`Slots`]): each vector of those
/// rows is loaded before the vector at the same index of `out` is stored, and not read again.
///
/// # Safety
///
/// Each of the four pointers addresses `vectors · WIDTH` initialised cells of one allocation;
/// `out` is writable and, during the call, read or written through no other pointer than
/// these; it is either `up`, or `down`, or disjoint from all three rows; `center` is disjoint
/// from `out`.
#[inline(always)]
unsafe fn row<L: Lanes>(
    lanes: L,
    [up, center, down]: [*const f64; 3],
    out: *mut f64,
    vectors: usize,
    rows: Rows,
) {
    debug_assert!(vectors >= 2, "rows of at least two whole vectors");
    let order_a = OrderA::new(lanes);
    let cell = |c, u, d, l, r| order_a.cell(c, u, d, l, r);
    // PERF: unchecked loads and stores, two vectors an iteration: 12 instructions a vector
    // instead of 17 (bounds checks and register moves), which made a row that stays in L1
    // about 15% faster (see the module's notes).
    // SAFETY: vectors 0 and `vectors − 1` of `center`, in bounds by the caller's contract.
    let (first, last) = unsafe {
        (
            lanes.load_unchecked(center, 0),
            lanes.load_unchecked(center, vectors - 1),
        )
    };
    let incoming = match rows {
        Rows::Down => down,
        Rows::Up => up,
    };
    // SAFETY (the loads and stores below): vector `index` of each row, `index < vectors`, and
    // the four rows are `vectors` whole vectors long (the caller's contract); in `step!`, the
    // vectors `index` of `up` and `down` are loaded before `out`'s is stored, and `center`,
    // the only row read ahead, is not `out`.
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

/// Two rows of the step at once, `top` and `bottom` (row `i` and `i + 1`), each from its
/// three rows, `up` (row `i − 1`) and `down` (row `i + 2`) the outer ones; rows as in [`row`].
///
/// Each row's centre is the other's neighbour, kept in a register, so each vector index loads
/// four vectors for two new ones where [`row`] loads three for one.
///
/// # Safety
///
/// As for [`row`], each of the six pointers addressing `vectors · WIDTH` initialised cells of
/// one allocation, the two out rows writable, distinct, and read or written through no other
/// pointer than these during the call. Going down, `out_top` is `up` or disjoint from the four rows and
/// `out_bottom` is `top`; going up, `out_top` is `bottom` and `out_bottom` is `down` or
/// disjoint from the four rows. (`top` and `bottom` are read ahead of the store at the same
/// index; each is held in registers from its load on.)
#[inline(always)]
unsafe fn pair<L: Lanes>(
    lanes: L,
    [up, top, bottom, down]: [*const f64; 4],
    [out_top, out_bottom]: [*mut f64; 2],
    vectors: usize,
    rows: Rows,
) {
    debug_assert!(vectors >= 2, "rows of at least two whole vectors");
    let order_a = OrderA::new(lanes);
    let cell = |c, u, d, l, r| order_a.cell(c, u, d, l, r);
    // SAFETY (every load and store below): vector `index < vectors` of a row of `vectors`
    // whole vectors (the caller's contract). The stores at `index` come after every load at
    // `index` and ahead of it: `up` and `down` are loaded at `index` only, and `top` and
    // `bottom`, read ahead, only before the stores of the iteration.
    let (first_top, last_top, first_bottom, last_bottom) = unsafe {
        (
            lanes.load_unchecked(top, 0),
            lanes.load_unchecked(top, vectors - 1),
            lanes.load_unchecked(bottom, 0),
            lanes.load_unchecked(bottom, vectors - 1),
        )
    };
    // The two rows the pass reads for the first time here.
    let incoming = match rows {
        Rows::Down => [bottom, down],
        Rows::Up => [up, top],
    };
    macro_rules! step {
        ($index:expr, [$lt:expr, $ct:expr, $nt:expr], [$lb:expr, $cb:expr, $nb:expr]) => {{
            let index = $index;
            let new_top = cell($ct, lanes.load_unchecked(up, index), $cb, $lt, $nt);
            let new_bottom = cell($cb, $ct, lanes.load_unchecked(down, index), $lb, $nb);
            lanes.store_unchecked(out_top, index, new_top);
            lanes.store_unchecked(out_bottom, index, new_bottom);
        }};
    }
    let (mut left_top, mut current_top) = (lanes.rotate_up(last_top), first_top);
    let (mut left_bottom, mut current_bottom) = (lanes.rotate_up(last_bottom), first_bottom);
    let mut index = 0;
    while index + 2 < vectors {
        for row in incoming {
            prefetch(row.wrapping_add(index * L::WIDTH + PREFETCH_AHEAD));
        }
        // SAFETY: as above, `index + 2 < vectors`.
        unsafe {
            let (next_top, after_top) = (
                lanes.load_unchecked(top, index + 1),
                lanes.load_unchecked(top, index + 2),
            );
            let (next_bottom, after_bottom) = (
                lanes.load_unchecked(bottom, index + 1),
                lanes.load_unchecked(bottom, index + 2),
            );
            step!(
                index,
                [left_top, current_top, next_top],
                [left_bottom, current_bottom, next_bottom]
            );
            step!(
                index + 1,
                [current_top, next_top, after_top],
                [current_bottom, next_bottom, after_bottom]
            );
            (left_top, current_top) = (next_top, after_top);
            (left_bottom, current_bottom) = (next_bottom, after_bottom);
        }
        index += 2;
    }
    if index + 2 == vectors {
        // SAFETY: as above, `index + 1 < vectors`.
        unsafe {
            let next_top = lanes.load_unchecked(top, index + 1);
            let next_bottom = lanes.load_unchecked(bottom, index + 1);
            step!(
                index,
                [left_top, current_top, next_top],
                [left_bottom, current_bottom, next_bottom]
            );
            (left_top, current_top) = (current_top, next_top);
            (left_bottom, current_bottom) = (current_bottom, next_bottom);
        }
        index += 1;
    }
    debug_assert_eq!(index, vectors - 1);
    // SAFETY: as above, `index < vectors`.
    unsafe {
        step!(
            index,
            [left_top, current_top, lanes.rotate_down(first_top)],
            [left_bottom, current_bottom, lanes.rotate_down(first_bottom)]
        );
    }
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

    use super::{Lanes, Rows, pair, row};

    /// AVX2 vectors, with FMA; created only in [`row_avx2`] and [`pair_avx2`].
    #[derive(Clone, Copy, Debug)]
    struct Avx2(());

    /// [`super::row`] with AVX2 and FMA enabled.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX2 and FMA, and the rows be as [`super::row`] says.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn row_avx2(rows_in: [*const f64; 3], out: *mut f64, vectors: usize, rows: Rows) {
        // SAFETY: the caller's.
        unsafe { row(Avx2(()), rows_in, out, vectors, rows) }
    }

    /// [`super::pair`] with AVX2 and FMA enabled.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX2 and FMA, and the rows be as [`super::pair`] says.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn pair_avx2(
        rows_in: [*const f64; 4],
        out: [*mut f64; 2],
        vectors: usize,
        rows: Rows,
    ) {
        // SAFETY: the caller's.
        unsafe { pair(Avx2(()), rows_in, out, vectors, rows) }
    }

    // SAFETY (every block below): an `Avx2` value exists only inside `row_avx2` and
    // `pair_avx2`, which run with AVX2 and FMA enabled; the loads and stores are the caller's
    // to keep in bounds.
    impl Lanes for Avx2 {
        const WIDTH: usize = 4;
        type Vector = __m256d;

        #[inline(always)]
        fn splat(self, value: f64) -> __m256d {
            unsafe { _mm256_set1_pd(value) }
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

    /// AVX-512F vectors; created only in [`row_avx512`] and [`pair_avx512`].
    #[cfg(hiperf_avx512)]
    #[derive(Clone, Copy, Debug)]
    struct Avx512(());

    /// [`super::row`] with AVX-512F enabled.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX-512F, and the rows be as [`super::row`] says.
    #[cfg(hiperf_avx512)]
    #[target_feature(enable = "avx512f")]
    pub unsafe fn row_avx512(rows_in: [*const f64; 3], out: *mut f64, vectors: usize, rows: Rows) {
        // SAFETY: the caller's.
        unsafe { row(Avx512(()), rows_in, out, vectors, rows) }
    }

    /// [`super::pair`] with AVX-512F enabled.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX-512F, and the rows be as [`super::pair`] says.
    #[cfg(hiperf_avx512)]
    #[target_feature(enable = "avx512f")]
    pub unsafe fn pair_avx512(
        rows_in: [*const f64; 4],
        out: [*mut f64; 2],
        vectors: usize,
        rows: Rows,
    ) {
        // SAFETY: the caller's.
        unsafe { pair(Avx512(()), rows_in, out, vectors, rows) }
    }

    // SAFETY (every block below): an `Avx512` value exists only inside `row_avx512` and
    // `pair_avx512`, which run with AVX-512F enabled; the loads and stores are the caller's
    // to keep in bounds.
    #[cfg(hiperf_avx512)]
    impl Lanes for Avx512 {
        const WIDTH: usize = 8;
        type Vector = __m512d;

        #[inline(always)]
        fn splat(self, value: f64) -> __m512d {
            unsafe { _mm512_set1_pd(value) }
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

    /// One row of the step, all four rows in the interleaved layout, `vectors` of this set's
    /// vectors long.
    ///
    /// # Safety
    ///
    /// The rows must be as [`row`] says.
    #[inline]
    unsafe fn row(self, rows_in: [*const f64; 3], out: *mut f64, vectors: usize, rows: Rows) {
        // SAFETY (each arm): the rows are the caller's; an `Isa` of the x86 kinds exists only
        // when the CPU has their instructions (AVX-512F; AVX2 and FMA).
        unsafe {
            match self.kind {
                #[cfg(all(target_arch = "x86_64", hiperf_avx512))]
                Kind::Avx512 => x86::row_avx512(rows_in, out, vectors, rows),
                #[cfg(target_arch = "x86_64")]
                Kind::Avx2 => x86::row_avx2(rows_in, out, vectors, rows),
                Kind::Portable => row(Portable, rows_in, out, vectors, rows),
            }
        }
    }

    /// Two rows of the step at once, as [`pair`] says.
    ///
    /// # Safety
    ///
    /// The rows must be as [`pair`] says.
    #[inline]
    unsafe fn pair(self, rows_in: [*const f64; 4], out: [*mut f64; 2], vectors: usize, rows: Rows) {
        // SAFETY (each arm): as in `row`.
        unsafe {
            match self.kind {
                #[cfg(all(target_arch = "x86_64", hiperf_avx512))]
                Kind::Avx512 => x86::pair_avx512(rows_in, out, vectors, rows),
                #[cfg(target_arch = "x86_64")]
                Kind::Avx2 => x86::pair_avx2(rows_in, out, vectors, rows),
                Kind::Portable => pair(Portable, rows_in, out, vectors, rows),
            }
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

/// Where a run keeps its grid: `rows + 1` row slots of `cols` cells, the grid in `rows`
/// consecutive ones, so that a step writes each new row over a row it has just read.
///
/// A step going down reads row `i` from slot `i + 1` and writes the new row `i` to slot `i`,
/// over the old row `i − 1`, which it loaded, vector by vector, for that same row (its `up`)
/// and which no later row needs. A step going up reads row `i` from slot `i` and writes the
/// new row `i` to slot `i + 1`, over its `down`. The steps go down, then up, in turn
/// ([`Rows::of_step`]), so the grid is in slots `1 ..` before each step going down and in
/// slots `0 ..` before each step going up.
///
/// The rows are cut into bands ([`Bands`]), each band's new rows written to its own slots: a
/// band going down writes slots `a .. b` for its rows `a .. b`, a band going up slots
/// `a + 1 .. b + 1`. Going down, the band reads two old rows that lie in the next band's
/// slots, which that band writes over: its own last row and the next band's first; going up,
/// its own first row and the previous band's last. So the first and the last row of every
/// band are also kept as copies ([`Edges`]), written when the step before made them, and
/// read from there.
///
/// PERF: written in place, a new row's cache lines are the old row's, already in L1 and owned
/// by this core, where writing to a second grid first reads each of its lines from L3 (a read
/// for ownership): 128 bytes a vector go between L2 and L3 instead of 192. The one grid is
/// also half the two grids' size, so more of a thread's half of it is still in L2 when the
/// next step, going the other way, starts. The figures are in the module's notes.
struct Slots {
    cells: AlignedGrid,
    shape: Shape,
}

impl Slots {
    fn new(shape: Shape) -> Slots {
        Slots {
            cells: AlignedGrid::from_cells(&vec![0.0; shape.cells() + shape.cols]),
            shape,
        }
    }

    /// The slot the grid starts at before a step going `rows`.
    fn input_slot(rows: Rows) -> usize {
        match rows {
            Rows::Down => 1,
            Rows::Up => 0,
        }
    }

    /// The grid, starting at `slot`.
    fn grid(&self, slot: usize) -> &[f64] {
        &self.cells.cells()[slot * self.shape.cols..][..self.shape.cells()]
    }

    /// The grid, starting at `slot`, to write.
    fn grid_mut(&mut self, slot: usize) -> &mut [f64] {
        let (cols, cells) = (self.shape.cols, self.shape.cells());
        &mut self.cells.cells_mut()[slot * cols..][..cells]
    }
}

/// The rows cut into bands of `band` rows (the last one may have fewer), each a task of a
/// step: one band for a serial run; over the pool, bands of `rows / (4 · threads)` rows,
/// rounded up (about four per thread, fewer on small grids: 3 rows make 3 bands).
#[derive(Clone, Copy, Debug)]
struct Bands {
    rows: usize,
    band: usize,
}

impl Bands {
    fn new(rows: usize, threads: Threads) -> Bands {
        let band = match threads {
            Threads::One => rows,
            Threads::Pool => rows.div_ceil(4 * rayon::current_num_threads()),
        };
        Bands { rows, band }
    }

    fn count(self) -> usize {
        self.rows.div_ceil(self.band)
    }

    /// The rows `a .. b` of band `k`.
    fn range(self, k: usize) -> (usize, usize) {
        (k * self.band, ((k + 1) * self.band).min(self.rows))
    }
}

/// The first and the last row of every band, as copies: `2 · bands` rows of `cols` cells, band
/// `k`'s first row at `2k` and its last at `2k + 1`. A run keeps two, the step's input rows and
/// the rows it makes, swapped after every step.
struct Edges {
    cells: AlignedGrid,
}

impl Edges {
    fn new(bands: Bands, cols: usize) -> Edges {
        Edges {
            cells: AlignedGrid::from_cells(&vec![0.0; 2 * bands.count() * cols]),
        }
    }

    /// Copies the first and the last row of each band of `grid`.
    fn save(&mut self, bands: Bands, cols: usize, grid: &[f64]) {
        for (k, pair) in self
            .cells
            .cells_mut()
            .chunks_exact_mut(2 * cols)
            .enumerate()
        {
            let (a, b) = bands.range(k);
            save_band_edges(&grid[a * cols..b * cols], pair);
        }
    }
}

/// Copies the first and the last row of `band` (whole rows, `pair.len() / 2` cells each) into
/// `pair`.
fn save_band_edges(band: &[f64], pair: &mut [f64]) {
    let cols = pair.len() / 2;
    let (first, last) = pair.split_at_mut(cols);
    first.copy_from_slice(&band[..cols]);
    last.copy_from_slice(&band[band.len() - cols..]);
}

/// What every band of one step reads and does not write.
#[derive(Clone, Copy)]
struct StepInput<'a> {
    isa: Isa,
    shape: Shape,
    bands: Bands,
    /// The old row no band writes over and one band reads: the last row going down (slot
    /// `rows`), the first going up (slot 0).
    wrap: &'a [f64],
    /// The bands' first and last old rows ([`Edges`]).
    edges: &'a [f64],
    rows: Rows,
}

impl StepInput<'_> {
    /// The copy of band `k`'s first (`last` false) or last old row.
    fn edge(&self, k: usize, last: bool) -> *const f64 {
        let cols = self.shape.cols;
        self.edges[(2 * k + usize::from(last)) * cols..][..cols].as_ptr()
    }

    /// Band `k`, its slots `slots` (as [`Slots`] says), the copies of its new first and last
    /// rows written to `pair`.
    fn band(&self, k: usize, slots: &mut [f64], pair: &mut [f64]) {
        let cols = self.shape.cols;
        let (a, b) = self.bands.range(k);
        let count = self.bands.count();
        let n = b - a;
        assert!(
            slots.len() == n * cols && pair.len() == 2 * cols && self.wrap.len() == cols,
            "a band's slots, its two edge rows and the wrap-around row"
        );
        let vectors = cols / self.isa.lanes();
        let base = slots.as_mut_ptr();
        // Slot `j` of the band, `j < n`.
        let slot = |j: usize| base.wrapping_add(j * cols);
        let wrap = self.wrap.as_ptr();
        let (own_first, own_last) = (self.edge(k, false), self.edge(k, true));
        let (previous_last, next_first) = (
            self.edge((k + count - 1) % count, true),
            self.edge((k + 1) % count, false),
        );
        // Row `j` of the band (`a + j` of the grid): its three old rows and the slot of its
        // new row.
        let rows_of = |j: usize| match self.rows {
            // Slot `j` holds old row `a + j − 1` (for j = 0, the band above's last row: the
            // band's to write over), and the new row `a + j` goes there. Old rows `b − 1` and
            // `b` are in the slots of the band below, which writes over them.
            Rows::Down => {
                let up = if j == 0 && a == 0 { wrap } else { slot(j) };
                let center = if j + 1 < n { slot(j + 1) } else { own_last };
                let down = match (j + 2).cmp(&n) {
                    std::cmp::Ordering::Less => slot(j + 2),
                    std::cmp::Ordering::Equal => own_last,
                    std::cmp::Ordering::Greater => next_first,
                };
                ([up, center, down], slot(j))
            }
            // Slot `j` holds old row `a + j + 1` (for j = n − 1, the band below's first row:
            // the band's to write over), and the new row `a + j` goes there. Old rows `a − 1`
            // and `a` are in the slots of the band above, which writes over them.
            Rows::Up => {
                let down = if j + 1 == n && b == self.bands.rows {
                    wrap
                } else {
                    slot(j)
                };
                let center = if j >= 1 { slot(j - 1) } else { own_first };
                let up = match j {
                    0 => previous_last,
                    1 => own_first,
                    _ => slot(j - 2),
                };
                ([up, center, down], slot(j))
            }
        };
        // Rows `j` and `j + 1`, together.
        let two = |j: usize| {
            let (([up, top, _], out_top), ([_, bottom, down], out_bottom)) =
                (rows_of(j), rows_of(j + 1));
            // SAFETY: every row is `cols` cells in `slots`, `wrap` or `edges`, of `vectors`
            // whole vectors (`check_shape`), and the band's slots are its own, through the
            // `&mut`. Going down, `out_top` is slot `j`, which is `up` (or, for row 0,
            // disjoint from the four rows), and `out_bottom` slot `j + 1`, which is `top`
            // (`j + 1 < n`). Going up, `out_top` is slot `j`, which is `bottom` (`j + 1 ≥ 1`),
            // and `out_bottom` slot `j + 1`, which is `down` (or, for the last row of the
            // grid, disjoint from the four).
            unsafe {
                self.isa.pair(
                    [up, top, bottom, down],
                    [out_top, out_bottom],
                    vectors,
                    self.rows,
                );
            }
        };
        // Row `j` alone.
        let one = |j: usize| {
            let (rows_in, out) = rows_of(j);
            // SAFETY: as for two rows; `out` is slot `j`, which is `up` going down and `down`
            // going up (or, for the first or last row of the grid, disjoint from the three),
            // and never `center`.
            unsafe { self.isa.row(rows_in, out, vectors, self.rows) };
        };
        // PERF: two rows at a time, in the pass's direction, and the odd row last.
        match self.rows {
            Rows::Down => {
                let mut j = 0;
                while j + 1 < n {
                    two(j);
                    j += 2;
                }
                if j < n {
                    one(j);
                }
            }
            Rows::Up => {
                let mut j = n;
                while j >= 2 {
                    two(j - 2);
                    j -= 2;
                }
                if j == 1 {
                    one(0);
                }
            }
        }
        save_band_edges(slots, pair);
    }
}

/// Whether a run changes layout and steps on this thread alone or over the rayon pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Threads {
    /// This thread, one band.
    One,
    /// The rayon pool, four bands per thread.
    Pool,
}

/// One step in place (as [`Slots`] says) going `rows`, its bands on `threads`; `edges` the
/// copies of the bands' first and last old rows, `new_edges` where the new ones go.
fn step(
    input: (Isa, Shape, Bands),
    slots: &mut Slots,
    edges: &Edges,
    new_edges: &mut Edges,
    rows: Rows,
    threads: Threads,
) {
    let (isa, shape, bands) = input;
    let cols = shape.cols;
    let all = slots.cells.cells_mut();
    let (wrap, owned): (&[f64], &mut [f64]) = match rows {
        Rows::Down => {
            let (owned, wrap) = all.split_at_mut(shape.cells());
            (wrap, owned)
        }
        Rows::Up => {
            let (wrap, owned) = all.split_at_mut(cols);
            (wrap, owned)
        }
    };
    let input = StepInput {
        isa,
        shape,
        bands,
        wrap,
        edges: edges.cells.cells(),
        rows,
    };
    let pairs = new_edges.cells.cells_mut();
    match threads {
        Threads::One => {
            let band_cells = bands.band * cols;
            for (k, (slots, pair)) in owned
                .chunks_mut(band_cells)
                .zip(pairs.chunks_exact_mut(2 * cols))
                .enumerate()
            {
                input.band(k, slots, pair);
            }
        }
        Threads::Pool => halves(&input, (0, owned), pairs, true),
    }
}

/// Bands `first ..` of a step (their slots `owned`, their edge copies `pairs`) over the pool.
///
/// The bands are halved recursively with `rayon::join`, the first half always to the calling
/// thread at the top and, below it, the half `rows` comes to first: going down a thread runs
/// its bands from the first, going up from the last, and its other bands wait in its queue
/// for it or, when it falls behind, for a thread that has finished. On two threads the pool's
/// thread keeps the first half of the grid and the other thread the second, step after step.
///
/// PERF: a run takes the rows down, then up, in turn, so that a step starts on the rows the
/// step before ended on, still in L2; that needs each thread to keep its rows from step to
/// step, which bands handed out by whichever thread is free did not. Measured on the Zen 4
/// machine at book size, 2026-12-06 04:25 to 04:35 UTC (with two grids, before the step in
/// place), `diffusion_passes interleaved-rayon 640 500 21`, one band per thread, down and up,
/// against bands handed out by whichever thread was free, all steps down, alternated, four
/// rounds: minimums 21.7 to 22.4 ms against 23.6 to 23.8 ms; medians 23 to 28 ms against 24
/// to 28 ms, once 41 ms. In a report at 04:35 UTC, one band per thread took a median of 58 ms
/// (minimum 22.5): with a thread slowed by the host, the other could not take any of its
/// rows. Hence the bands of four, which can: against the pass before, alternated (04:40 and
/// 04:45 UTC, seven rounds), minimums 22.3 to 22.5 ms against 23.4 to 23.9 ms, medians 23.4
/// to 29.8 ms against 24.1 to 46.3 ms. On one core (`taskset -c 1 ... interleaved 640 500 7`,
/// three rounds) down and up took 44.1 to 44.7 ms against 45.2 to 45.6 ms all down.
fn halves(input: &StepInput, (first, owned): (usize, &mut [f64]), pairs: &mut [f64], top: bool) {
    let cols = input.shape.cols;
    let count = pairs.len() / (2 * cols);
    if count == 1 {
        input.band(first, owned, pairs);
        return;
    }
    let middle = count / 2;
    let (low, high) = owned.split_at_mut(middle * input.bands.band * cols);
    let (low_pairs, high_pairs) = pairs.split_at_mut(middle * 2 * cols);
    let low = || halves(input, (first, low), low_pairs, false);
    let high = || halves(input, (first + middle, high), high_pairs, false);
    if top || input.rows == Rows::Down {
        rayon::join(low, high);
    } else {
        rayon::join(high, low);
    }
}

fn check_shape(isa: Isa, shape: Shape) {
    assert!(
        shape.rows >= 3 && isa.fits(shape.cols),
        "grids of at least 3 rows of at least two {}-lane vectors",
        isa.lanes()
    );
}

/// `steps` steps in the interleaved layout of `isa`, from the initial grid, on `threads`: in
/// place, each new row written over an old row, in `rows + 1` row slots; the layout change
/// both ways and every step run inside [`Run::time`].
pub fn evolve(run: &mut Run, isa: Isa, shape: Shape, steps: usize, threads: Threads) -> Vec<f64> {
    check_shape(isa, shape);
    let initial = initial_grid(shape);
    let bands = Bands::new(shape.rows, threads);
    let mut slots = Slots::new(shape);
    let mut edges = Edges::new(bands, shape.cols);
    let mut new_edges = Edges::new(bands, shape.cols);
    // Written before the timed region (a copy of the initial grid), so that its pages are
    // mapped, as the grids of the other variants are: `vec![0.0; n]` leaves them to the first
    // write, which counted some 800 page faults in the layout change back (0.55 ms of the
    // book's run on the Zen 4 machine, `diffusion_passes interleaved 640 0 21`).
    let mut result = initial.clone();
    run.time(|| {
        // The grid is where step `index` reads it, before step 0 and after the last step alike.
        let slot = |index| Slots::input_slot(Rows::of_step(index));
        interleave_on(
            threads,
            shape,
            isa.lanes(),
            &initial,
            slots.grid_mut(slot(0)),
        );
        edges.save(bands, shape.cols, slots.grid(slot(0)));
        for index in 0..steps {
            let rows = Rows::of_step(index);
            step(
                (isa, shape, bands),
                &mut slots,
                &edges,
                &mut new_edges,
                rows,
                threads,
            );
            std::mem::swap(&mut edges, &mut new_edges);
        }
        deinterleave_on(
            threads,
            shape,
            isa.lanes(),
            slots.grid(slot(steps)),
            &mut result,
        );
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
            // (The initial square of 3 or 5 rows is empty: those grids stay zero, and only
            // show that the least shapes run.)
            (Shape::new(3, 16), 9),
            (Shape::new(5, 12), 11),
            (Shape::new(10, 16), 9),
            (Shape::new(11, 12), 11),
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
    fn the_step_in_place_is_bit_exact_for_every_band_shape_and_step_count() {
        // Over pools of 1 to 3 threads: bands of one row (10 rows over 3 threads, 25 over 2
        // in the last band), of two and three rows, uneven last bands, and band counts that
        // do not halve evenly. Grids of 10 rows and more, whose initial square is not empty;
        // step counts from 0 to 5, so the grid ends in either slot, and 40 and 41, enough for
        // the square to reach every row and the wrap-around rows.
        for threads in 1..=3 {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("a pool");
            for shape in [Shape::new(10, 16), Shape::new(25, 16), Shape::new(14, 24)] {
                for steps in (0..=5).chain([40, 41]) {
                    let expected = bits(&reference(Order::A, shape, steps));
                    for isa in Isa::available()
                        .into_iter()
                        .filter(|isa| isa.fits(shape.cols))
                    {
                        for threads_kind in [Threads::One, Threads::Pool] {
                            let grid = pool.install(|| {
                                evolve(&mut Run::new(Size::Quick), isa, shape, steps, threads_kind)
                            });
                            assert!(
                                bits(&grid) == expected,
                                "{} path, {threads_kind:?} on {threads} threads, {shape:?}, \
                                 {steps} steps",
                                isa.name()
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn bands_cover_the_rows_in_order_none_empty() {
        for rows in [3, 4, 7, 16, 25, 640] {
            for threads in [Threads::One, Threads::Pool] {
                let bands = Bands::new(rows, threads);
                let mut next = 0;
                for k in 0..bands.count() {
                    let (a, b) = bands.range(k);
                    assert!(a == next && b > a, "{rows} rows, band {k}: {a}..{b}");
                    next = b;
                }
                assert_eq!(next, rows);
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
