//! The vector type of the generic SIMD kernel ([`super::band`]), behind a trait so that the loop
//! reads as vector code: the portable path's arrays of 4 lanes. (AVX2 and AVX-512 have kernels
//! of their own, [`super::avx2`] and [`super::avx512`].)

use num_complex::Complex64;

use super::MAX_LANES;

/// One instruction set's vector of f64 lanes, with the operations the kernel needs.
///
/// Rows go in pairs: the escape masks of two rows are merged into one [`Lanes::PairMask`] and
/// counted together in one [`Lanes::Counts`], which halves the registers the counts hold.
///
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
