//! The counting allocator: [`Alloc`] wraps any `GlobalAlloc` and keeps, per thread, the live
//! heap, its high-water mark, and the bytes and number of allocations and frees.
//!
//! PERF: each thread writes only its own [`HeapSlot`] (a relaxed load then store: plain moves
//! on x86-64); a report sums the slots. Inside the allocator nothing allocates, locks or
//! panics. A thread claims a slot from a fixed pool on its first allocation and gives it back
//! when it exits, if it ran a profiled function (the release needs a thread-local destructor,
//! which the allocator itself must not register); past the pool, threads share one slot
//! updated with atomic read-modify-writes, still exact.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering::*};

/// A counting global allocator around `A` (by default the system allocator).
///
/// # Examples
///
/// ```
/// #[global_allocator]
/// static ALLOC: hiperf_runtime::alloc::Alloc = hiperf_runtime::alloc::Alloc::system();
///
/// let before = hiperf_runtime::alloc::thread_heap();
/// let kept: Vec<u64> = Vec::with_capacity(1 << 20);
/// let after = hiperf_runtime::alloc::thread_heap();
/// assert_eq!(after.live - before.live, 8 << 20);
/// assert_eq!(after.allocations - before.allocations, 1);
/// # drop(kept);
/// ```
#[derive(Debug, Default)]
pub struct Alloc<A = System> {
    inner: A,
}

impl Alloc<System> {
    /// Counts the system allocator's allocations.
    pub const fn system() -> Self {
        Alloc { inner: System }
    }
}

impl<A> Alloc<A> {
    /// Counts `inner`'s allocations.
    pub const fn new(inner: A) -> Self {
        Alloc { inner }
    }
}

// SAFETY: every call is forwarded to `inner` with the caller's arguments unchanged; the
// counting only reads the result and never allocates, locks or panics.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Alloc<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let pointer = unsafe { self.inner.alloc(layout) };
        if !pointer.is_null() {
            record(layout.size() as i64, layout.size() as u64, 0, true);
        }
        pointer
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let pointer = unsafe { self.inner.alloc_zeroed(layout) };
        if !pointer.is_null() {
            record(layout.size() as i64, layout.size() as u64, 0, true);
        }
        pointer
    }

    #[inline]
    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { self.inner.dealloc(pointer, layout) };
        record(-(layout.size() as i64), 0, layout.size() as u64, false);
    }

    #[inline]
    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees; a realloc stays a realloc.
        let moved = unsafe { self.inner.realloc(pointer, layout, new_size) };
        if !moved.is_null() {
            let old = layout.size() as u64;
            let new = new_size as u64;
            record(
                new as i64 - old as i64,
                new.saturating_sub(old),
                old.saturating_sub(new),
                true,
            );
        }
        moved
    }
}

/// One thread's heap counters (or the shared overflow slot).
#[derive(Debug)]
#[repr(align(64))]
pub struct HeapSlot {
    live: AtomicI64,
    peak: AtomicI64,
    allocated: AtomicU64,
    freed: AtomicU64,
    allocations: AtomicU64,
    frees: AtomicU64,
    in_use: AtomicBool,
}

impl HeapSlot {
    const fn new() -> Self {
        HeapSlot {
            live: AtomicI64::new(0),
            peak: AtomicI64::new(0),
            allocated: AtomicU64::new(0),
            freed: AtomicU64::new(0),
            allocations: AtomicU64::new(0),
            frees: AtomicU64::new(0),
            in_use: AtomicBool::new(false),
        }
    }

    #[inline(always)]
    fn is_shared(&self) -> bool {
        ptr::eq(self, &OVERFLOW)
    }

    /// Live bytes of this thread (allocated minus freed by it).
    #[inline(always)]
    pub fn live(&self) -> i64 {
        self.live.load(Relaxed)
    }

    /// The highest live value since the last [`HeapSlot::take_peak`].
    #[inline(always)]
    pub fn peak(&self) -> i64 {
        self.peak.load(Relaxed)
    }

    /// Returns the high-water mark and restarts it at the current live value.
    #[inline(always)]
    pub fn take_peak(&self) -> i64 {
        let peak = self.peak.load(Relaxed);
        self.peak.store(self.live.load(Relaxed), Relaxed);
        peak
    }

    /// Raises the high-water mark to `level` (a callee hands its peak back to its caller).
    #[inline(always)]
    pub fn raise_peak(&self, level: i64) {
        if level > self.peak.load(Relaxed) {
            self.peak.store(level, Relaxed);
        }
    }

    /// Allocation requests made by this thread (alloc, alloc_zeroed, realloc).
    #[inline(always)]
    pub fn allocations(&self) -> u64 {
        self.allocations.load(Relaxed)
    }

    /// Bytes this thread allocated (a realloc's growth counts, its shrink does not).
    #[inline(always)]
    pub fn allocated(&self) -> u64 {
        self.allocated.load(Relaxed)
    }

    fn figures(&self) -> HeapFigures {
        HeapFigures {
            live: self.live.load(Relaxed),
            peak: self.peak.load(Relaxed),
            allocated: self.allocated.load(Relaxed),
            freed: self.freed.load(Relaxed),
            allocations: self.allocations.load(Relaxed),
            frees: self.frees.load(Relaxed),
        }
    }
}

const POOL_SIZE: usize = 4096;
static POOL: [HeapSlot; POOL_SIZE] = [const { HeapSlot::new() }; POOL_SIZE];
static OVERFLOW: HeapSlot = HeapSlot::new();
static INSTALLED: AtomicBool = AtomicBool::new(false);

thread_local! {
    static HEAP: Cell<*const HeapSlot> = const { Cell::new(ptr::null()) };
}

#[inline(always)]
fn record(live_change: i64, allocated: u64, freed: u64, is_allocation: bool) {
    // Only the allocator marks itself installed: a thread that reads its figures claims a
    // slot too, without anything being counted. PERF: a load of a line no one writes again.
    if !INSTALLED.load(Relaxed) {
        INSTALLED.store(true, Relaxed);
    }
    let slot = current();
    if slot.is_shared() {
        slot.live.fetch_add(live_change, Relaxed);
        slot.allocated.fetch_add(allocated, Relaxed);
        slot.freed.fetch_add(freed, Relaxed);
        slot.allocations
            .fetch_add(u64::from(is_allocation), Relaxed);
        slot.frees.fetch_add(u64::from(!is_allocation), Relaxed);
        return;
    }
    let live = slot.live.load(Relaxed).wrapping_add(live_change);
    slot.live.store(live, Relaxed);
    if live > slot.peak.load(Relaxed) {
        slot.peak.store(live, Relaxed);
    }
    if is_allocation {
        slot.allocated.store(
            slot.allocated.load(Relaxed).wrapping_add(allocated),
            Relaxed,
        );
        slot.allocations
            .store(slot.allocations.load(Relaxed) + 1, Relaxed);
    } else {
        slot.frees.store(slot.frees.load(Relaxed) + 1, Relaxed);
    }
    if freed != 0 {
        slot.freed
            .store(slot.freed.load(Relaxed).wrapping_add(freed), Relaxed);
    }
}

/// This thread's heap slot, claimed on first use.
#[inline(always)]
pub fn current() -> &'static HeapSlot {
    let slot = HEAP.with(Cell::get);
    if slot.is_null() {
        return claim();
    }
    // SAFETY: the cell only ever holds pointers to the statics above.
    unsafe { &*slot }
}

#[cold]
#[inline(never)]
fn claim() -> &'static HeapSlot {
    let slot = POOL
        .iter()
        .find(|slot| {
            slot.in_use
                .compare_exchange(false, true, Acquire, Relaxed)
                .is_ok()
        })
        .unwrap_or(&OVERFLOW);
    // A new owner starts its peak from its own live level (a slot's sums carry over).
    slot.peak.store(slot.live.load(Relaxed), Relaxed);
    HEAP.with(|cell| cell.set(slot));
    slot
}

/// Gives this thread's slot back (called from a thread-local destructor outside the
/// allocator). Later allocations of the exiting thread go to the shared slot.
pub(crate) fn release_thread_slot() {
    let _ = HEAP.try_with(|cell| {
        let slot = cell.get();
        if slot.is_null() {
            return;
        }
        cell.set(&OVERFLOW);
        // SAFETY: a pointer to one of the statics.
        let slot = unsafe { &*slot };
        if !slot.is_shared() {
            slot.in_use.store(false, Release);
        }
    });
}

/// Whether an [`Alloc`] is the global allocator (it has counted at least one allocation).
///
/// # Examples
///
/// ```
/// // Without `#[global_allocator] static A: hiperf::Alloc = hiperf::Alloc::system();`:
/// let _ = hiperf_runtime::alloc::installed();
/// ```
pub fn installed() -> bool {
    INSTALLED.load(Relaxed)
}

/// Heap figures, in bytes and counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeapFigures {
    /// Live bytes (allocated minus freed).
    pub live: i64,
    /// Highest live value since its last restart (per thread; the sum over threads for the process).
    pub peak: i64,
    /// Bytes allocated.
    pub allocated: u64,
    /// Bytes freed.
    pub freed: u64,
    /// Allocation requests (alloc, alloc_zeroed, realloc).
    pub allocations: u64,
    /// Frees.
    pub frees: u64,
}

/// The calling thread's figures.
pub fn thread_heap() -> HeapFigures {
    current().figures()
}

/// Every thread's figures summed (threads that exited included): the process's heap.
pub fn process_heap() -> HeapFigures {
    let mut total = OVERFLOW.figures();
    for slot in POOL
        .iter()
        .take_while(|slot| slot.in_use.load(Relaxed) || slot.allocations.load(Relaxed) != 0)
    {
        let figures = slot.figures();
        total.live += figures.live;
        total.peak += figures.peak;
        total.allocated += figures.allocated;
        total.freed += figures.freed;
        total.allocations += figures.allocations;
        total.frees += figures.frees;
    }
    total
}

/// The process's resident set size in bytes (Linux: `/proc/self/statm`), read without
/// allocating so that it never shows in the heap figures.
pub fn rss_bytes() -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        use std::io::Read;
        let mut buffer = [0u8; 128];
        let mut file = std::fs::File::open("/proc/self/statm").ok()?;
        let length = file.read(&mut buffer).ok()?;
        let text = std::str::from_utf8(&buffer[..length]).ok()?;
        let pages: u64 = text.split_whitespace().nth(1)?.parse().ok()?;
        Some(pages * 4096)
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// One point of a memory time series (mprof's `MEM` lines).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Sample {
    /// Seconds since the sampler started.
    pub seconds: f64,
    /// Live heap of the process, in bytes (zero without `hiperf::Alloc`).
    pub heap_bytes: i64,
    /// Resident set size of the process, in bytes (Linux).
    pub rss_bytes: Option<u64>,
}

/// Samples the process's live heap and RSS at a fixed interval on a background thread, like
/// `mprof run`.
///
/// # Examples
///
/// ```
/// let sampler = hiperf_runtime::alloc::Sampler::start(std::time::Duration::from_millis(1));
/// let data: Vec<u8> = vec![0; 1 << 20];
/// std::thread::sleep(std::time::Duration::from_millis(5));
/// let series = sampler.stop();
/// assert!(!series.is_empty());
/// # drop(data);
/// ```
#[derive(Debug)]
pub struct Sampler {
    stop: std::sync::Arc<AtomicBool>,
    thread: std::thread::JoinHandle<Vec<Sample>>,
}

impl Sampler {
    /// The most samples kept; past it the interval doubles and every other sample is dropped.
    pub const CAPACITY: usize = 4096;

    /// Starts sampling every `interval`.
    pub fn start(interval: std::time::Duration) -> Self {
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let flag = std::sync::Arc::clone(&stop);
        // Allocated here, before the caller takes its baseline; it never grows.
        let mut series = Vec::with_capacity(Self::CAPACITY);
        let thread = std::thread::spawn(move || {
            let start = std::time::Instant::now();
            let mut interval = interval;
            let sample = |series: &mut Vec<Sample>| {
                series.push(Sample {
                    seconds: start.elapsed().as_secs_f64(),
                    heap_bytes: process_heap().live,
                    rss_bytes: rss_bytes(),
                })
            };
            while !flag.load(Acquire) {
                sample(&mut series);
                if series.len() == Self::CAPACITY {
                    let mut index = 0;
                    series.retain(|_| {
                        index += 1;
                        index % 2 == 1
                    });
                    interval *= 2;
                }
                std::thread::park_timeout(interval);
            }
            sample(&mut series);
            series
        });
        Sampler { stop, thread }
    }

    /// Stops sampling and returns the series (with a last sample taken at the stop).
    pub fn stop(self) -> Vec<Sample> {
        self.stop.store(true, Release);
        self.thread.thread().unpark();
        self.thread.join().unwrap_or_default()
    }
}
