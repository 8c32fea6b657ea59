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
//! With the `enable` feature off (the default) the attributes return the function untouched,
//! this crate depends on nothing but `hiperf-macros` (itself without dependencies), and every
//! item below is a no-op that compiles the same way: the build is the program's own. Build
//! with `--features hiperf/enable` and the program prints, at the end of `main`, one
//! line_profiler-shaped table per annotated function: per line hits, time, time per hit and
//! share of the function, over every call and thread.
//!
//! The report is written once, when the process ends: at the end of `main` (with
//! `#[hiperf::main]` or a [`ReportGuard`]), at `std::process::exit`, at the end of a test
//! binary (one report per binary: `cargo test --features profile`), and on Ctrl-C, SIGTERM or
//! SIGHUP (then the process still ends with the signal's own status).
//!
//! Environment at run time: `HIPERF_REPORT=PATH|off` (text report to a file instead of
//! stderr), `HIPERF_JSON=PATH` (the profile as JSON, schema `hiperf.profile/3`),
//! `HIPERF_FOLDED=PATH` (folded stacks), `HIPERF_TRACE=PATH` (Chrome trace),
//! `HIPERF_PPROF=PATH` (gzipped pprof protobuf, for `go tool pprof`),
//! `HIPERF_SORT=KEY` (the call table's order), `HIPERF_SUBTRACT_PROBE=1` (subtract the
//! calibrated probe cost from line times), `HIPERF_MODE=exact|sampled` (the sampled mode
//! counts hits and calls exactly and samples time: see [`set_mode`]),
//! `HIPERF_SAMPLE_US=N` (its period, default 100).

pub use hiperf_macros::{main, memit, profile, skip};

#[cfg(feature = "enable")]
pub use hiperf_runtime::alloc as alloc_figures;
#[cfg(feature = "enable")]
pub use hiperf_runtime::alloc::Alloc;
#[cfg(feature = "enable")]
pub use hiperf_runtime::exit::report_at_exit;
#[cfg(feature = "enable")]
pub use hiperf_runtime::memit::{Memit, measure as measure_memory};
#[cfg(feature = "enable")]
pub use hiperf_runtime::output as report_files;
#[cfg(feature = "enable")]
pub use hiperf_runtime::output::{ReportGuard, finish};
#[cfg(feature = "enable")]
pub use hiperf_runtime::sampler::{Mode, mode, set_mode};
#[cfg(feature = "enable")]
pub use hiperf_runtime::snapshot::{self, Profile, take};
#[cfg(feature = "enable")]
pub use hiperf_runtime::{calls, clock, graph, merge, report};

#[cfg(not(feature = "enable"))]
mod off;
#[cfg(not(feature = "enable"))]
#[doc(hidden)]
pub mod __private {
    pub use crate::off::budget::*;
}
#[cfg(not(feature = "enable"))]
pub use off::snapshot::{Profile, take};
#[cfg(not(feature = "enable"))]
pub use off::{
    Alloc, Memit, Mode, ReportGuard, finish, measure_memory, mode, report_at_exit, set_mode,
    snapshot,
};

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
    /// installed) and the RSS, and returns the value. Without the `enable` feature it only
    /// evaluates the expression and prints nothing.
    /// [`measure_memory`](crate::measure_memory) returns the figures instead.
    #[doc(inline)]
    pub use crate::__hiperf_memit as memit;
}

#[cfg(feature = "enable")]
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

#[cfg(not(feature = "enable"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __hiperf_memit {
    ($expression:expr) => {
        $expression
    };
}

/// Fails the test when an expression's heap use breaks a budget: pytest-memray's
/// `limit_memory` and `limit_leaks`, per expression, from exact allocator counts.
///
/// `assert_memory!(EXPR, BUDGET, ...)` evaluates `EXPR`, returns its value, and panics when a
/// budget is broken. A budget is `FIGURE RELATION LIMIT [UNIT]`:
/// - `FIGURE`: `peak` (the highest rise of the heap above its level at the start), `leak`
///   (the heap after minus before: a returned value that owns heap memory counts, so drop it
///   inside the expression to leave it out), `allocs` (allocation requests, no unit) or
///   `bytes` (bytes allocated, freed or not);
/// - `RELATION`: `<=`, `<` or `==`;
/// - `LIMIT`: an integer literal, a constant, or an expression in parentheses;
/// - `UNIT`: `B`, `KiB`, `MiB`, `GiB` (powers of 1024) or `KB`, `MB`, `GB` (of 1000).
///
/// The figures are the calling thread's, exact (tests in parallel threads do not disturb
/// each other), so a budget never flakes. The message names each broken budget, its measured
/// figure, and the line that allocated most when the expression ran `#[hiperf::memit]`
/// functions. It needs hiperf's `enable` feature (`cargo test --features hiperf/enable`) and
/// `hiperf::Alloc` as the global allocator: without the allocator nothing is counted, and the
/// assertion fails saying so instead of passing on zeros. With `enable` off (the feature-off
/// build links no runtime) the budgets are still checked for their form when the crate
/// compiles, but nothing is measured: the expression is evaluated and returned, and nothing
/// fails.
///
/// # Examples
///
/// ```
/// #[global_allocator]
/// static ALLOC: hiperf::Alloc = hiperf::Alloc::system();
///
/// let squares: Vec<u64> = hiperf::assert_memory!(
///     (0..1000u64).map(|x| x * x).collect(),
///     peak <= 8000 B,
///     leak == 8000 B,
///     allocs == 1,
/// );
/// assert_eq!(squares.len(), 1000);
/// hiperf::assert_memory!(drop(squares.clone()), leak == 0, bytes < 8 KiB);
/// ```
///
/// A broken budget panics with, for example:
///
/// ```text
/// memory budget exceeded: `peak <= 4 KiB` of `(0..1000u64).map(|x| x * x).collect()`: measured 8000 B (7.812 KiB)
///   measured (calling thread, exact): peak 7.812 KiB, leak 7.812 KiB, 1 allocation, 7.812 KiB allocated
///   line that allocated most: src/lib.rs:12 in app::squares (7.812 KiB in 1 allocation)
/// ```
#[macro_export]
macro_rules! assert_memory {
    ($expression:expr, $($figure:ident $relation:tt $limit:tt $($unit:ident)?),+ $(,)?) => {{
        let budget = $crate::__private::BudgetStart::now();
        let value = $expression;
        budget.enforce(
            &[$($crate::__hiperf_budget!($figure $relation $limit $($unit)?)),+],
            ::core::stringify!($expression),
        );
        value
    }};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __hiperf_budget {
    (allocs $relation:tt $limit:tt $unit:ident) => {
        ::core::compile_error!(::core::concat!(
            "`allocs` counts allocations and takes no unit; remove `",
            ::core::stringify!($unit),
            "`"
        ))
    };
    ($figure:ident $relation:tt $limit:tt $($unit:ident)?) => {
        $crate::__private::Budget::new(
            $crate::__hiperf_budget!(@figure $figure),
            $crate::__hiperf_budget!(@relation $relation),
            ($limit) as i64 * $crate::__hiperf_budget!(@unit $($unit)?),
            ::core::stringify!($figure $relation $limit $($unit)?),
        )
    };
    (@figure peak) => { $crate::__private::BudgetFigure::Peak };
    (@figure leak) => { $crate::__private::BudgetFigure::Leak };
    (@figure allocs) => { $crate::__private::BudgetFigure::Allocations };
    (@figure bytes) => { $crate::__private::BudgetFigure::AllocatedBytes };
    (@figure $other:ident) => {
        ::core::compile_error!(::core::concat!(
            "unknown memory budget `",
            ::core::stringify!($other),
            "`; expected `peak`, `leak`, `allocs` or `bytes`"
        ))
    };
    (@relation <=) => { $crate::__private::BudgetRelation::AtMost };
    (@relation <) => { $crate::__private::BudgetRelation::Below };
    (@relation ==) => { $crate::__private::BudgetRelation::Equal };
    (@relation $other:tt) => {
        ::core::compile_error!(::core::concat!(
            "unknown relation `",
            ::core::stringify!($other),
            "` in a memory budget; expected `<=`, `<` or `==`"
        ))
    };
    (@unit) => { 1i64 };
    (@unit B) => { 1i64 };
    (@unit KiB) => { 1024i64 };
    (@unit MiB) => { 1_048_576i64 };
    (@unit GiB) => { 1_073_741_824i64 };
    (@unit KB) => { 1000i64 };
    (@unit MB) => { 1_000_000i64 };
    (@unit GB) => { 1_000_000_000i64 };
    (@unit $other:ident) => {
        ::core::compile_error!(::core::concat!(
            "unknown unit `",
            ::core::stringify!($other),
            "` in a memory budget; expected B, KiB, MiB, GiB, KB, MB or GB"
        ))
    };
}

#[cfg(feature = "enable")]
#[doc(hidden)]
pub mod __private {
    pub use hiperf_runtime::__private::*;
}
