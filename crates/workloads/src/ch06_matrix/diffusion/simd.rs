//! The fused pass of [`super::fused`] with its interior in explicit SIMD, order A: AVX-512F
//! (8 lanes) or AVX2 (4 lanes) through `core::arch`, chosen at run time with
//! `is_x86_feature_detected!`, else portable 4-lane arrays that any target vectorises.
//!
//! Each lane computes exactly [`super::cell_a`]: `-4c + up + down + left + right`, times
//! `D·dt`, plus `c`, as separate multiplies and adds. No fused multiply-add: it would round
//! once where NumPy rounds twice, and the grid would no longer be bit-exact with order A.

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

    /// One row of the step: the wrap-around edges and the scalar tail as in [`fused::row`],
    /// the interior in this path's vectors.
    #[inline]
    pub fn row(self, up: &[f64], center: &[f64], down: &[f64], out: &mut [f64]) {
        fused::edges(cell_a, up, center, down, out);
        let tail = match self.kind {
            // SAFETY: a `Path` of this kind exists only when the CPU has AVX-512F.
            #[cfg(target_arch = "x86_64")]
            Kind::Avx512 => unsafe { x86::interior_avx512(up, center, down, out) },
            // SAFETY: a `Path` of this kind exists only when the CPU has AVX2.
            #[cfg(target_arch = "x86_64")]
            Kind::Avx2 => unsafe { x86::interior_avx2(up, center, down, out) },
            Kind::Portable => interior_portable(up, center, down, out),
        };
        fused::interior(cell_a, tail, up, center, down, out);
    }
}

/// Lanes of the portable path.
const LANES: usize = 4;

/// The interior in 4-lane arrays, from column 1 while a whole vector fits; returns the first
/// column left for the scalar tail.
fn interior_portable(up: &[f64], center: &[f64], down: &[f64], out: &mut [f64]) -> usize {
    let n = center.len();
    assert!(
        n >= 3 && up.len() == n && down.len() == n && out.len() == n,
        "rows of one length, at least 3"
    );
    let lanes = |slice: &[f64], from: usize| -> [f64; LANES] {
        slice[from..from + LANES].try_into().expect("LANES long")
    };
    let mut j = 1;
    while j + LANES < n {
        let (c, u, d, l, r) = (
            lanes(center, j),
            lanes(up, j),
            lanes(down, j),
            lanes(center, j - 1),
            lanes(center, j + 1),
        );
        let mut t = c.map(|c| c * -4.0);
        for k in 0..LANES {
            t[k] += u[k];
        }
        for k in 0..LANES {
            t[k] += d[k];
        }
        for k in 0..LANES {
            t[k] += l[k];
        }
        for k in 0..LANES {
            t[k] += r[k];
        }
        for k in 0..LANES {
            out[j + k] = t[k] * (D * DT) + c[k];
        }
        j += LANES;
    }
    j
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use core::arch::x86_64::*;

    use super::{D, DT};

    /// Writes `interior_*`: the same loop for AVX-512F and AVX2, only the intrinsics differ.
    macro_rules! interior {
        ($(#[$attribute:meta])* $name:ident, $feature:literal, $lanes:literal, $loadu:ident, $storeu:ident, $add:ident, $mul:ident, $set1:ident) => {
            /// The interior in this instruction set's vectors, from column 1 while a whole
            /// vector fits; returns the first column left for the scalar tail.
            $(#[$attribute])*
            #[target_feature(enable = $feature)]
            pub fn $name(up: &[f64], center: &[f64], down: &[f64], out: &mut [f64]) -> usize {
                let n = center.len();
                assert!(
                    n >= 3 && up.len() == n && down.len() == n && out.len() == n,
                    "rows of one length, at least 3"
                );
                let minus_four = $set1(-4.0);
                let d_dt = $set1(D * DT);
                let mut j = 1;
                while j + $lanes < n {
                    // SAFETY: 1 <= j and j + lanes <= n - 1, so the loads read `center[j - 1 ..
                    // j + lanes + 1]` and `up`, `down` at `j .. j + lanes`, and the store writes
                    // `out[j .. j + lanes]`: all inside rows of length n.
                    unsafe {
                        let c = $loadu(center.as_ptr().add(j));
                        let u = $loadu(up.as_ptr().add(j));
                        let d = $loadu(down.as_ptr().add(j));
                        let l = $loadu(center.as_ptr().add(j - 1));
                        let r = $loadu(center.as_ptr().add(j + 1));
                        let mut t = $mul(c, minus_four);
                        t = $add(t, u);
                        t = $add(t, d);
                        t = $add(t, l);
                        t = $add(t, r);
                        $storeu(out.as_mut_ptr().add(j), $add($mul(t, d_dt), c));
                    }
                    j += $lanes;
                }
                j
            }
        };
    }

    interior!(
        #[allow(
            clippy::incompatible_msrv,
            reason = "AVX-512 intrinsics need Rust 1.89: the declared rust-version (1.88) is to be raised"
        )]
        interior_avx512,
        "avx512f",
        8,
        _mm512_loadu_pd,
        _mm512_storeu_pd,
        _mm512_add_pd,
        _mm512_mul_pd,
        _mm512_set1_pd
    );
    interior!(
        interior_avx2,
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
    fused::evolve(run, shape, steps, |shape, grid, out| {
        step_rayon(path, shape, grid, out)
    })
}
