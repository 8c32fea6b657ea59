//! Heap figures equal the bytes asked for: per line, per call, per thread and per process.

// A value bound on a line of its own and then returned gives that line a row of its own in
// the tables these tests check.
#![allow(clippy::let_and_return)]

mod common;

use common::{function, line};
use hiperf_runtime::snapshot::LineMemory;

#[global_allocator]
static ALLOC: hiperf_runtime::alloc::Alloc = hiperf_runtime::alloc::Alloc::system();

const MIB: i64 = 1 << 20;

fn memory_of(function_name: &str, text: &str) -> LineMemory {
    let profile = function(function_name);
    line(&profile, text)
        .memory
        .clone()
        .expect("a probed line of a #[memit] function has memory figures")
}

#[hiperf::memit]
fn keeps_a_vector() -> Vec<u64> {
    let kept: Vec<u64> = Vec::with_capacity(1 << 20);
    kept
}

#[test]
fn with_capacity_kept_is_one_allocation_of_exactly_the_capacity() {
    let before = hiperf_runtime::alloc::thread_heap();
    let kept = keeps_a_vector();
    let after = hiperf_runtime::alloc::thread_heap();
    assert_eq!(after.live - before.live, 8_388_608);
    assert_eq!(after.allocations - before.allocations, 1);
    assert_eq!(kept.capacity(), 1 << 20);
    if !hiperf::ENABLED {
        return;
    }
    let figures = memory_of("keeps_a_vector", "Vec::with_capacity(1 << 20)");
    assert_eq!(figures.increment_bytes, 8_388_608);
    assert_eq!(figures.allocations, 1);
    assert_eq!(figures.peak_bytes, 8_388_608);
    let call = function("keeps_a_vector").memory.unwrap();
    assert_eq!(call.increment_bytes, 8_388_608);
    assert!(call.allocator_installed);
}

#[hiperf::memit]
fn allocates_and_frees_on_one_line() -> usize {
    let length = std::hint::black_box(vec![1u8; 64 << 20]).len();
    length
}

#[test]
fn a_line_that_frees_what_it_allocates_has_no_increment_but_its_peak() {
    assert_eq!(allocates_and_frees_on_one_line(), 64 << 20);
    if !hiperf::ENABLED {
        return;
    }
    let figures = memory_of("allocates_and_frees_on_one_line", "let length");
    assert_eq!(figures.increment_bytes, 0);
    assert_eq!(figures.peak_bytes, 64 * MIB as u64);
    assert_eq!(figures.allocations, 1);
    let call = function("allocates_and_frees_on_one_line").memory.unwrap();
    assert_eq!(call.peak_bytes, 64 * MIB as u64);
    assert_eq!(call.increment_bytes, 0);
}

#[hiperf::memit]
fn grows_and_shrinks() -> usize {
    let mut values: Vec<u8> = Vec::with_capacity(100);
    values.reserve_exact(1_000);
    values.extend(std::iter::repeat_n(7, 10));
    values.shrink_to_fit();
    values.shrink_to(4);
    values.len()
}

#[test]
fn reserve_exact_and_shrinking_are_counted_as_reallocations_of_exact_size() {
    assert_eq!(grows_and_shrinks(), 10);
    if !hiperf::ENABLED {
        return;
    }
    let allocate = memory_of("grows_and_shrinks", "Vec::with_capacity(100)");
    assert_eq!((allocate.increment_bytes, allocate.allocations), (100, 1));
    let reserve = memory_of("grows_and_shrinks", "reserve_exact(1_000)");
    // `reserve_exact(1000)` on an empty vector asks for exactly 1000 bytes: a realloc 100 -> 1000.
    assert_eq!(
        (
            reserve.increment_bytes,
            reserve.allocations,
            reserve.peak_bytes
        ),
        (900, 1, 900)
    );
    let extend = memory_of("grows_and_shrinks", "values.extend");
    assert_eq!((extend.increment_bytes, extend.allocations), (0, 0));
    let shrink = memory_of("grows_and_shrinks", "shrink_to_fit()");
    assert_eq!(
        (
            shrink.increment_bytes,
            shrink.allocations,
            shrink.peak_bytes
        ),
        (-990, 1, 0)
    );
    let shrink_to = memory_of("grows_and_shrinks", "shrink_to(4)");
    // Already at its length (10): no change in size (std may still ask for a same-size realloc).
    assert_eq!(shrink_to.increment_bytes, 0);
    assert!(shrink_to.allocations <= 1);
    let call = function("grows_and_shrinks").memory.unwrap();
    assert_eq!(
        call.increment_bytes, 0,
        "the vector is freed before the call ends"
    );
    assert_eq!(call.peak_bytes, 1_000);
}

#[hiperf::memit]
fn allocates_in_another_thread() -> Vec<u8> {
    let handle = std::thread::spawn(|| vec![0u8; 1 << 20]);
    let received = handle.join().unwrap();
    received
}

#[test]
fn another_threads_allocation_is_in_the_process_figures_not_the_callers() {
    let process_before = hiperf_runtime::alloc::process_heap();
    let received = allocates_in_another_thread();
    let process_after = hiperf_runtime::alloc::process_heap();
    assert_eq!(received.len(), 1 << 20);
    assert!(process_after.allocated - process_before.allocated >= 1 << 20);
    if !hiperf::ENABLED {
        return;
    }
    let received_line = memory_of("allocates_in_another_thread", "handle.join()");
    // The megabyte was allocated by the spawned thread: the caller's column does not show it.
    assert!(received_line.allocated_bytes < 1 << 20, "{received_line:?}");
}

#[test]
fn memit_reports_peak_and_increment_like_percent_memit() {
    let (length, figures) = hiperf_runtime::memit::measure(|| {
        let scratch = vec![0u8; 4 << 20];
        let kept = vec![0u8; 1 << 20];
        drop(scratch);
        kept.len()
    });
    assert_eq!(length, 1 << 20);
    assert_eq!(figures.increment_bytes, 5 * MIB);
    assert_eq!(
        figures.net_bytes, 0,
        "both vectors are dropped inside the closure"
    );
    assert_eq!(figures.allocations, 2);
    assert_eq!(figures.peak_bytes, figures.baseline_bytes + 5 * MIB);
    let text = figures.to_string();
    assert!(text.starts_with("peak memory: "), "{text}");
    assert!(text.contains("increment: 5.00 MiB"), "{text}");
    // The macro returns the value.
    let kept: Vec<u8> = hiperf::magic::memit!(vec![1u8; 10]);
    assert_eq!(kept.len(), 10);
}

#[hiperf::memit]
fn inner_spike() {
    let spike = vec![0u8; 2 << 20];
    drop(spike);
}

#[hiperf::memit]
fn outer_calls_spiky_inner() {
    let before = vec![0u8; 1 << 20];
    inner_spike();
    drop(before);
}

#[test]
fn a_callees_peak_shows_on_the_callers_line() {
    outer_calls_spiky_inner();
    if !hiperf::ENABLED {
        return;
    }
    let calling_line = memory_of("outer_calls_spiky_inner", "inner_spike();");
    assert_eq!(calling_line.peak_bytes, 2 << 20);
    assert_eq!(calling_line.increment_bytes, 0);
    let call = function("outer_calls_spiky_inner").memory.unwrap();
    assert_eq!(call.peak_bytes, 3 << 20);
}

#[hiperf::profile]
#[hiperf::memit]
fn timed_and_measured(n: usize) -> usize {
    let values = vec![0u32; n];
    values.len()
}

#[test]
fn profile_and_memit_stacked_record_both() {
    assert_eq!(timed_and_measured(1000), 1000);
    if !hiperf::ENABLED {
        return;
    }
    let profile = function("timed_and_measured");
    assert!(profile.measures_time && profile.measures_memory);
    let allocating = line(&profile, "vec![0u32; n]");
    assert_eq!(allocating.hits, 1);
    assert!(allocating.time_ns > 0.0);
    assert_eq!(allocating.memory.as_ref().unwrap().increment_bytes, 4000);
}

/// An allocator that always fails, to check that failures pass through untouched.
struct Failing;

// SAFETY: never returns memory.
unsafe impl std::alloc::GlobalAlloc for Failing {
    unsafe fn alloc(&self, _: std::alloc::Layout) -> *mut u8 {
        std::ptr::null_mut()
    }
    unsafe fn dealloc(&self, _: *mut u8, _: std::alloc::Layout) {}
}

#[test]
fn a_failing_allocator_fails_the_same_way_and_counts_nothing() {
    use std::alloc::{GlobalAlloc, Layout};
    let counting = hiperf_runtime::alloc::Alloc::new(Failing);
    let before = hiperf_runtime::alloc::thread_heap();
    let layout = Layout::from_size_align(1 << 30, 8).unwrap();
    // SAFETY: a non-zero layout; the null result is not used.
    unsafe {
        assert!(counting.alloc(layout).is_null());
        assert!(counting.alloc_zeroed(layout).is_null());
        assert!(
            counting
                .realloc(
                    std::ptr::NonNull::<u64>::dangling().as_ptr().cast(),
                    Layout::new::<u64>(),
                    1 << 30
                )
                .is_null()
        );
    }
    let after = hiperf_runtime::alloc::thread_heap();
    assert_eq!(after.allocations, before.allocations);
    assert_eq!(after.live, before.live);
}

#[hiperf::memit]
fn consumes(values: Vec<u64>) -> usize {
    let length = values.len();
    length
}

#[hiperf::memit]
fn drops_explicitly(values: Vec<u64>) -> usize {
    let length = values.len();
    drop(values);
    length
}

#[hiperf::memit]
fn consumes_mutably_and_by_pattern(
    mut values: Vec<u64>,
    (left, _right): (Vec<u64>, Vec<u64>),
    borrowed: &[u64],
) -> usize {
    values.truncate(1);
    let length = values.len() + left.len() + borrowed.len();
    length
}

#[hiperf::memit]
fn consumes_in_the_tail(values: Vec<u64>) -> usize {
    values.len()
}

/// A tail whose temporary borrows the argument: in edition 2021 a rebound argument would
/// drop before that temporary, so it is left where it is (compiles, as without hiperf).
#[hiperf::memit]
fn borrows_in_the_tail(cell: std::cell::RefCell<Vec<u64>>) -> usize {
    cell.borrow().len()
}

#[hiperf::memit]
fn keeps_a_mebibyte() -> Vec<u8> {
    let kept = vec![1u8; 1 << 20];
    kept
}

#[test]
fn a_thread_that_freed_memory_of_another_still_shows_what_its_call_holds() {
    // Allocated by another thread and freed by this one: this thread's own level falls by
    // 4 MiB, below zero on a fresh thread.
    let handed_over = std::thread::spawn(|| vec![1u8; 4 << 20]).join().unwrap();
    let before = hiperf_runtime::alloc::thread_heap().live;
    drop(handed_over);
    assert_eq!(hiperf_runtime::alloc::thread_heap().live - before, -4 * MIB);
    let kept = keeps_a_mebibyte();
    assert_eq!(kept.len(), 1 << 20);
    if !hiperf::ENABLED {
        return;
    }
    // The level is the call's: 1 MiB held above its entry (it read 0 B, the thread's own
    // level clamped, before).
    let figures = memory_of("keeps_a_mebibyte", "vec![1u8; 1 << 20]");
    assert_eq!((figures.usage_bytes, figures.increment_bytes), (MIB, MIB));
    assert_eq!(memory_of("keeps_a_mebibyte", "kept").usage_bytes, MIB);
}

#[hiperf::memit]
fn keeps_a_mebibyte_per_level(levels: u32, kept: &mut Vec<Vec<u8>>) {
    kept.push(vec![0u8; 1 << 20]);
    if levels > 1 {
        keeps_a_mebibyte_per_level(levels - 1, kept);
    }
}

#[test]
fn a_recursions_lines_measure_from_the_outermost_calls_entry() {
    let mut kept = Vec::with_capacity(8);
    keeps_a_mebibyte_per_level(4, &mut kept);
    assert_eq!(kept.len(), 4);
    if !hiperf::ENABLED {
        return;
    }
    // The push last ran in the innermost call, the recursive call's line last ended in the
    // outermost: both after 4 MiB were kept, and both say so (from each frame's own entry
    // the push would read 1 MiB).
    let push = memory_of(
        "keeps_a_mebibyte_per_level",
        "kept.push(vec![0u8; 1 << 20]);",
    );
    let call = memory_of(
        "keeps_a_mebibyte_per_level",
        "keeps_a_mebibyte_per_level(levels - 1",
    );
    assert_eq!((push.usage_bytes, call.usage_bytes), (4 * MIB, 4 * MIB));
    assert_eq!(push.increment_bytes, 4 * MIB);
}

#[hiperf::memit]
fn frees_unless_kept(values: Vec<u64>, keep: bool) -> Option<Vec<u64>> {
    if keep {
        return Some(values);
    }
    drop(values);
    None
}

#[test]
fn a_lines_level_comes_from_the_threads_that_ran_it() {
    // One thread runs the line, below its call's entry; another has the function's counters
    // but returns before the line: the line's level is the first thread's, not a 0 from the
    // second.
    // Both threads alive at once (a barrier before they exit), so that each has a block of
    // its own rather than the second taking the first's.
    let both = std::sync::Arc::new(std::sync::Barrier::new(2));
    let run = |keep: bool| {
        let both = std::sync::Arc::clone(&both);
        std::thread::spawn(move || {
            let result = frees_unless_kept(vec![0; 1000], keep);
            both.wait();
            result
        })
    };
    let (freed, kept) = (run(false), run(true));
    let (freed, kept) = (freed.join().unwrap(), kept.join().unwrap());
    assert_eq!((freed, kept.map(|v| v.len())), (None, Some(1000)));
    if !hiperf::ENABLED {
        return;
    }
    let line = memory_of("frees_unless_kept", "drop(values);");
    assert_eq!((line.usage_bytes, line.increment_bytes), (-8000, -8000));
}

#[test]
fn memory_freed_by_dropping_an_owned_argument_is_the_functions() {
    assert_eq!(consumes_in_the_tail(vec![0; 1000]), 1000);
    assert_eq!(
        borrows_in_the_tail(std::cell::RefCell::new(vec![0; 10])),
        10
    );
    assert_eq!(consumes(vec![0; 1000]), 1000);
    assert_eq!(drops_explicitly(vec![0; 1000]), 1000);
    let borrowed = vec![0_u64; 10];
    let pair = (vec![0; 100], vec![0; 200]);
    assert_eq!(
        consumes_mutably_and_by_pattern(vec![0; 1000], pair, &borrowed),
        1 + 100 + 10
    );
    if !hiperf::ENABLED {
        return;
    }
    // Dropping the argument at the end of the call is charged where `drop(values)` would be.
    assert_eq!(
        memory_of("drops_explicitly", "drop(values);").increment_bytes,
        -8000
    );
    // The level after the drop is below the call's entry.
    assert_eq!(
        memory_of("drops_explicitly", "drop(values);").usage_bytes,
        -8000
    );
    assert_eq!(memory_of("consumes", "length").increment_bytes, -8000);
    assert_eq!(function("consumes").memory.unwrap().increment_bytes, -8000);
    let call = function("consumes_mutably_and_by_pattern").memory.unwrap();
    assert_eq!(call.increment_bytes, -8000 - 800 - 1600);
    assert_eq!(
        memory_of("consumes_in_the_tail", "values.len()").increment_bytes,
        -8000
    );
}
