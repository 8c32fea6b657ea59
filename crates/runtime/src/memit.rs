//! `%memit` for Rust: the peak and increment of the heap while an expression runs, from exact
//! allocator counts (memory_profiler polls the RSS instead). See the `memit!` macro of the
//! `hiperf` crate, and [`measure`] for the figures as data.

use std::fmt;

use crate::alloc;

/// What `memit!` measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Memit {
    /// Whether `hiperf::Alloc` counted the heap (else only the RSS figures mean anything).
    pub allocator_installed: bool,
    /// Live heap of the process (every thread) before the expression, in bytes.
    pub baseline_bytes: i64,
    /// Highest rise of the calling thread's live heap while the expression ran, in bytes
    /// (`%memit`'s increment: peak minus baseline).
    pub increment_bytes: i64,
    /// `baseline_bytes + increment_bytes` (`%memit`'s peak memory).
    pub peak_bytes: i64,
    /// Live heap of the calling thread after the expression minus before it.
    pub net_bytes: i64,
    /// Allocation requests the calling thread made.
    pub allocations: u64,
    /// Bytes the calling thread allocated.
    pub allocated_bytes: u64,
    /// Process RSS before and after (Linux), in bytes.
    pub rss_before_bytes: Option<u64>,
    /// See `rss_before_bytes`.
    pub rss_after_bytes: Option<u64>,
}

/// A measurement under way (used by `memit!`).
#[derive(Debug)]
pub struct MemitStart {
    heap: &'static alloc::HeapSlot,
    baseline: i64,
    live: i64,
    caller_peak: i64,
    allocations: u64,
    allocated: u64,
    rss: Option<u64>,
}

impl MemitStart {
    /// Starts measuring the calling thread.
    pub fn now() -> Self {
        let rss = alloc::rss_bytes();
        let baseline = alloc::process_heap().live;
        let heap = alloc::current();
        let caller_peak = heap.take_peak();
        MemitStart {
            heap,
            baseline,
            live: heap.live(),
            caller_peak,
            allocations: heap.allocations(),
            allocated: heap.allocated(),
            rss,
        }
    }

    /// Stops and returns the figures.
    pub fn finish(self) -> Memit {
        let heap = self.heap;
        let live = heap.live();
        let peak = heap.take_peak().max(live);
        heap.raise_peak(self.caller_peak.max(peak));
        let increment = peak - self.live;
        Memit {
            allocator_installed: alloc::installed(),
            baseline_bytes: self.baseline,
            increment_bytes: increment,
            peak_bytes: self.baseline + increment,
            net_bytes: live - self.live,
            allocations: heap.allocations() - self.allocations,
            allocated_bytes: heap.allocated() - self.allocated,
            rss_before_bytes: self.rss,
            rss_after_bytes: alloc::rss_bytes(),
        }
    }
}

/// Runs `f` and returns its value with the heap figures.
///
/// # Examples
///
/// ```
/// let (sum, figures) = hiperf_runtime::memit::measure(|| (0..10u64).sum::<u64>());
/// assert_eq!(sum, 45);
/// assert!(figures.increment_bytes >= 0);
/// ```
pub fn measure<T>(f: impl FnOnce() -> T) -> (T, Memit) {
    let start = MemitStart::now();
    let value = f();
    (value, start.finish())
}

fn mib(bytes: i64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

impl fmt::Display for Memit {
    /// `peak memory: X MiB, increment: Y MiB`, as `%memit` prints it, then the details.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rss = match (self.rss_before_bytes, self.rss_after_bytes) {
            (Some(before), Some(after)) => {
                format!(
                    "RSS {:.2} MiB -> {:.2} MiB",
                    mib(before as i64),
                    mib(after as i64)
                )
            }
            _ => "RSS not available".to_string(),
        };
        if !self.allocator_installed {
            let (Some(before), Some(after)) = (self.rss_before_bytes, self.rss_after_bytes) else {
                return write!(
                    f,
                    "no figures: install hiperf::Alloc (see below) or run on Linux"
                );
            };
            return write!(
                f,
                "peak memory: {:.2} MiB, increment: {:.2} MiB (RSS only; for exact heap figures add \
                 `#[global_allocator] static ALLOC: hiperf::Alloc = hiperf::Alloc::system();`)",
                mib(before.max(after) as i64),
                mib(after as i64 - before as i64)
            );
        }
        write!(
            f,
            "peak memory: {:.2} MiB, increment: {:.2} MiB (heap; net {:+.2} MiB, {} allocations; {rss})",
            mib(self.peak_bytes),
            mib(self.increment_bytes),
            mib(self.net_bytes),
            self.allocations
        )
    }
}
