//! The probe of an `async fn`: a future around its body that enters the call tree for each
//! poll, so that an `async fn` is a call like any other, with its time polled and its time
//! suspended kept apart.
//!
//! A call starts at its first poll. Each poll enters the call's path in the polling thread's
//! tree (under whatever runs the poll: the awaiting `async fn`, or the synchronous function that
//! drives an executor) and leaves it when the poll returns, so that the path's time is the
//! time polled and callees polled or called inside are its children. Between polls the call is
//! suspended: that time goes to the line it was suspended at, apart from its polled time.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::ptr;
use std::task::{Context, Poll};
use std::thread::LocalKey;

use crate::calls::{self, PollEntry, Tree};
use crate::clock;
use crate::lines::{Block, BlockCell};
use crate::probe::{Probe, local_block};
use crate::registry::Site;

/// An `async fn`'s body (`future`) and the state of its call.
#[derive(Debug)]
pub struct AsyncCall<F> {
    future: F,
    call: CallState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    NotStarted,
    Running,
    Ended,
}

/// One call of an `async fn`. The wrapper reaches it through `&mut`, the body's marks through
/// the thread's `POLLING` pointer while the wrapper polls the body.
#[derive(Debug)]
struct CallState {
    site: &'static Site,
    cell: &'static LocalKey<BlockCell>,
    first_slot: u32,
    phase: Cell<Phase>,
    /// Whether no call of the same function was being polled on the thread at the first poll.
    primitive: Cell<bool>,
    /// The first poll's start.
    start: Cell<u64>,
    /// When the latest poll returned.
    paused_at: Cell<u64>,
    /// Ticks spent suspended so far.
    suspended: Cell<u64>,
    /// Callee ticks of the call so far, over every poll.
    child_ticks: Cell<u64>,
    /// The path of the latest poll, to count a call dropped while suspended.
    path: Cell<Option<(&'static Tree, u32)>>,
    /// The polling thread's block (set at the start of each poll).
    block: Cell<*const Block>,
    /// The current line and when it started (moved on by the time suspended).
    slot: Cell<u32>,
    last: Cell<u64>,
    /// Callee ticks of the call when the current line started.
    line_child_ticks: Cell<u64>,
}

// SAFETY: `CallState` is only touched through `Pin<&mut AsyncCall>` (in `poll`), `&mut` (in
// `drop`), or by the body's marks during a poll, on the polling thread; `&AsyncCall` gives no
// access to it. Its block pointer is set afresh on the polling thread at the start of every
// poll; blocks and trees are leaked and never freed.
unsafe impl<F: Send> Send for AsyncCall<F> {}
// SAFETY: as above: nothing is reachable through a shared reference.
unsafe impl<F: Sync> Sync for AsyncCall<F> {}

thread_local! {
    /// The call whose body this thread is polling (null outside any `async fn`'s poll).
    static POLLING: Cell<*const CallState> = const { Cell::new(ptr::null()) };
}

impl<F: Future> AsyncCall<F> {
    /// Wraps the body of a call of `site`, whose first line is `first_slot` (0: none).
    #[inline(always)]
    pub fn new(
        site: &'static Site,
        cell: &'static LocalKey<BlockCell>,
        first_slot: u32,
        future: F,
    ) -> Self {
        AsyncCall {
            future,
            call: CallState {
                site,
                cell,
                first_slot,
                phase: Cell::new(Phase::NotStarted),
                primitive: Cell::new(false),
                start: Cell::new(0),
                paused_at: Cell::new(0),
                suspended: Cell::new(0),
                child_ticks: Cell::new(0),
                path: Cell::new(None),
                block: Cell::new(ptr::null()),
                slot: Cell::new(first_slot),
                last: Cell::new(0),
                line_child_ticks: Cell::new(0),
            },
        }
    }
}

impl<F: Future> Future for AsyncCall<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `future` is structurally pinned: it is never moved out of `self`, and the
        // `Drop` below does not move it.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above; the pin of `self` extends to `future`.
        let future = unsafe { Pin::new_unchecked(&mut this.future) };
        let call = &this.call;
        if call.phase.get() == Phase::Ended {
            // Polled after completion: the body answers as it would unprofiled.
            return future.poll(context);
        }
        let poll = PollGuard::begin(call);
        let result = future.poll(context);
        let (block, end, entry) = poll.end();
        if result.is_ready() {
            call.finish(block, end, |start, duration| {
                calls::count(&entry.entry, call.site, start, duration)
            });
        }
        result
    }
}

/// One poll of a call: entered in the thread's call tree on creation, left on drop (also when
/// the body panics).
struct PollGuard<'call> {
    call: &'call CallState,
    block: &'static Block,
    start: u64,
    entry: Option<PollEntry>,
    previous: *const CallState,
}

impl<'call> PollGuard<'call> {
    #[inline(always)]
    fn begin(call: &'call CallState) -> Self {
        let start = clock::now();
        let block = local_block(call.cell, call.site);
        call.block.set(block);
        match call.phase.get() {
            Phase::NotStarted => {
                call.phase.set(Phase::Running);
                call.primitive.set(block.depth.get() == 0);
                call.start.set(start);
                call.last.set(start);
                if call.first_slot != 0 {
                    // SAFETY: `first_slot` is numbered by the macro like every other slot.
                    unsafe { block.time_slot(call.first_slot) }.hits.add(1);
                }
            }
            _ => {
                // Resumed: the time since the last poll was spent suspended at the current line.
                let suspended = start.wrapping_sub(call.paused_at.get());
                // SAFETY: the current slot is one the macro numbered, or 0.
                unsafe { block.time_slot(call.slot.get()) }
                    .suspended_ticks
                    .add(suspended);
                call.suspended
                    .set(call.suspended.get().wrapping_add(suspended));
                call.last.set(call.last.get().wrapping_add(suspended));
            }
        }
        block.depth.add(1);
        let entry = calls::enter(call.site, call.child_ticks.get());
        let previous = POLLING.with(|polling| polling.replace(call));
        PollGuard {
            call,
            block,
            start,
            entry: Some(entry),
            previous,
        }
    }

    /// Leaves the poll: the block, the clock at its end, and its path entry.
    #[inline(always)]
    fn end(mut self) -> (&'static Block, u64, PollEntry) {
        let end = self.leave();
        let entry = self.entry.take().expect("a poll is left once");
        (self.block, end, entry)
    }

    #[inline(always)]
    fn leave(&mut self) -> u64 {
        let end = clock::now();
        POLLING.with(|polling| polling.set(self.previous));
        let call = self.call;
        if let Some(entry) = &self.entry {
            call.child_ticks
                .set(calls::leave_poll(entry, end.wrapping_sub(self.start)));
            call.path.set(Some(entry.path()));
        }
        call.paused_at.set(end);
        self.block.depth.set(self.block.depth.get().wrapping_sub(1));
        end
    }
}

impl Drop for PollGuard<'_> {
    fn drop(&mut self) {
        if self.entry.is_some() {
            // The body unwound: the poll ends here, and the call when the future is dropped.
            self.leave();
        }
    }
}

impl CallState {
    /// Closes the current line at `end` and counts the call that ended there; `count_path`
    /// counts it on its call path.
    fn finish(&self, block: &Block, end: u64, count_path: impl FnOnce(u64, u64)) {
        self.phase.set(Phase::Ended);
        // SAFETY: the current slot is one the macro numbered, or 0.
        let counters = unsafe { block.time_slot(self.slot.get()) };
        counters
            .ticks
            .add(self.paused_at.get().wrapping_sub(self.last.get()));
        counters.callee_ticks.add(
            self.child_ticks
                .get()
                .wrapping_sub(self.line_child_ticks.get()),
        );
        let start = self.start.get();
        let duration = end.wrapping_sub(start);
        block.count_call(duration);
        if self.primitive.get() {
            block.primitive_calls.add(1);
            block.cumulative_ticks.add(duration);
            block.suspended_ticks.add(self.suspended.get());
        }
        count_path(start, duration);
    }
}

impl<F> Drop for AsyncCall<F> {
    fn drop(&mut self) {
        let call = &self.call;
        if call.phase.get() != Phase::Running {
            return;
        }
        // Dropped while suspended (cancelled, or after its body panicked): the call ends now,
        // and the time since its last poll was spent suspended at its current line.
        let now = clock::now();
        let block = local_block(call.cell, call.site);
        let suspended = now.wrapping_sub(call.paused_at.get());
        // SAFETY: the current slot is one the macro numbered, or 0.
        unsafe { block.time_slot(call.slot.get()) }
            .suspended_ticks
            .add(suspended);
        call.suspended
            .set(call.suspended.get().wrapping_add(suspended));
        let path = call.path.get();
        call.finish(block, now, |start, duration| {
            if let Some(path) = path {
                calls::count_suspended(path, call.site, start, duration);
            }
        });
    }
}

/// The marks of an `async fn`'s body: they write to the call this thread is polling.
#[derive(Debug, Clone, Copy, Default)]
pub struct AsyncFrame;

impl Probe for AsyncFrame {
    #[inline(always)]
    fn advance(&self, slot: u32, hit: bool) {
        let call = POLLING.with(Cell::get);
        // SAFETY: `POLLING` is set only while an `AsyncCall` polls its body, to its own state,
        // which outlives the poll; the body's marks run only inside that poll (a nested poll
        // of another call restores the pointer when it returns).
        let Some(call) = (unsafe { call.as_ref() }) else {
            return;
        };
        let now = clock::now();
        // SAFETY: set to this thread's block at the start of the poll.
        let block = unsafe { &*call.block.get() };
        // SAFETY: slots come from the macro, which numbers them from `slot_lines`.
        let counters = unsafe { block.time_slot(call.slot.get()) };
        counters.ticks.add(now.wrapping_sub(call.last.get()));
        call.last.set(now);
        let child_ticks = calls::child_ticks();
        counters
            .callee_ticks
            .add(child_ticks.wrapping_sub(call.line_child_ticks.get()));
        call.line_child_ticks.set(child_ticks);
        if hit {
            // SAFETY: as above.
            unsafe { block.time_slot(slot) }.hits.add(1);
        }
        call.slot.set(slot);
    }
}
