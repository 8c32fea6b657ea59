//! The probes the attribute macros insert: a frame per call, a mark per statement.
//!
//! A line's time is the interval from its mark to the next mark, as in line_profiler: one clock
//! read per line hit. The frame's destructor closes the open line on every way out of the
//! function (tail, `return`, `?`, `break` out of a labeled block, unwinding).

use std::cell::Cell;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use std::thread::LocalKey;

use crate::calls;
use crate::clock;
use crate::lines::{Block, BlockCell};
use crate::registry::Site;

/// What a mark does; implemented by the frames so that [`MarkIter`] works with each.
pub trait Probe {
    /// Starts line `slot`, counting a hit.
    fn mark(&self, slot: u32);
    /// Starts line `slot` without counting a hit (the evaluation of a `for` loop's iterator).
    fn switch(&self, slot: u32) -> &Self;
}

/// The probe of one call of a synchronous function.
#[derive(Debug)]
pub struct Frame {
    block: &'static Block,
    start: u64,
    last: Cell<u64>,
    slot: Cell<u32>,
    saved_child_ticks: u64,
    parent: *const Site,
}

impl Frame {
    /// Opens a call of `site` in this thread and starts line `first_slot` (0: no line yet).
    ///
    /// PERF: the entry and the body's first mark share one clock read.
    #[inline(always)]
    pub fn enter(
        site: &'static Site,
        cell: &'static LocalKey<BlockCell>,
        first_slot: u32,
    ) -> Frame {
        let block = cell.with(|cell| cell.get(site));
        let (saved_child_ticks, parent) = calls::enter(site);
        block.depth.add(1);
        if first_slot != 0 {
            // SAFETY: `first_slot` is numbered by the macro like every other slot.
            unsafe { block.time_slot(first_slot) }.hits.add(1);
        }
        let start = clock::now();
        Frame {
            block,
            start,
            last: Cell::new(start),
            slot: Cell::new(first_slot),
            saved_child_ticks,
            parent,
        }
    }

    #[inline(always)]
    fn advance(&self, slot: u32, hit: bool) {
        let now = clock::now();
        // SAFETY: slots come from the macro, which numbers them from `slot_lines`; the
        // current slot was such a slot or 0.
        unsafe {
            self.block
                .time_slot(self.slot.get())
                .ticks
                .add(now.wrapping_sub(self.last.get()));
            if hit {
                self.block.time_slot(slot).hits.add(1);
            }
        }
        self.last.set(now);
        self.slot.set(slot);
    }
}

impl Probe for Frame {
    #[inline(always)]
    fn mark(&self, slot: u32) {
        self.advance(slot, true);
    }

    #[inline(always)]
    fn switch(&self, slot: u32) -> &Self {
        self.advance(slot, false);
        self
    }
}

impl Drop for Frame {
    #[inline(always)]
    fn drop(&mut self) {
        let now = clock::now();
        let block = self.block;
        // SAFETY: the current slot is one the macro numbered, or 0.
        unsafe { block.time_slot(self.slot.get()) }
            .ticks
            .add(now.wrapping_sub(self.last.get()));
        let total = now.wrapping_sub(self.start);
        let child_ticks = calls::exit(self.saved_child_ticks, self.parent, total);
        block.calls.add(1);
        block.self_ticks.add(total.saturating_sub(child_ticks));
        block.max_ticks.raise(total);
        let depth = block.depth.get().wrapping_sub(1);
        block.depth.set(depth);
        if depth == 0 {
            block.primitive_calls.add(1);
            block.cumulative_ticks.add(total);
        }
    }
}

/// The probe of one call of an `async fn`.
///
/// The future may move between threads at every `.await`, so each mark writes to the block of
/// the thread it runs on; the frame itself holds no thread-local pointer and is `Send + Sync`.
/// A line that awaits is charged its wall-clock time, suspension included, as line_profiler does.
#[derive(Debug)]
pub struct AsyncFrame {
    site: &'static Site,
    cell: &'static LocalKey<BlockCell>,
    start: u64,
    last: AtomicU64,
    slot: AtomicU32,
}

impl AsyncFrame {
    /// Opens a call of `site` (at the future's first poll) and starts line `first_slot`.
    #[inline(always)]
    pub fn enter(
        site: &'static Site,
        cell: &'static LocalKey<BlockCell>,
        first_slot: u32,
    ) -> AsyncFrame {
        let start = clock::now();
        let frame = AsyncFrame {
            site,
            cell,
            start,
            last: AtomicU64::new(start),
            slot: AtomicU32::new(first_slot),
        };
        if first_slot != 0 {
            // SAFETY: `first_slot` is numbered by the macro like every other slot.
            unsafe { frame.block().time_slot(first_slot) }.hits.add(1);
        }
        frame
    }

    #[inline(always)]
    fn block(&self) -> &'static Block {
        self.cell.with(|cell| cell.get(self.site))
    }

    #[inline(always)]
    fn advance(&self, slot: u32, hit: bool) {
        let now = clock::now();
        let block = self.block();
        // SAFETY: as for `Frame::advance`.
        unsafe {
            block
                .time_slot(self.slot.load(Relaxed))
                .ticks
                .add(now.wrapping_sub(self.last.load(Relaxed)));
            if hit {
                block.time_slot(slot).hits.add(1);
            }
        }
        self.last.store(now, Relaxed);
        self.slot.store(slot, Relaxed);
    }
}

impl Probe for AsyncFrame {
    #[inline(always)]
    fn mark(&self, slot: u32) {
        self.advance(slot, true);
    }

    #[inline(always)]
    fn switch(&self, slot: u32) -> &Self {
        self.advance(slot, false);
        self
    }
}

impl Drop for AsyncFrame {
    fn drop(&mut self) {
        let now = clock::now();
        let block = self.block();
        // SAFETY: as for `Frame::drop`.
        unsafe { block.time_slot(self.slot.load(Relaxed)) }
            .ticks
            .add(now.wrapping_sub(self.last.load(Relaxed)));
        let total = now.wrapping_sub(self.start);
        block.calls.add(1);
        block.primitive_calls.add(1);
        block.self_ticks.add(total);
        block.cumulative_ticks.add(total);
        block.max_ticks.raise(total);
    }
}

/// A `for` loop's iterator that marks the loop's line before every `next()`, so that the
/// header is hit once per iteration plus once for the exhausted call, as in line_profiler.
#[derive(Debug)]
pub struct MarkIter<'frame, P, I> {
    probe: &'frame P,
    slot: u32,
    inner: I,
}

impl<'frame, P: Probe, I: Iterator> MarkIter<'frame, P, I> {
    /// Wraps `iterable`; `probe` has already switched to `slot` (see [`Probe::switch`]).
    #[inline(always)]
    pub fn new(probe: &'frame P, slot: u32, iterable: impl IntoIterator<IntoIter = I>) -> Self {
        MarkIter {
            probe,
            slot,
            inner: iterable.into_iter(),
        }
    }
}

impl<P: Probe, I: Iterator> Iterator for MarkIter<'_, P, I> {
    type Item = I::Item;

    #[inline(always)]
    fn next(&mut self) -> Option<I::Item> {
        self.probe.mark(self.slot);
        self.inner.next()
    }

    #[inline(always)]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}
