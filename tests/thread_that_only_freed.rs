//! A thread whose first allocator call is a free, and which then exits: the process's heap is
//! still the sum over every thread (its own test binary, so that the thread's heap slot is
//! one no thread used before).

mod common;

#[global_allocator]
static ALLOC: hiperf_runtime::alloc::Alloc = hiperf_runtime::alloc::Alloc::system();

const MIB: usize = 1 << 20;

#[hiperf::profile]
fn profiled_after_a_free() -> u32 {
    1
}

#[test]
fn the_process_heap_counts_a_thread_that_only_freed() {
    let _exclusive = common::exclusive();
    let handed_over = vec![1u8; 32 * MIB];
    let before = hiperf_runtime::alloc::process_heap();
    std::thread::spawn(move || {
        drop(handed_over);
        profiled_after_a_free()
    })
    .join()
    .unwrap();
    let after = hiperf_runtime::alloc::process_heap();
    assert_eq!(
        after.live - before.live,
        -(32 * MIB as i64),
        "{before:?} -> {after:?}"
    );
}
