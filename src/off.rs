//! The feature-off build: every item that does work with `enable` on, as a no-op with the same
//! name and signature, so that code written against hiperf compiles both ways. Nothing here
//! reads the clock, registers anything, starts a thread or prints.
//!
//! This module uses nothing newer than Rust 1.60 (the crate's `rust-version`): plain structs,
//! a `const fn` without trait bounds and a forwarding `GlobalAlloc`.

use std::alloc::{GlobalAlloc, Layout, System};

/// With `enable` off: does nothing (with it on, the report is written when the guard drops).
///
/// # Examples
///
/// ```
/// let _report = hiperf::ReportGuard::new();
/// ```
#[derive(Debug, Default)]
pub struct ReportGuard {
    _private: (),
}

impl ReportGuard {
    /// With `enable` off: a guard that does nothing (no clock calibration, nothing printed).
    pub fn new() -> Self {
        ReportGuard { _private: () }
    }
}

/// With `enable` off: does nothing and returns `Ok(())` (with it on, writes the report now).
///
/// # Examples
///
/// ```
/// hiperf::finish().unwrap();
/// ```
pub fn finish() -> std::io::Result<()> {
    Ok(())
}

/// With `enable` off: does nothing (with it on, turns the report at exit and on signals on or
/// off).
///
/// # Examples
///
/// ```
/// hiperf::report_at_exit(false);
/// ```
pub fn report_at_exit(on: bool) {
    let _ = on;
}

/// How time is measured (with `enable` off, nothing is).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Every line and call reads the clock.
    Exact,
    /// Hits and calls are counted exactly; time comes from a sampler thread.
    Sampled,
}

impl Mode {
    /// The name used by `HIPERF_MODE` and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Exact => "exact",
            Mode::Sampled => "sampled",
        }
    }
}

/// The mode in force; with `enable` off, always [`Mode::Exact`] (nothing is measured).
pub fn mode() -> Mode {
    Mode::Exact
}

/// Selects the mode; with `enable` off, does nothing.
///
/// # Examples
///
/// ```
/// hiperf::set_mode(hiperf::Mode::Sampled);
/// ```
pub fn set_mode(mode: Mode) {
    let _ = mode;
}

/// Snapshots of the profile; with `enable` off, always empty.
pub mod snapshot {
    /// Options of a snapshot (with `enable` off, read and ignored).
    #[derive(Clone, Copy, Debug, Default)]
    pub struct SnapshotOptions {
        /// Subtract the calibrated probe cost from every line time.
        pub subtract_probe: bool,
    }

    impl SnapshotOptions {
        /// Options from the environment (`HIPERF_SUBTRACT_PROBE`); with `enable` off, the
        /// defaults, without reading the environment.
        pub fn from_env() -> Self {
            SnapshotOptions::default()
        }
    }

    /// With `enable` off: a profile with nothing in it. Its fields (functions, lines, call
    /// paths) exist with `enable` on: read them under `#[cfg(feature = "...")]`.
    #[derive(Clone, Debug, Default, PartialEq)]
    #[non_exhaustive]
    pub struct Profile {}

    /// With `enable` off: an empty [`Profile`], without calibrating the clock.
    ///
    /// # Examples
    ///
    /// ```
    /// let _profile = hiperf::take(Default::default());
    /// ```
    pub fn take(options: SnapshotOptions) -> Profile {
        let _ = options;
        Profile {}
    }
}

/// With `enable` off: the wrapped allocator itself, counting nothing (with it on, the exact
/// heap counts of `#[memit]` and `memit!`). Every call is forwarded unchanged.
///
/// # Examples
///
/// ```
/// #[global_allocator]
/// static ALLOC: hiperf::Alloc = hiperf::Alloc::system();
/// ```
#[derive(Debug, Default)]
pub struct Alloc<A = System> {
    inner: A,
}

impl Alloc<System> {
    /// The system allocator.
    pub const fn system() -> Self {
        Alloc { inner: System }
    }
}

impl<A> Alloc<A> {
    /// `inner`, forwarded to.
    pub const fn new(inner: A) -> Self {
        Alloc { inner }
    }
}

// SAFETY: every call is forwarded to `inner` with the caller's arguments unchanged.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Alloc<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.inner.alloc(layout) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.inner.alloc_zeroed(layout) }
    }

    #[inline]
    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.inner.realloc(pointer, layout, new_size) }
    }

    #[inline]
    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.inner.dealloc(pointer, layout) }
    }
}

/// What `memit!` measures; with `enable` off, every figure is zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Memit {
    /// Whether `hiperf::Alloc` counted the heap (always `false` with `enable` off).
    pub allocator_installed: bool,
    /// Live heap of the process (every thread) before the expression, in bytes.
    pub baseline_bytes: i64,
    /// Highest rise of the calling thread's live heap while the expression ran, in bytes.
    pub increment_bytes: i64,
    /// `baseline_bytes + increment_bytes` (`%memit`'s peak memory).
    pub peak_bytes: i64,
    /// Live heap of the calling thread after the expression minus before it.
    pub net_bytes: i64,
    /// Allocation requests the calling thread made.
    pub allocations: u64,
    /// Bytes the calling thread allocated.
    pub allocated_bytes: u64,
    /// Process RSS before, in bytes (`None` with `enable` off).
    pub rss_before_bytes: Option<u64>,
    /// Process RSS after, in bytes (`None` with `enable` off).
    pub rss_after_bytes: Option<u64>,
}

/// With `enable` off: runs `f` and returns its value with zero figures.
///
/// # Examples
///
/// ```
/// let (sum, _figures) = hiperf::measure_memory(|| (0..10u64).sum::<u64>());
/// assert_eq!(sum, 45);
/// ```
pub fn measure_memory<T>(f: impl FnOnce() -> T) -> (T, Memit) {
    (f(), Memit::default())
}

impl std::fmt::Display for Memit {
    /// With `enable` off there are no figures to show: says so.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("memit: no figures (hiperf's `enable` feature is off)")
    }
}

/// What `hiperf::assert_memory!` expands to with `enable` off: the budgets are still checked
/// for their form when the crate compiles (the macro's own rules), but nothing is measured and
/// nothing fails; the expression is evaluated and returned as written.
#[doc(hidden)]
pub mod budget {
    /// A figure a budget limits (unused with `enable` off).
    #[derive(Clone, Copy, Debug)]
    pub enum BudgetFigure {
        /// `peak`
        Peak,
        /// `leak`
        Leak,
        /// `allocs`
        Allocations,
        /// `bytes`
        AllocatedBytes,
    }

    /// How a figure compares with its limit (unused with `enable` off).
    #[derive(Clone, Copy, Debug)]
    pub enum BudgetRelation {
        /// `<=`
        AtMost,
        /// `<`
        Below,
        /// `==`
        Equal,
    }

    /// One budget, kept for nothing.
    #[derive(Clone, Copy, Debug)]
    pub struct Budget {
        _private: (),
    }

    impl Budget {
        /// A budget that is never checked.
        pub fn new(_: BudgetFigure, _: BudgetRelation, _: i64, _: &'static str) -> Self {
            Budget { _private: () }
        }
    }

    /// The start of an expression's measure: with `enable` off, nothing is measured.
    #[derive(Clone, Copy, Debug)]
    pub struct BudgetStart {
        _private: (),
    }

    impl BudgetStart {
        /// Measures nothing.
        pub fn now() -> Self {
            BudgetStart { _private: () }
        }

        /// Checks nothing.
        pub fn enforce(self, _: &[Budget], _: &str) {}
    }
}
