//! The first annotated call of a process arms the report at exit and on signals (a watcher
//! thread, an exit hook): none of that may show in the user's figures. This binary has one
//! test, so that its call is the process's first.

#[global_allocator]
static ALLOC: hiperf_runtime::alloc::Alloc = hiperf_runtime::alloc::Alloc::system();

#[hiperf::profile]
fn keeps_one_vector() -> Vec<u64> {
    Vec::with_capacity(8)
}

#[test]
fn the_first_call_allocates_only_what_the_function_asks_for() {
    let before = hiperf_runtime::alloc::thread_heap();
    let kept = keeps_one_vector();
    let after = hiperf_runtime::alloc::thread_heap();
    assert_eq!(after.allocations - before.allocations, 1);
    assert_eq!(after.live - before.live, 64);
    assert_eq!(kept.capacity(), 8);
}
