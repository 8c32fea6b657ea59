//! Without `hiperf::Alloc` as the global allocator nothing is counted: the figures say so,
//! and a memory budget fails and says why, rather than pass on zeros.

// With `enable` off no allocator counts (the feature-off build links no runtime).
#![cfg(feature = "enable")]

#[test]
fn memit_without_the_counting_allocator_says_it_counted_nothing() {
    // Reading the figures claims this thread's counters; that alone must not look like an
    // installed allocator.
    let (length, figures) = hiperf::measure_memory(|| vec![1u8; 4096].len());
    assert_eq!(length, 4096);
    assert!(!figures.allocator_installed);
    assert!(!hiperf_runtime::alloc::installed());
    assert!(figures.to_string().contains("RSS"), "{figures}");
}

#[test]
#[should_panic(
    expected = "memory budget `peak <= 1 KiB, allocs == 0` of `vec![1u8; 4096].len()` \
                           cannot be checked: hiperf::Alloc is not the global allocator"
)]
fn a_budget_without_the_counting_allocator_fails() {
    let _ = hiperf::assert_memory!(vec![1u8; 4096].len(), peak <= 1 KiB, allocs == 0);
}
