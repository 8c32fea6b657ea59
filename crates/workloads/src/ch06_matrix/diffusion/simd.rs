//! The fused pass of [`super::fused`] with its interior in explicit SIMD, order A: AVX-512F
//! (8 lanes) or AVX2 (4 lanes) through `core::arch`, chosen at run time with
//! `is_x86_feature_detected!`, else portable 4-lane arrays that any target vectorises.
//!
//! Each lane computes exactly [`super::cell_a`]: `-4c + up + down + left + right`, times
//! `D·dt`, plus `c`, as separate multiplies and adds. No fused multiply-add: it would round
//! once where NumPy rounds twice, and the grid would no longer be bit-exact with order A.
//!
//! PERF: on the 2-core Zen 3 machine (AVX2; it has no AVX-512, so that path is compiled and
//! shares the loop's text with AVX2, but is not run there) the loop is bound by its five vector
//! adds per vector: about 4 cycles per 4 cells, 85 ms for the book's run on one core and
//! 41 to 60 ms on two, depending on what else the machine runs.

use rayon::prelude::*;

use super::fused::{self, grid_row, neighbour_rows};
use super::{D, DT, Shape, cell_a};
use crate::Run;

/// A SIMD path this machine can run. Only [`Path::detect`] and [`Path::available`] make one,
/// so holding a `Path` proves its instructions exist here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Path {
    kind: Kind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    #[cfg(target_arch = "x86_64")]
    Avx512,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    Portable,
}

impl Path {
    /// The widest path this machine runs.
    pub fn detect() -> Path {
        Path::available()[0]
    }

    /// Every path this machine runs, widest first (the portable one always).
    pub fn available() -> Vec<Path> {
        let mut paths = Vec::new();
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx512f") {
                paths.push(Path { kind: Kind::Avx512 });
            }
            if is_x86_feature_detected!("avx2") {
                paths.push(Path { kind: Kind::Avx2 });
            }
        }
        paths.push(Path {
            kind: Kind::Portable,
        });
        paths
    }

    /// The width of this path's vectors in bytes.
    fn bytes(self) -> usize {
        match self.kind {
            #[cfg(target_arch = "x86_64")]
            Kind::Avx512 => 64,
            #[cfg(target_arch = "x86_64")]
            Kind::Avx2 => 32,
            Kind::Portable => 8 * LANES,
        }
    }

    /// `avx512f`, `avx2` or `portable`.
    pub fn name(self) -> &'static str {
        match self.kind {
            #[cfg(target_arch = "x86_64")]
            Kind::Avx512 => "avx512f",
            #[cfg(target_arch = "x86_64")]
            Kind::Avx2 => "avx2",
            Kind::Portable => "portable",
        }
    }

    /// One row of the step: the wrap-around edges as in [`fused::row`], the interior through
    /// [`Path::stencil`].
    #[inline]
    pub fn row(self, up: &[f64], center: &[f64], down: &[f64], out: &mut [f64]) {
        fused::edges(cell_a, up, center, down, out);
        let n = out.len();
        self.stencil(up, center, down, &mut out[1..n - 1]);
    }

    /// [`fused::stencil`] in order A: scalar cells until the centre loads are aligned to the
    /// vector width, then whole vectors in this path's instructions, then the tail (fewer
    /// cells than a vector) in scalar code.
    #[inline]
    pub fn stencil(self, up: &[f64], center: &[f64], down: &[f64], out: &mut [f64]) {
        let len = out.len();
        assert!(
            up.len() == len + 2 && center.len() == len + 2 && down.len() == len + 2,
            "input rows two cells longer than the output"
        );
        // PERF: aligned centre loads (and, in aligned grids, aligned up, down and store) keep
        // every vector but the left and right ones inside one cache line.
        let peel = center[1..].as_ptr().align_offset(self.bytes()).min(len);
        fused::stencil(
            cell_a,
            &up[..peel + 2],
            &center[..peel + 2],
            &down[..peel + 2],
            &mut out[..peel],
        );
        let (up, center, down, out) = (
            &up[peel..],
            &center[peel..],
            &down[peel..],
            &mut out[peel..],
        );
        let done = match self.kind {
            // SAFETY: a `Path` of this kind exists only when the CPU has AVX-512F.
            #[cfg(target_arch = "x86_64")]
            Kind::Avx512 => unsafe { x86::stencil_avx512(up, center, down, out) },
            // SAFETY: a `Path` of this kind exists only when the CPU has AVX2.
            #[cfg(target_arch = "x86_64")]
            Kind::Avx2 => unsafe { x86::stencil_avx2(up, center, down, out) },
            Kind::Portable => stencil_portable(up, center, down, out),
        };
        fused::stencil(
            cell_a,
            &up[done..],
            &center[done..],
            &down[done..],
            &mut out[done..],
        );
    }
}

/// Lanes of the portable path.
const LANES: usize = 4;

/// The stencil in 4-lane arrays while a whole vector fits; returns the cells done.
fn stencil_portable(up: &[f64], center: &[f64], down: &[f64], out: &mut [f64]) -> usize {
    let lanes = |slice: &[f64], from: usize| -> [f64; LANES] {
        slice[from..from + LANES].try_into().expect("LANES long")
    };
    let mut k = 0;
    while k + LANES <= out.len() {
        let (c, u, d, l, r) = (
            lanes(center, k + 1),
            lanes(up, k + 1),
            lanes(down, k + 1),
            lanes(center, k),
            lanes(center, k + 2),
        );
        let mut t = c.map(|c| c * -4.0);
        for lane in 0..LANES {
            t[lane] += u[lane];
        }
        for lane in 0..LANES {
            t[lane] += d[lane];
        }
        for lane in 0..LANES {
            t[lane] += l[lane];
        }
        for lane in 0..LANES {
            t[lane] += r[lane];
        }
        for lane in 0..LANES {
            out[k + lane] = t[lane] * (D * DT) + c[lane];
        }
        k += LANES;
    }
    k
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use core::arch::x86_64::*;

    use super::{D, DT};

    /// Writes `stencil_*`: the same loop for AVX-512F and AVX2, only the intrinsics differ.
    macro_rules! stencil {
        ($(#[$attribute:meta])* $name:ident, $feature:literal, $lanes:literal, $loadu:ident, $storeu:ident, $add:ident, $mul:ident, $set1:ident) => {
            /// The stencil in this instruction set's vectors while a whole vector fits;
            /// returns the cells done.
            $(#[$attribute])*
            #[target_feature(enable = $feature)]
            pub fn $name(up: &[f64], center: &[f64], down: &[f64], out: &mut [f64]) -> usize {
                let len = out.len();
                assert!(
                    up.len() == len + 2 && center.len() == len + 2 && down.len() == len + 2,
                    "input rows two cells longer than the output"
                );
                let minus_four = $set1(-4.0);
                let d_dt = $set1(D * DT);
                let mut k = 0;
                while k + $lanes <= len {
                    // SAFETY: k + lanes <= len, so the loads read `center[k .. k + lanes + 2]`
                    // and `up`, `down` at `k + 1 .. k + lanes + 1`, inside rows of length
                    // len + 2, and the store writes `out[k .. k + lanes]`.
                    unsafe {
                        let c = $loadu(center.as_ptr().add(k + 1));
                        let u = $loadu(up.as_ptr().add(k + 1));
                        let d = $loadu(down.as_ptr().add(k + 1));
                        let l = $loadu(center.as_ptr().add(k));
                        let r = $loadu(center.as_ptr().add(k + 2));
                        let mut t = $mul(c, minus_four);
                        t = $add(t, u);
                        t = $add(t, d);
                        t = $add(t, l);
                        t = $add(t, r);
                        $storeu(out.as_mut_ptr().add(k), $add($mul(t, d_dt), c));
                    }
                    k += $lanes;
                }
                k
            }
        };
    }

    stencil!(
        #[allow(
            clippy::incompatible_msrv,
            reason = "AVX-512 intrinsics need Rust 1.89: the declared rust-version (1.88) is to be raised"
        )]
        stencil_avx512,
        "avx512f",
        8,
        _mm512_loadu_pd,
        _mm512_storeu_pd,
        _mm512_add_pd,
        _mm512_mul_pd,
        _mm512_set1_pd
    );
    stencil!(
        stencil_avx2,
        "avx2",
        4,
        _mm256_loadu_pd,
        _mm256_storeu_pd,
        _mm256_add_pd,
        _mm256_mul_pd,
        _mm256_set1_pd
    );
}

/// One step on `path`, row after row.
pub fn step(path: Path, shape: Shape, grid: &[f64], out: &mut [f64]) {
    let Shape { rows, cols } = shape;
    assert!(
        rows >= 3 && grid.len() == shape.cells() && out.len() == shape.cells(),
        "grids of the shape, at least 3 rows"
    );
    for (i, out_row) in out.chunks_exact_mut(cols).enumerate() {
        let (up, down) = neighbour_rows(i, rows);
        path.row(
            grid_row(grid, up, cols),
            grid_row(grid, i, cols),
            grid_row(grid, down, cols),
            out_row,
        );
    }
}

/// One step on `path`, the rows split over the rayon pool.
pub fn step_rayon(path: Path, shape: Shape, grid: &[f64], out: &mut [f64]) {
    let Shape { rows, cols } = shape;
    assert!(
        rows >= 3 && grid.len() == shape.cells() && out.len() == shape.cells(),
        "grids of the shape, at least 3 rows"
    );
    out.par_chunks_exact_mut(cols)
        .enumerate()
        .with_min_len(16)
        .for_each(|(i, out_row)| {
            let (up, down) = neighbour_rows(i, rows);
            path.row(
                grid_row(grid, up, cols),
                grid_row(grid, i, cols),
                grid_row(grid, down, cols),
                out_row,
            );
        });
}

/// The SIMD pass on the widest path, serial.
pub fn run_serial(run: &mut Run, shape: Shape, steps: usize) -> Vec<f64> {
    let path = Path::detect();
    fused::evolve(run, shape, steps, |shape, grid, out| {
        step(path, shape, grid, out)
    })
}

/// The SIMD pass on the widest path, over the rayon pool.
pub fn run_rayon(run: &mut Run, shape: Shape, steps: usize) -> Vec<f64> {
    let path = Path::detect();
    fused::in_pool(|| {
        fused::evolve(run, shape, steps, |shape, grid, out| {
            step_rayon(path, shape, grid, out)
        })
    })
}
