//! hiperf: the profiling toolbox of *High Performance Python* for Rust.
//!
//! ```
//! #[hiperf::profile]
//! fn sum_of_squares(n: u64) -> u64 {
//!     let mut total = 0;
//!     for i in 0..n {
//!         total += i * i;
//!     }
//!     total
//! }
//!
//! #[hiperf::main]
//! fn main() {
//!     assert_eq!(sum_of_squares(4), 14);
//! }
//! ```
//!
//! With the `enable` feature off (the default) the attributes return the function untouched
//! and cost nothing. Build with `--features hiperf/enable` and the program prints, at the end
//! of `main`, one line_profiler-shaped table per annotated function: per line hits, time, time
//! per hit and share of the function, over every call and thread.
//!
//! Environment at run time: `HIPERF_REPORT=PATH|off` (text report to a file instead of
//! stderr), `HIPERF_JSON=PATH` (the profile as JSON, schema `hiperf.profile/1`),
//! `HIPERF_SUBTRACT_PROBE=1` (subtract the calibrated probe cost from line times).

pub use hiperf_macros::{main, memit, profile, skip};
pub use hiperf_runtime::alloc as alloc_figures;
pub use hiperf_runtime::alloc::Alloc;
pub use hiperf_runtime::memit::{Memit, measure as measure_memory};
pub use hiperf_runtime::output as report_files;
pub use hiperf_runtime::output::{ReportGuard, finish};
pub use hiperf_runtime::snapshot::{self, Profile, take};
pub use hiperf_runtime::{calls, clock, graph, merge, report};

/// Whether this build has profiling on (hiperf's `enable` feature).
///
/// # Examples
///
/// ```
/// if hiperf::ENABLED {
///     println!("profiling is on");
/// }
/// ```
pub const ENABLED: bool = cfg!(feature = "enable");

/// IPython's magics for Rust: [`memit!`](crate::magic::memit), the `%memit` analogue.
///
/// It lives in this module because a macro's name is shared by attributes and `name!`
/// macros: `hiperf::memit` is the `#[memit]` attribute. Import it and write `memit!(expr)`:
///
/// ```
/// use hiperf::magic::memit;
///
/// #[global_allocator]
/// static ALLOC: hiperf::Alloc = hiperf::Alloc::system();
///
/// let squares: Vec<u64> = memit!((0..1000u64).map(|x| x * x).collect());
/// assert_eq!(squares.len(), 1000);
/// ```
pub mod magic {
    /// `%memit` for Rust: evaluates the expression, prints (to stderr)
    /// `peak memory: X MiB, increment: Y MiB` from exact heap counts (with `hiperf::Alloc`
    /// installed) and the RSS, and returns the value. It works with or without the `enable`
    /// feature. [`measure_memory`](crate::measure_memory) returns the figures instead.
    #[doc(inline)]
    pub use crate::__hiperf_memit as memit;
}

#[doc(hidden)]
#[macro_export]
macro_rules! __hiperf_memit {
    ($expression:expr) => {{
        let start = $crate::__private::MemitStart::now();
        let value = $expression;
        let figures = start.finish();
        ::std::eprintln!("{}", figures);
        value
    }};
}

#[doc(hidden)]
pub mod __private {
    pub use hiperf_runtime::__private::*;
}
