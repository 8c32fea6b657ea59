//! Call accounting: the per-thread context that splits a call's time into self time and time
//! in callees, and remembers which profiled function is running.

use std::cell::Cell;
use std::ptr;

use crate::registry::Site;

/// The thread's running call: ticks spent so far in profiled callees of the innermost profiled
/// call, and that call's site.
#[derive(Debug)]
pub(crate) struct CallContext {
    pub(crate) child_ticks: Cell<u64>,
    pub(crate) current: Cell<*const Site>,
}

thread_local! {
    pub(crate) static CONTEXT: CallContext =
        const { CallContext { child_ticks: Cell::new(0), current: Cell::new(ptr::null()) } };
}

/// Enters a call of `site`: returns what the exit must restore.
#[inline(always)]
pub(crate) fn enter(site: &'static Site) -> (u64, *const Site) {
    CONTEXT.with(|context| {
        (
            context.child_ticks.replace(0),
            context.current.replace(site),
        )
    })
}

/// Leaves a call that took `total` ticks: restores the caller's context, charges `total` to
/// the caller's callee time, and returns the callee time of the call that ends.
#[inline(always)]
pub(crate) fn exit(saved_child_ticks: u64, parent: *const Site, total: u64) -> u64 {
    CONTEXT.with(|context| {
        context.current.set(parent);
        context
            .child_ticks
            .replace(saved_child_ticks.wrapping_add(total))
    })
}
