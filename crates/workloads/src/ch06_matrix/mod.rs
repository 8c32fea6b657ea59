//! Chapter 6, Matrix and vector computation (`06_matrix`): the 2-D diffusion of
//! `diffusion_2d/`, the squared norm of `norm/` and the per-row least-squares slopes of
//! `pandas/`, each ported naive first (annotated for the line and memory profilers, like the
//! book's kernprof and memory_profiler listings) and then optimized rung by rung.
//!
//! Every diffusion variant reproduces, bit for bit, the floating-point evaluation order of the
//! Python program it mirrors (orders A, B and C of [`diffusion::Order`]): nothing is contracted
//! to a fused multiply-add, so the book's reference values hold exactly.

pub mod diffusion;
pub mod norm;
pub mod ols;
