//! The vector types of the generic SIMD kernel ([`super::band`]): one [`Lanes`] implementation
//! per instruction set, and the `#[target_feature]` function that runs the band loop with
//! AVX-512. (AVX2 has a kernel of its own, [`super::avx2`].)

use num_complex::Complex64;

use super::{BandCounts, MAX_LANES, band};

#[cfg(all(target_arch = "x86_64", hiperf_avx512))]
use std::arch::x86_64::*;

/// One instruction set's vector of f64 lanes, with the operations the kernel needs.
///
/// Rows go in pairs: the escape masks of two rows are merged into one [`Lanes::PairMask`] and
/// counted together in one [`Lanes::Counts`], which halves the registers the counts hold.
///
/// A value of an implementing type is a proof that its instruction set is enabled where the
/// value is used: the SIMD types are created only inside their `#[target_feature]` function.
pub(super) trait Lanes: Copy {
    /// f64 lanes per vector.
    const WIDTH: usize;
    /// A vector of f64.
    type Float: Copy;
    /// Which lanes of one vector passed a test.
    type Mask: Copy;
    /// Which lanes of two vectors passed a test.
    type PairMask: Copy;
    /// Per-lane escape counts of two vectors.
    type Counts: Copy;

    fn splat(self, value: f64) -> Self::Float;
    fn load(self, values: &[f64; MAX_LANES]) -> Self::Float;
    /// The real and imaginary parts of `WIDTH` points, lane `k` from `points[k]`.
    #[inline(always)]
    fn load_points(self, points: &[Complex64]) -> (Self::Float, Self::Float) {
        let mut re = [0.0; MAX_LANES];
        let mut im = [0.0; MAX_LANES];
        for (lane, z) in points[..Self::WIDTH].iter().enumerate() {
            re[lane] = z.re;
            im[lane] = z.im;
        }
        (self.load(&re), self.load(&im))
    }
    fn add(self, a: Self::Float, b: Self::Float) -> Self::Float;
    fn sub(self, a: Self::Float, b: Self::Float) -> Self::Float;
    fn mul(self, a: Self::Float, b: Self::Float) -> Self::Float;
    /// `a < b`, false where either is NaN.
    fn below(self, a: Self::Float, b: Self::Float) -> Self::Mask;
    fn pair(self, first: Self::Mask, second: Self::Mask) -> Self::PairMask;
    fn either(self, a: Self::PairMask, b: Self::PairMask) -> Self::PairMask;
    fn any(self, mask: Self::PairMask) -> bool;
    fn no_counts(self) -> Self::Counts;
    /// Adds one to the lanes of `running`.
    fn count(self, counts: Self::Counts, running: Self::PairMask) -> Self::Counts;
    /// The counts of the first vector's lanes, then the second's.
    fn store(
        self,
        counts: Self::Counts,
        first: &mut [i32; MAX_LANES],
        second: &mut [i32; MAX_LANES],
    );
}

/// Plain arrays: LLVM turns these loops into whatever the baseline target has (SSE2 on x86-64).
#[derive(Clone, Copy, Debug)]
pub(super) struct Portable;

impl Lanes for Portable {
    const WIDTH: usize = 4;
    type Float = [f64; 4];
    type Mask = [bool; 4];
    type PairMask = [bool; 8];
    type Counts = [i32; 8];

    #[inline(always)]
    fn splat(self, value: f64) -> [f64; 4] {
        [value; 4]
    }
    #[inline(always)]
    fn load(self, values: &[f64; MAX_LANES]) -> [f64; 4] {
        std::array::from_fn(|lane| values[lane])
    }
    #[inline(always)]
    fn add(self, a: [f64; 4], b: [f64; 4]) -> [f64; 4] {
        std::array::from_fn(|lane| a[lane] + b[lane])
    }
    #[inline(always)]
    fn sub(self, a: [f64; 4], b: [f64; 4]) -> [f64; 4] {
        std::array::from_fn(|lane| a[lane] - b[lane])
    }
    #[inline(always)]
    fn mul(self, a: [f64; 4], b: [f64; 4]) -> [f64; 4] {
        std::array::from_fn(|lane| a[lane] * b[lane])
    }
    #[inline(always)]
    fn below(self, a: [f64; 4], b: [f64; 4]) -> [bool; 4] {
        std::array::from_fn(|lane| a[lane] < b[lane])
    }
    #[inline(always)]
    fn pair(self, first: [bool; 4], second: [bool; 4]) -> [bool; 8] {
        std::array::from_fn(|lane| {
            if lane < 4 {
                first[lane]
            } else {
                second[lane - 4]
            }
        })
    }
    #[inline(always)]
    fn either(self, a: [bool; 8], b: [bool; 8]) -> [bool; 8] {
        std::array::from_fn(|lane| a[lane] | b[lane])
    }
    #[inline(always)]
    fn any(self, mask: [bool; 8]) -> bool {
        mask.iter().fold(false, |any, &lane| any | lane)
    }
    #[inline(always)]
    fn no_counts(self) -> [i32; 8] {
        [0; 8]
    }
    #[inline(always)]
    fn count(self, counts: [i32; 8], running: [bool; 8]) -> [i32; 8] {
        std::array::from_fn(|lane| counts[lane] + i32::from(running[lane]))
    }
    #[inline(always)]
    fn store(self, counts: [i32; 8], first: &mut [i32; MAX_LANES], second: &mut [i32; MAX_LANES]) {
        first[..4].copy_from_slice(&counts[..4]);
        second[..4].copy_from_slice(&counts[4..]);
    }
}

#[cfg(all(target_arch = "x86_64", hiperf_avx512))]
#[allow(
    clippy::incompatible_msrv,
    reason = "compiled only by rustc 1.89 or later, where AVX-512 is stable (`hiperf_avx512`, from build.rs)"
)]
#[target_feature(enable = "avx512f")]
pub(super) fn band_avx512(
    maxiter: i32,
    zs: &[Complex64],
    width: usize,
    c: Complex64,
    output: BandCounts,
) {
    band(Avx512(()), maxiter, zs, width, c, output);
}

/// AVX-512F lanes; created only in [`band_avx512`], so every method runs with AVX-512F enabled.
#[cfg(all(target_arch = "x86_64", hiperf_avx512))]
#[derive(Clone, Copy, Debug)]
struct Avx512(());

// SAFETY (every block below): an `Avx512` value exists only inside `band_avx512`, a
// `#[target_feature(enable = "avx512f")]` function called after detecting AVX-512F; the methods
// are inlined there. The loads and stores are of whole buffers of `MAX_LANES` = 8 elements.
#[cfg(all(target_arch = "x86_64", hiperf_avx512))]
#[allow(
    clippy::incompatible_msrv,
    reason = "compiled only by rustc 1.89 or later, where AVX-512 is stable (`hiperf_avx512`, from build.rs)"
)]
impl Lanes for Avx512 {
    const WIDTH: usize = 8;
    type Float = __m512d;
    type Mask = __mmask8;
    /// The first vector's mask in the low byte, the second's in the high byte.
    type PairMask = __mmask16;
    /// 16 i32 lanes, in the order of [`Self::PairMask`].
    type Counts = __m512i;

    #[inline(always)]
    fn splat(self, value: f64) -> __m512d {
        unsafe { _mm512_set1_pd(value) }
    }
    #[inline(always)]
    fn load(self, values: &[f64; MAX_LANES]) -> __m512d {
        unsafe { _mm512_loadu_pd(values.as_ptr()) }
    }
    #[inline(always)]
    fn add(self, a: __m512d, b: __m512d) -> __m512d {
        unsafe { _mm512_add_pd(a, b) }
    }
    #[inline(always)]
    fn sub(self, a: __m512d, b: __m512d) -> __m512d {
        unsafe { _mm512_sub_pd(a, b) }
    }
    #[inline(always)]
    fn mul(self, a: __m512d, b: __m512d) -> __m512d {
        unsafe { _mm512_mul_pd(a, b) }
    }
    #[inline(always)]
    fn below(self, a: __m512d, b: __m512d) -> __mmask8 {
        unsafe { _mm512_cmp_pd_mask::<_CMP_LT_OQ>(a, b) }
    }
    #[inline(always)]
    fn pair(self, first: __mmask8, second: __mmask8) -> __mmask16 {
        __mmask16::from(first) | (__mmask16::from(second) << 8)
    }
    #[inline(always)]
    fn either(self, a: __mmask16, b: __mmask16) -> __mmask16 {
        a | b
    }
    #[inline(always)]
    fn any(self, mask: __mmask16) -> bool {
        mask != 0
    }
    #[inline(always)]
    fn no_counts(self) -> __m512i {
        unsafe { _mm512_setzero_si512() }
    }
    #[inline(always)]
    fn count(self, counts: __m512i, running: __mmask16) -> __m512i {
        unsafe { _mm512_mask_add_epi32(counts, running, counts, _mm512_set1_epi32(1)) }
    }
    #[inline(always)]
    fn store(self, counts: __m512i, first: &mut [i32; MAX_LANES], second: &mut [i32; MAX_LANES]) {
        let mut both = [0; 16];
        unsafe { _mm512_storeu_epi32(both.as_mut_ptr(), counts) }
        first.copy_from_slice(&both[..8]);
        second.copy_from_slice(&both[8..]);
    }
}
