//! Per-line counters: one [`Block`] per (thread, site), written only by its thread.
//!
//! A thread takes a block the first time it runs a site and gives it back when it exits, so a
//! later thread continues the same sums: nothing is lost when a thread ends, and a program that
//! starts many short threads reuses a handful of blocks. Blocks live in a per-site list that is
//! never shortened, so a report can read them at any time, from any thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering::*};

use crate::registry::Site;

/// A counter with one writer (its block's thread) and any number of readers.
///
/// PERF: a relaxed load then a relaxed store compiles to plain moves on x86-64: no lock prefix,
/// no fence. It is exact because only the owning thread ever writes.
#[derive(Debug, Default)]
#[repr(transparent)]
pub struct Counter(AtomicU64);

impl Counter {
    /// Makes a zero counter.
    pub const fn new() -> Self {
        Counter(AtomicU64::new(0))
    }

    /// Adds `n` (wrapping).
    #[inline(always)]
    pub fn add(&self, n: u64) {
        self.0.store(self.0.load(Relaxed).wrapping_add(n), Relaxed);
    }

    /// Raises the counter to `n` if `n` is larger.
    #[inline(always)]
    pub fn raise(&self, n: u64) {
        if n > self.0.load(Relaxed) {
            self.0.store(n, Relaxed);
        }
    }

    /// Replaces the value.
    #[inline(always)]
    pub fn set(&self, n: u64) {
        self.0.store(n, Relaxed);
    }

    /// Reads the value.
    #[inline(always)]
    pub fn get(&self) -> u64 {
        self.0.load(Relaxed)
    }
}

/// Time counters of one probe slot.
#[derive(Debug, Default)]
#[repr(C)]
pub struct TimeSlot {
    /// Times the slot's mark ran.
    pub hits: Counter,
    /// Ticks from the slot's mark to the next mark (or to the function's exit).
    pub ticks: Counter,
    /// Of `ticks`, those spent inside calls of other profiled functions.
    pub callee_ticks: Counter,
    /// Ticks an `async fn` spent suspended at an `.await` of this line (not in `ticks`).
    pub suspended_ticks: Counter,
}

/// Added to a usage level so that 0 stays free to mean "never ran": levels are far inside
/// ±2^62 bytes.
const USAGE_OFFSET: u64 = 1 << 62;

impl MemorySlot {
    /// A usage level as [`MemorySlot::usage`] stores it.
    #[inline(always)]
    pub fn encode_usage(level: i64) -> u64 {
        (level as u64).wrapping_add(USAGE_OFFSET)
    }

    /// The usage level, `None` when the line never ran.
    pub fn usage_level(&self) -> Option<i64> {
        match self.usage.get() {
            0 => None,
            stored => Some(stored.wrapping_sub(USAGE_OFFSET) as i64),
        }
    }
}

/// Memory counters of one probe slot (see the `alloc` module for the meaning of each figure).
#[derive(Debug, Default)]
#[repr(C)]
pub struct MemorySlot {
    /// Net change of live heap bytes over every run of the line (two's complement).
    pub increment: Counter,
    /// The thread's live heap after the line's last run, above its level at the entry of the
    /// outermost open call of the function
    /// ([`MemorySlot::encode_usage`]; 0 until the line has run).
    pub usage: Counter,
    /// Highest live heap reached while the line ran, above the level at its start.
    pub peak: Counter,
    /// Allocations made by the line.
    pub allocations: Counter,
    /// Bytes allocated by the line.
    pub allocated: Counter,
}

/// The counters of one site in one thread.
#[derive(Debug)]
pub struct Block {
    pub(crate) site: &'static Site,
    pub(crate) next: AtomicPtr<Block>,
    in_use: AtomicBool,
    /// The next block held by the same thread (only its thread reads or writes it).
    held_next: AtomicPtr<Block>,
    /// The thread-local cell that points at this block, reset when the thread gives it back.
    owner: AtomicPtr<BlockCell>,
    /// Calls that ended (returned or unwound).
    pub calls: Counter,
    /// Threads that took this block: each thread that ran the function once, a block being
    /// handed from a thread that exited to the next.
    pub threads: Counter,
    /// Calls that were not inside another call of the same function (cProfile's primitive calls).
    pub primitive_calls: Counter,
    /// Calls of this function now open in this thread.
    pub depth: Counter,
    /// The thread's live heap at the entry of the outermost open call (two's complement): the
    /// level a line's usage is measured from, in recursive calls too (memory profiling).
    pub(crate) usage_base: Counter,
    /// Inclusive ticks of the primitive calls (cProfile's cumtime: recursion not counted twice).
    pub cumulative_ticks: Counter,
    /// The longest single call, in ticks.
    pub max_ticks: Counter,
    /// `u64::MAX` minus the shortest single call, in ticks (so that zero means no call yet and
    /// a shorter call raises it): see [`Block::min_ticks`].
    pub(crate) inverse_min_ticks: Counter,
    /// Ticks the primitive calls of an `async fn` spent suspended at `.await`s (included in
    /// `cumulative_ticks`).
    pub suspended_ticks: Counter,
    /// Peak live heap above the level at entry, over all calls (memory profiling).
    pub call_peak: Counter,
    /// Net live heap change summed over all calls (memory profiling).
    pub call_increment: Counter,
    /// Process RSS at the first call's entry, in bytes (memory profiling).
    pub rss_entry: Counter,
    /// Process RSS at the latest sampled exit, in bytes (memory profiling).
    pub rss_exit: Counter,
    /// When `rss_exit` was read, in milliseconds since the first read (plus one).
    pub rss_read_at: Counter,
    /// Live heap of the process (every thread) at the first call's entry (two's complement).
    pub process_heap_entry: Counter,
    /// Live heap of the process at the latest sampled exit (two's complement).
    pub process_heap_exit: Counter,
    time: *const TimeSlot,
    memory: *const MemorySlot,
    histogram: *const Counter,
    /// The ticks of the latest call plus one, not yet counted in the histogram (0: none).
    pending_ticks: Counter,
}

/// Buckets of the per-call duration histogram: 8 per power of two (at most 12.5% wide).
pub const HISTOGRAM_BUCKETS: usize = 512;

/// The histogram bucket of a duration in ticks: exact below 8, then 8 buckets per octave.
#[inline(always)]
pub fn histogram_bucket(ticks: u64) -> usize {
    if ticks < 8 {
        return ticks as usize;
    }
    let exponent = 63 - ticks.leading_zeros() as usize;
    let fraction = ((ticks >> (exponent - 3)) & 7) as usize;
    (exponent - 2) * 8 + fraction
}

/// The smallest duration in ticks that falls in `bucket`.
pub fn histogram_floor(bucket: usize) -> u64 {
    if bucket < 8 {
        return bucket as u64;
    }
    let exponent = bucket / 8 + 2;
    let fraction = (bucket % 8) as u64;
    (8 + fraction) << (exponent - 3)
}

// SAFETY: every field a thread other than the owner touches is atomic; the slot arrays are
// arrays of atomics, leaked, and never freed.
unsafe impl Sync for Block {}
// SAFETY: as above.
unsafe impl Send for Block {}

impl Block {
    /// Counts a call of `ticks` that ended: calls, the duration histogram, the longest and
    /// the shortest call.
    ///
    /// PERF: the call goes into the histogram at the next call's exit. A counter whose address
    /// is computed from a clock read just taken is a store whose address stays unknown for the
    /// read's latency, and the loads after it wait: 7.5 ns a call on Zen 4, against nothing
    /// for the bucket of a duration stored a call earlier (`benches/probe.rs`,
    /// `per_call/profiled_empty`). [`Block::histogram`] counts the pending call.
    #[inline(always)]
    pub(crate) fn count_call(&self, ticks: u64) {
        let pending = self.pending_ticks.get();
        // Saturating: `u64::MAX - 1` falls in the bucket of `u64::MAX`.
        self.pending_ticks.set(ticks.saturating_add(1));
        if pending != 0 {
            // SAFETY: the histogram has `HISTOGRAM_BUCKETS` counters and the bucket of any
            // u64 is below 8 * 62 + 8 = 504.
            unsafe { &*self.histogram.add(histogram_bucket(pending - 1)) }.add(1);
        }
        self.calls.add(1);
        self.max_ticks.raise(ticks);
        self.inverse_min_ticks.raise(u64::MAX - ticks);
    }

    /// The shortest call, in ticks (`None` before the first call ended).
    pub fn min_ticks(&self) -> Option<u64> {
        let inverse = self.inverse_min_ticks.get();
        (inverse != 0 || self.calls.get() != 0).then_some(u64::MAX - inverse)
    }

    /// Calls per duration bucket (see [`histogram_bucket`]), the latest call included.
    pub fn histogram(&self) -> Vec<u64> {
        // SAFETY: allocated with `HISTOGRAM_BUCKETS` zeroed counters, never freed.
        let counters = unsafe { std::slice::from_raw_parts(self.histogram, HISTOGRAM_BUCKETS) };
        let mut counts: Vec<u64> = counters.iter().map(Counter::get).collect();
        let pending = self.pending_ticks.get();
        if pending != 0 {
            counts[histogram_bucket(pending - 1)] += 1;
        }
        counts
    }

    /// The time slots (one per probe slot of the site).
    pub fn time_slots(&self) -> &[TimeSlot] {
        if self.time.is_null() {
            return &[];
        }
        // SAFETY: allocated with `slot_count` zeroed slots in `allocate`, never freed.
        unsafe { std::slice::from_raw_parts(self.time, self.site.slot_count()) }
    }

    /// The memory slots (empty unless the site measures memory).
    pub fn memory_slots(&self) -> &[MemorySlot] {
        if self.memory.is_null() {
            return &[];
        }
        // SAFETY: as in `time_slots`.
        unsafe { std::slice::from_raw_parts(self.memory, self.site.slot_count()) }
    }

    /// The time slot `index`, without a bounds check.
    ///
    /// # Safety
    ///
    /// `index` must be below the site's slot count and the site must measure time. The macro
    /// numbers slots from the same list it writes into `SiteInfo::slot_lines`.
    #[inline(always)]
    pub(crate) unsafe fn time_slot(&self, index: u32) -> &TimeSlot {
        debug_assert!((index as usize) < self.site.slot_count());
        // SAFETY: the caller keeps `index` in range.
        unsafe { &*self.time.add(index as usize) }
    }

    /// The memory slot `index`, without a bounds check.
    ///
    /// # Safety
    ///
    /// As for [`Block::time_slot`], for a site that measures memory.
    #[inline(always)]
    pub(crate) unsafe fn memory_slot(&self, index: u32) -> &MemorySlot {
        debug_assert!((index as usize) < self.site.slot_count());
        // SAFETY: the caller keeps `index` in range.
        unsafe { &*self.memory.add(index as usize) }
    }
}

/// The per-function, per-thread pointer to this thread's block (null until the first call).
///
/// It has no destructor, so reading it costs one thread-local load.
#[derive(Debug)]
pub struct BlockCell(Cell<*const Block>);

impl BlockCell {
    /// Makes an empty cell.
    pub const fn new() -> Self {
        BlockCell(Cell::new(ptr::null()))
    }

    /// This thread's block of `site`, taken on first use.
    #[inline(always)]
    pub fn get(&self, site: &'static Site) -> &'static Block {
        let block = self.0.get();
        if block.is_null() {
            return acquire(site, self);
        }
        // SAFETY: a non-null pointer was set by `acquire` to a leaked block that this thread owns.
        unsafe { &*block }
    }
}

impl Default for BlockCell {
    fn default() -> Self {
        Self::new()
    }
}

/// The blocks this thread holds, given back when the thread exits.
struct Held(Cell<*const Block>);

impl Drop for Held {
    fn drop(&mut self) {
        crate::alloc::release_thread_slot();
        crate::calls::release_thread_tree();
        let mut next = self.0.get();
        while !next.is_null() {
            // SAFETY: every block in the list is leaked and held by this thread.
            let block = unsafe { &*next };
            next = block.held_next.load(Relaxed);
            let owner = block.owner.load(Relaxed);
            if !owner.is_null() {
                // SAFETY: the owner cell is a destructor-less thread local of this thread, whose
                // storage outlives every thread-local destructor.
                unsafe { (*owner).0.set(ptr::null()) };
            }
            block.in_use.store(false, Release);
        }
    }
}

thread_local! {
    static HELD: Held = const { Held(Cell::new(ptr::null())) };
}

/// Calls `visit` with every block the calling thread holds (its counters of each function it
/// ran), for figures that must be the calling thread's alone.
pub(crate) fn for_each_held_block(mut visit: impl FnMut(&'static Block)) {
    let _ = HELD.try_with(|held| {
        let mut next = held.0.get();
        while !next.is_null() {
            // SAFETY: every block in the list is leaked and held by this thread.
            let block = unsafe { &*next };
            next = block.held_next.load(Relaxed);
            visit(block);
        }
    });
}

#[cold]
#[inline(never)]
fn acquire(site: &'static Site, cell: &BlockCell) -> &'static Block {
    crate::clock::anchor();
    crate::sampler::init_from_env();
    // The first annotated call of the process arms the report at exit and on signals.
    crate::exit::arm();
    let block = site
        .blocks()
        .find(|block| {
            block
                .in_use
                .compare_exchange(false, true, Acquire, Relaxed)
                .is_ok()
        })
        .unwrap_or_else(|| allocate(site));
    // This thread now owns the block: a plain add is exact.
    block.threads.add(1);
    block
        .owner
        .store(cell as *const BlockCell as *mut BlockCell, Relaxed);
    // A thread that is already exiting cannot register: it keeps the block for good.
    let _ = HELD.try_with(|held| {
        block.held_next.store(held.0.get() as *mut Block, Relaxed);
        held.0.set(block);
    });
    cell.0.set(block);
    block
}

/// Allocates and links a new block, marked in use. The memory comes from `System` directly, so
/// that the profiler's own bookkeeping never shows in the counting allocator's figures.
fn allocate(site: &'static Site) -> &'static Block {
    let slots = site.slot_count();
    // Time slots always exist: a memory-only site still counts hits and closes lines there.
    let time = zeroed_array::<TimeSlot>(slots);
    let memory = if site.info.measures.memory {
        zeroed_array::<MemorySlot>(slots)
    } else {
        ptr::null()
    };
    let block = Block {
        site,
        next: AtomicPtr::new(ptr::null_mut()),
        in_use: AtomicBool::new(true),
        held_next: AtomicPtr::new(ptr::null_mut()),
        owner: AtomicPtr::new(ptr::null_mut()),
        calls: Counter::new(),
        threads: Counter::new(),
        primitive_calls: Counter::new(),
        depth: Counter::new(),
        usage_base: Counter::new(),
        cumulative_ticks: Counter::new(),
        max_ticks: Counter::new(),
        inverse_min_ticks: Counter::new(),
        suspended_ticks: Counter::new(),
        call_peak: Counter::new(),
        call_increment: Counter::new(),
        rss_entry: Counter::new(),
        rss_exit: Counter::new(),
        rss_read_at: Counter::new(),
        process_heap_entry: Counter::new(),
        process_heap_exit: Counter::new(),
        time,
        memory,
        histogram: zeroed_array::<Counter>(HISTOGRAM_BUCKETS),
        pending_ticks: Counter::new(),
    };
    let layout = Layout::new::<Block>();
    // SAFETY: `Block` has a non-zero size.
    let raw = unsafe { System.alloc(layout) } as *mut Block;
    if raw.is_null() {
        std::alloc::handle_alloc_error(layout);
    }
    // SAFETY: `raw` is a fresh allocation of the right layout.
    unsafe { raw.write(block) };
    let mut head = site.blocks.load(Relaxed);
    loop {
        // SAFETY: `raw` is valid and not yet shared.
        unsafe { (*raw).next.store(head, Relaxed) };
        match site
            .blocks
            .compare_exchange_weak(head, raw, Release, Relaxed)
        {
            Ok(_) => break,
            Err(current) => head = current,
        }
    }
    // SAFETY: leaked for the life of the program.
    unsafe { &*raw }
}

/// A zeroed array of counters (all-zero bits are valid zero counters).
fn zeroed_array<T>(len: usize) -> *const T {
    let layout = Layout::array::<T>(len.max(1)).expect("slot array fits in memory");
    // SAFETY: the layout has a non-zero size.
    let raw = unsafe { System.alloc_zeroed(layout) };
    if raw.is_null() {
        std::alloc::handle_alloc_error(layout);
    }
    raw as *const T
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_duration_falls_in_the_bucket_whose_floor_is_at_most_it() {
        let mut previous_bucket = 0;
        for ticks in (0..5000u64).chain([1 << 20, (1 << 20) + 1, u64::MAX / 3, u64::MAX]) {
            let bucket = histogram_bucket(ticks);
            assert!(bucket < HISTOGRAM_BUCKETS);
            assert!(histogram_floor(bucket) <= ticks, "{ticks} in {bucket}");
            if bucket + 1 < HISTOGRAM_BUCKETS && ticks < u64::MAX / 2 {
                assert!(histogram_floor(bucket + 1) > ticks, "{ticks} in {bucket}");
            }
            if ticks < 5000 {
                assert!(bucket >= previous_bucket);
                previous_bucket = bucket;
            }
        }
        assert_eq!(histogram_floor(histogram_bucket(1000)), 960);
    }

    static SITE: Site = Site::new(crate::registry::SiteInfo {
        name: "histogram-test",
        path: None,
        module_path: module_path!(),
        file: file!(),
        line: 0,
        first_line: 0,
        source: &[],
        slot_lines: &[0],
        is_async: false,
        measures: crate::registry::Measures {
            time: true,
            memory: false,
        },
    });

    /// Each call is in the histogram from the moment it is counted: the latest one, pending
    /// until the next call's exit, included.
    #[test]
    fn the_histogram_counts_every_call_the_latest_included() {
        let block = allocate(&SITE);
        assert!(block.histogram().iter().all(|&count| count == 0));
        let durations = [0, 7, 8, 1000, 1000, 123_456, u64::MAX - 1, u64::MAX, 3];
        let mut expected = vec![0u64; HISTOGRAM_BUCKETS];
        for ticks in durations {
            block.count_call(ticks);
            expected[histogram_bucket(ticks)] += 1;
            assert_eq!(block.histogram(), expected, "after a call of {ticks} ticks");
        }
        assert_eq!(block.calls.get(), durations.len() as u64);
    }
}
