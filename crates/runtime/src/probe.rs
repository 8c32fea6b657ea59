//! The probes the attribute macros insert: a frame per call, a mark per statement.
//!
//! A line's time is the interval from its mark to the next mark, as in line_profiler: one clock
//! read per line hit. The frame's destructor closes the open line on every way out of the
//! function (tail, `return`, `?`, `break` out of a labeled block, unwinding).

use std::cell::Cell;
use std::thread::LocalKey;

use crate::alloc::{self, HeapSlot};
use crate::calls;
use crate::clock;
use crate::lines::{Block, BlockCell, MemorySlot};
use crate::registry::Site;

/// What a mark does; implemented by the frames so that [`MarkIter`] works with each.
pub trait Probe {
    /// Closes the current line and starts line `slot`, counting a hit when `hit` is true.
    fn advance(&self, slot: u32, hit: bool);

    /// Starts line `slot`, counting a hit.
    #[inline(always)]
    fn mark(&self, slot: u32) {
        self.advance(slot, true);
    }

    /// Starts line `slot` without counting a hit (the evaluation of a `for` loop's iterator).
    #[inline(always)]
    fn switch(&self, slot: u32) -> &Self {
        self.advance(slot, false);
        self
    }

    /// Starts a `for` loop's header line `slot`, counting the hit of its first evaluation
    /// before the iterable is evaluated: a `?` or `return` in the iterable leaves a hit on
    /// the line that ran. [`MarkIter`]'s first `next()` does not count it again.
    #[inline(always)]
    fn start_header(&self, slot: u32) -> &Self {
        self.advance(slot, true);
        self
    }
}

/// This thread's block of `site`.
///
/// PERF: the closure only takes the cell's address, so `with` inlines to one
/// thread-pointer-relative address; the cell has no destructor, so the address is valid for
/// the life of the thread, which is the only one to use it.
#[inline(always)]
pub(crate) fn local_block(
    cell: &'static LocalKey<BlockCell>,
    site: &'static Site,
) -> &'static Block {
    let cell: *const BlockCell = cell.with(|cell| cell as *const BlockCell);
    // SAFETY: see above.
    unsafe { &*cell }.get(site)
}

/// The probe of one call of a synchronous function: `TIME` for `#[profile]`, a memory side
/// `M` for `#[memit]` ([`MemoryState`], or the empty [`NoMemory`]), both when the two are
/// stacked. Both are known at compile time, so a time-only frame carries no memory code and
/// a memory-only frame reads the clock only at entry and exit: it is a call in the call tree
/// like any other, whose time its caller sees in its callees.
#[derive(Debug)]
pub struct Frame<const TIME: bool, M: MemoryProbe> {
    block: &'static Block,
    start: u64,
    last: Cell<u64>,
    /// The current line. A time-only frame in the sampled mode does not keep it: its path's
    /// node holds it for the sampler, and nothing else reads it.
    slot: Cell<u32>,
    /// Callee ticks of this call when the current line started.
    line_child_ticks: Cell<u64>,
    call: calls::Entry,
    memory: M,
}

/// The memory side of a frame.
pub trait MemoryProbe: Sized {
    /// Whether the memory side closes lines (it needs the frame's current line).
    const CLOSES_LINES: bool;
    /// Starts measuring a call.
    fn enter(block: &'static Block) -> Self;
    /// Closes line `slot`.
    fn close_line(&self, block: &Block, slot: u32);
    /// Closes the last line and the call.
    fn exit(&self, block: &Block, slot: u32, outermost: bool);
}

/// No memory measurement (`#[profile]` alone): a zero-sized memory side.
#[derive(Debug)]
pub struct NoMemory;

impl MemoryProbe for NoMemory {
    const CLOSES_LINES: bool = false;
    #[inline(always)]
    fn enter(_: &'static Block) -> Self {
        NoMemory
    }

    #[inline(always)]
    fn close_line(&self, _: &Block, _: u32) {}

    #[inline(always)]
    fn exit(&self, _: &Block, _: u32, _: bool) {}
}

/// The memory side of a `#[memit]` frame.
#[derive(Debug)]
pub struct MemoryState {
    heap: &'static HeapSlot,
    entry_live: i64,
    /// The level line usage is measured from: the outermost open call's entry level.
    usage_base: i64,
    /// The caller's high-water mark at entry, handed back at exit.
    caller_peak: i64,
    /// The highest live value seen during this call.
    call_peak: Cell<i64>,
    line_live: Cell<i64>,
    line_allocations: Cell<u64>,
    line_allocated: Cell<u64>,
}

/// A frame that records per-line time only (`#[profile]`).
pub type TimeFrame = Frame<true, NoMemory>;
/// A frame that records per-line memory only (`#[memit]`).
pub type MemoryFrame = Frame<false, MemoryState>;
/// A frame that records both (`#[profile]` and `#[memit]` stacked).
pub type TimeMemoryFrame = Frame<true, MemoryState>;

impl<const TIME: bool, M: MemoryProbe> Frame<TIME, M> {
    /// Opens a call of `site` in this thread and starts line `first_slot` (0: no line yet),
    /// in the mode in force.
    ///
    /// PERF: the entry and the body's first mark share one clock read.
    #[inline(always)]
    pub fn enter(site: &'static Site, cell: &'static LocalKey<BlockCell>, first_slot: u32) -> Self {
        let block = local_block(cell, site);
        Self::enter_in(block, site, first_slot, true)
    }

    /// As [`Frame::enter`], in the exact mode unless `allow_sampled`.
    #[inline(always)]
    pub(crate) fn enter_in(
        block: &'static Block,
        site: &'static Site,
        first_slot: u32,
        allow_sampled: bool,
    ) -> Self {
        let call = calls::enter_frame(site, allow_sampled);
        let sampled = call.sampled;
        block.depth.add(1);
        if first_slot != 0 {
            // SAFETY: `first_slot` is numbered by the macro like every other slot.
            unsafe { block.time_slot(first_slot) }.hits.add(1);
        }
        let memory = M::enter(block);
        let start = if sampled {
            calls::set_sampled_slot(&call, first_slot);
            0
        } else {
            clock::now()
        };
        Frame {
            block,
            start,
            last: Cell::new(start),
            slot: Cell::new(first_slot),
            line_child_ticks: Cell::new(0),
            call,
            memory,
        }
    }

    /// Closes a sampled-mode call: counted exactly, timed by the sampler.
    #[inline(always)]
    fn exit_sampled(&self) {
        let block = self.block;
        calls::leave_sampled(&self.call);
        block.calls.add(1);
        let depth = block.depth.get().wrapping_sub(1);
        block.depth.set(depth);
        if depth == 0 {
            block.primitive_calls.add(1);
        }
        self.memory.exit(block, self.slot.get(), depth == 0);
    }
}

impl<const TIME: bool, M: MemoryProbe> Probe for Frame<TIME, M> {
    #[inline(always)]
    fn advance(&self, slot: u32, hit: bool) {
        let previous = self.slot.get();
        // The sampled mode (see `crate::sampler`): no clock read, the line stored for the
        // sampler.
        if self.call.sampled {
            self.memory.close_line(self.block, previous);
            if hit {
                // SAFETY: as below.
                unsafe { self.block.time_slot(slot) }.hits.add(1);
            }
            calls::set_sampled_slot(&self.call, slot);
            if M::CLOSES_LINES {
                self.slot.set(slot);
            }
            return;
        }
        if TIME {
            let now = clock::now();
            // SAFETY: slots come from the macro, which numbers them from `slot_lines`; the
            // current slot was such a slot or 0.
            let counters = unsafe { self.block.time_slot(previous) };
            counters.ticks.add(now.wrapping_sub(self.last.get()));
            self.last.set(now);
            let child_ticks = calls::child_ticks();
            counters
                .callee_ticks
                .add(child_ticks.wrapping_sub(self.line_child_ticks.get()));
            self.line_child_ticks.set(child_ticks);
        }
        self.memory.close_line(self.block, previous);
        if hit {
            // SAFETY: as above.
            unsafe { self.block.time_slot(slot) }.hits.add(1);
        }
        self.slot.set(slot);
    }
}

impl<const TIME: bool, M: MemoryProbe> Drop for Frame<TIME, M> {
    #[inline(always)]
    fn drop(&mut self) {
        if self.call.sampled {
            self.exit_sampled();
        } else {
            self.exit_exact();
        }
    }
}

impl<const TIME: bool, M: MemoryProbe> Frame<TIME, M> {
    /// Closes an exact-mode call: its time, its last line, its call statistics.
    ///
    /// PERF: out of line, so that the drop glue (the sampled exit and this call) is small
    /// enough to inline where the frame ends.
    #[inline(never)]
    fn exit_exact(&self) {
        let block = self.block;
        let total = clock::now().wrapping_sub(self.start);
        let child_ticks = calls::leave(&self.call, total);
        calls::count(&self.call, block.site, self.start, total);
        if TIME {
            // SAFETY: the current slot is one the macro numbered, or 0.
            let counters = unsafe { block.time_slot(self.slot.get()) };
            let end = self.start.wrapping_add(total);
            counters.ticks.add(end.wrapping_sub(self.last.get()));
            counters
                .callee_ticks
                .add(child_ticks.wrapping_sub(self.line_child_ticks.get()));
        }
        block.count_call(total);
        let depth = block.depth.get().wrapping_sub(1);
        block.depth.set(depth);
        if depth == 0 {
            block.primitive_calls.add(1);
            block.cumulative_ticks.add(total);
        }
        self.memory.exit(block, self.slot.get(), depth == 0);
    }
}

impl MemoryProbe for MemoryState {
    const CLOSES_LINES: bool = true;
    #[inline(always)]
    fn enter(block: &'static Block) -> Self {
        if block.rss_entry.get() == 0 {
            block.rss_entry.set(alloc::rss_bytes().unwrap_or(1));
            block
                .process_heap_entry
                .set(alloc::process_heap().live as u64);
        }
        let heap = alloc::current();
        let live = heap.live();
        // `Frame::enter_in` counts this call in `depth` before entering memory: 1 is outermost.
        let usage_base = if block.depth.get() == 1 {
            block.usage_base.set(live as u64);
            live
        } else {
            block.usage_base.get() as i64
        };
        // The caller's line keeps its high-water mark: taken now, handed back at exit.
        let caller_peak = heap.take_peak();
        MemoryState {
            heap,
            entry_live: live,
            usage_base,
            caller_peak,
            call_peak: Cell::new(live),
            line_live: Cell::new(live),
            line_allocations: Cell::new(heap.allocations()),
            line_allocated: Cell::new(heap.allocated()),
        }
    }

    /// Closes line `slot`: its increment, level after, peak above its start, allocations.
    #[inline(always)]
    fn close_line(&self, block: &Block, slot: u32) {
        let heap = self.heap;
        let live = heap.live();
        let peak = heap.take_peak().max(live);
        let allocations = heap.allocations();
        let allocated = heap.allocated();
        if peak > self.call_peak.get() {
            self.call_peak.set(peak);
        }
        // SAFETY: the slot was numbered by the macro, or is 0; the site measures memory.
        let counters = unsafe { block.memory_slot(slot) };
        counters
            .increment
            .add(live.wrapping_sub(self.line_live.get()) as u64);
        // Above the outermost call's entry: a thread's own level can be below zero (it freed
        // what other threads allocated), which would read as nothing held at all; and every
        // frame of a recursion measures from the same level, so the lines agree.
        counters
            .usage
            .set(MemorySlot::encode_usage(live.wrapping_sub(self.usage_base)));
        counters
            .peak
            .raise((peak - self.line_live.get()).max(0) as u64);
        counters
            .allocations
            .add(allocations.wrapping_sub(self.line_allocations.get()));
        counters
            .allocated
            .add(allocated.wrapping_sub(self.line_allocated.get()));
        self.line_live.set(live);
        self.line_allocations.set(allocations);
        self.line_allocated.set(allocated);
    }

    #[inline(always)]
    fn exit(&self, block: &Block, slot: u32, outermost: bool) {
        self.close_line(block, slot);
        let live = self.heap.live();
        block
            .call_increment
            .add(live.wrapping_sub(self.entry_live) as u64);
        block
            .call_peak
            .raise((self.call_peak.get() - self.entry_live).max(0) as u64);
        // The caller's current line sees this call's peak as its own.
        self.heap
            .raise_peak(self.caller_peak.max(self.call_peak.get()));
        if outermost {
            exit_rss(block);
        }
    }
}

/// Samples the RSS and the process's heap at an outermost exit, at most every 10 ms per site
/// (an RSS read is a few system calls; the heap is a sum over threads).
#[cold]
fn exit_rss(block: &Block) {
    static EPOCH: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let now = EPOCH
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_millis() as u64
        + 1;
    if now >= block.rss_read_at.get() + 10 || block.rss_exit.get() == 0 {
        block.rss_read_at.set(now);
        block.rss_exit.set(alloc::rss_bytes().unwrap_or(1));
        block
            .process_heap_exit
            .set(alloc::process_heap().live as u64);
    }
}

/// A `for` loop's iterator that marks the loop's line before every `next()`, so that the
/// header is hit once per iteration plus once for the exhausted call, as in line_profiler.
#[derive(Debug)]
pub struct MarkIter<'frame, P, I> {
    probe: &'frame P,
    slot: u32,
    /// Whether `next()` counts a hit: not the first time, counted by [`Probe::start_header`].
    counts: bool,
    inner: I,
}

impl<'frame, P: Probe, I: Iterator> MarkIter<'frame, P, I> {
    /// Wraps `iterable`; `probe` has already started `slot` and counted its first hit (see
    /// [`Probe::start_header`]).
    #[inline(always)]
    pub fn new(probe: &'frame P, slot: u32, iterable: impl IntoIterator<IntoIter = I>) -> Self {
        MarkIter {
            probe,
            slot,
            counts: false,
            inner: iterable.into_iter(),
        }
    }
}

impl<P: Probe, I: Iterator> Iterator for MarkIter<'_, P, I> {
    type Item = I::Item;

    #[inline(always)]
    fn next(&mut self) -> Option<I::Item> {
        self.probe.advance(self.slot, self.counts);
        self.counts = true;
        self.inner.next()
    }

    #[inline(always)]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}
