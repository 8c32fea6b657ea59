//! The counting allocator: [`Alloc`] wraps any `GlobalAlloc` and keeps, per thread, the live
//! heap, its high-water mark, and the bytes and number of allocations and frees.
//!
//! PERF: each thread writes only its own [`HeapSlot`] (a relaxed load then store: plain moves
//! on x86-64); a report sums the slots. Inside the allocator nothing allocates, locks or
//! panics. A thread claims a slot on its first allocator call and gives it back when it exits,
//! whatever it ran: on Unix through a `pthread` key destructor, which the allocator can set
//! without allocating (the key's value lives in the thread's own `pthread` block), and which
//! runs after every Rust thread-local destructor. A later thread continues the sums of the
//! slot it takes, so nothing is lost and the pool only grows with the threads alive at once:
//! 4,096 slots in a static array, then chunks of 4,096 mapped from the system as needed. Only
//! past 1,048,576 threads alive at once do threads share one slot, updated with atomic
//! read-modify-writes (the process's figures stay exact, a thread's own do not).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicPtr, AtomicU64, AtomicUsize, Ordering::*};

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

/// Slots per chunk, and chunks: the first chunk is a static array, the others are mapped
/// when more threads than the chunks before hold slots at once.
const CHUNK_SLOTS: usize = 4096;
const MAX_CHUNKS: usize = 256;
static FIRST_CHUNK: [HeapSlot; CHUNK_SLOTS] = [const { HeapSlot::new() }; CHUNK_SLOTS];
static CHUNKS: [AtomicPtr<HeapSlot>; MAX_CHUNKS] =
    [const { AtomicPtr::new(ptr::null_mut()) }; MAX_CHUNKS];
/// One more than the highest slot ever claimed: the slots a sum must read.
static SLOTS_USED: AtomicUsize = AtomicUsize::new(0);
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
    // SAFETY: the cell only ever holds pointers to slots, which are never freed.
    unsafe { &*slot }
}

/// The slots of chunk `index`, if it exists.
fn chunk(index: usize) -> Option<&'static [HeapSlot]> {
    if index == 0 {
        return Some(&FIRST_CHUNK);
    }
    let start = CHUNKS[index].load(Acquire);
    // SAFETY: a published chunk holds `CHUNK_SLOTS` zeroed (valid) slots and is never unmapped.
    (!start.is_null()).then(|| unsafe { std::slice::from_raw_parts(start, CHUNK_SLOTS) })
}

/// Chunk `index`, mapped now if no thread did before.
#[cold]
fn chunk_or_map(index: usize) -> Option<&'static [HeapSlot]> {
    if let Some(chunk) = chunk(index) {
        return Some(chunk);
    }
    let fresh = pages::map(CHUNK_SLOTS * std::mem::size_of::<HeapSlot>())?.cast::<HeapSlot>();
    if let Err(_other) = CHUNKS[index].compare_exchange(ptr::null_mut(), fresh, AcqRel, Acquire) {
        // Another thread mapped it first: use its chunk.
        pages::unmap(fresh.cast(), CHUNK_SLOTS * std::mem::size_of::<HeapSlot>());
    }
    chunk(index)
}

#[cold]
#[inline(never)]
fn claim() -> &'static HeapSlot {
    let found = (0..MAX_CHUNKS)
        .map_while(|chunk_index| Some((chunk_index, chunk_or_map(chunk_index)?)))
        .find_map(|(chunk_index, chunk)| {
            let (offset, slot) = chunk.iter().enumerate().find(|(_, slot)| {
                !slot.in_use.load(Relaxed)
                    && slot
                        .in_use
                        .compare_exchange(false, true, Acquire, Relaxed)
                        .is_ok()
            })?;
            SLOTS_USED.fetch_max(chunk_index * CHUNK_SLOTS + offset + 1, Release);
            Some(slot)
        });
    let slot = found.unwrap_or(&OVERFLOW);
    // A new owner starts its peak from its own live level (a slot's sums carry over).
    slot.peak.store(slot.live.load(Relaxed), Relaxed);
    HEAP.with(|cell| cell.set(slot));
    if !slot.is_shared() {
        thread_exit::release_at_exit(slot);
    }
    slot
}

/// Gives this thread's slot back. Later allocator calls of the exiting thread (from other
/// destructors) go to the shared slot.
fn release_slot() {
    let _ = HEAP.try_with(|cell| {
        let slot = cell.replace(&OVERFLOW);
        // SAFETY: the cell only ever holds pointers to slots, which are never freed.
        if let Some(slot) = unsafe { slot.as_ref() }
            && !slot.is_shared()
        {
            slot.in_use.store(false, Release);
        }
    });
}

/// Gives this thread's slot back from the thread-exit destructor of `lines`, where no
/// `pthread` key does it.
pub(crate) fn release_thread_slot() {
    if !thread_exit::BY_KEY {
        release_slot();
    }
}

/// The release of a thread's slot when the thread exits.
#[cfg(unix)]
mod thread_exit {
    use std::sync::atomic::{AtomicUsize, Ordering::*};

    use super::HeapSlot;

    /// Slots are released by the key's destructor, not by `lines`.
    pub(super) const BY_KEY: bool = true;

    /// The key plus one (zero: not created yet).
    static KEY: AtomicUsize = AtomicUsize::new(0);

    unsafe extern "C" fn release(_: *mut libc::c_void) {
        super::release_slot();
    }

    fn key() -> Option<libc::pthread_key_t> {
        let key = KEY.load(Acquire);
        if key != 0 {
            return Some((key - 1) as libc::pthread_key_t);
        }
        let mut created: libc::pthread_key_t = 0;
        // SAFETY: `created` is a valid out-pointer; `release` has the destructor signature.
        if unsafe { libc::pthread_key_create(&mut created, Some(release)) } != 0 {
            return None;
        }
        match KEY.compare_exchange(0, created as usize + 1, AcqRel, Acquire) {
            Ok(_) => Some(created),
            Err(other) => {
                // Another thread created one first: use it.
                // SAFETY: `created` is a key this thread made and nobody else has seen.
                unsafe { libc::pthread_key_delete(created) };
                Some((other - 1) as libc::pthread_key_t)
            }
        }
    }

    /// Arranges for this thread's `slot` to be released when the thread exits: the key's value
    /// is kept in the thread's own `pthread` block (for the first 32 keys of the process;
    /// glibc's `calloc` after that, never this allocator), and its destructor runs after the
    /// Rust thread-local destructors.
    pub(super) fn release_at_exit(slot: &'static HeapSlot) {
        if let Some(key) = key() {
            // SAFETY: a valid key; the value is only handed back to `release`.
            unsafe { libc::pthread_setspecific(key, (slot as *const HeapSlot).cast()) };
        }
    }
}

#[cfg(not(unix))]
mod thread_exit {
    use super::HeapSlot;

    /// Slots are released by the thread-exit destructor of `lines`, for threads that ran a
    /// profiled function.
    pub(super) const BY_KEY: bool = false;

    pub(super) fn release_at_exit(_: &'static HeapSlot) {}
}

/// Zeroed pages for slot chunks, from the system and never from an allocator.
mod pages {
    #[cfg(unix)]
    pub(super) fn map(bytes: usize) -> Option<*mut u8> {
        // SAFETY: an anonymous private mapping with no address hint has no preconditions.
        let start = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                bytes,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        (start != libc::MAP_FAILED).then_some(start.cast())
    }

    #[cfg(unix)]
    pub(super) fn unmap(start: *mut u8, bytes: usize) {
        // SAFETY: `start` is a mapping of `bytes` made by `map` and never shared.
        unsafe { libc::munmap(start.cast(), bytes) };
    }

    #[cfg(not(unix))]
    pub(super) fn map(bytes: usize) -> Option<*mut u8> {
        use std::alloc::{GlobalAlloc, Layout, System};
        let layout = Layout::from_size_align(bytes, 4096).ok()?;
        // SAFETY: a non-zero size.
        let start = unsafe { System.alloc_zeroed(layout) };
        (!start.is_null()).then_some(start)
    }

    #[cfg(not(unix))]
    pub(super) fn unmap(start: *mut u8, bytes: usize) {
        use std::alloc::{GlobalAlloc, Layout, System};
        if let Ok(layout) = Layout::from_size_align(bytes, 4096) {
            // SAFETY: allocated by `map` with this layout.
            unsafe { System.dealloc(start, layout) };
        }
    }
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
    // Chunks are mapped in order, each once the ones before are full.
    let used = SLOTS_USED.load(Acquire);
    let slots = (0..MAX_CHUNKS)
        .map_while(chunk)
        .flat_map(|chunk| chunk.iter())
        .take(used);
    for slot in slots {
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
