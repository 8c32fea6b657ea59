//! Chapter 7, Compiling to C: what the book gets from Cython, Numba, OpenMP and C through an FFI,
//! done in Rust.
//!
//! - [`julia`]: the Julia ladder, from chapter 2's kernel to expanded math, rayon with dynamic
//!   scheduling, and SIMD lanes ([`simd`]) on every core. Every variant gives the book's sums.
//! - [`diffusion`]: the fixed-boundary diffusion kernel of `diffusion.c`, compiled with the `cc`
//!   crate and called through `extern "C"`, beside the same kernel in Rust, bit for bit.
//!
//! ```
//! use hiperf_workloads::{Run, Size, workloads};
//!
//! let simd = workloads().into_iter().find(|w| w.id() == "ch07/julia/simd-rayon").unwrap();
//! let outcome = (simd.run)(&mut Run::new(Size::Quick)).unwrap();
//! assert!(outcome.result.contains("334236"));
//! ```

pub mod diffusion;
pub mod julia;
pub mod simd;
