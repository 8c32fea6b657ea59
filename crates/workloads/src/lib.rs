//! The workloads of *High Performance Python* (Gorelick & Ozsvald, 2nd ed.), chapters 2 to 11,
//! ported to Rust: the naive line-for-line port of each program (annotated with
//! `#[hiperf::profile]` / `#[hiperf::memit]`) and an optimized ladder, every variant checked
//! against the book's values. Each registers itself as a [`Workload`] through `inventory`;
//! the runner finds them with [`workloads`].
//!
//! ```
//! use hiperf_workloads::{Run, Size, workloads};
//!
//! let julia = workloads().into_iter().find(|w| w.id() == "ch02/julia/naive").unwrap();
//! let outcome = (julia.run)(&mut Run::new(Size::Quick)).unwrap();
//! assert!(outcome.result.contains("334236"));
//! ```

pub mod ch02_julia;
pub mod ch03_search;
pub mod ch04_dict;
pub mod ch05_generators;
pub mod ch06_matrix;
pub mod ch07_compiling;
pub mod ch08_concurrency;
pub mod ch09_multiprocessing;
pub mod ch10_clusters;
pub mod ch11_less_ram;
pub mod service;
pub mod worker;
mod workload;

pub use workload::{
    Baseline, Chart, ChartSeries, Figure, Outcome, Run, Size, Unit, Workload, expect_eq, workloads,
};
