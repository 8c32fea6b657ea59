//! The counting allocator stays exact with any number of threads over the process's life:
//! a hundred thousand threads that never ran a profiled function, one after another.

mod common;

use std::sync::{Arc, Barrier};

#[global_allocator]
static ALLOC: hiperf::Alloc = hiperf::Alloc::system();

const MIB: usize = 1 << 20;

#[hiperf::memit]
fn allocates_a_mebibyte_while_another_thread_allocates(
    started: &Barrier,
    done: &Barrier,
) -> Vec<u8> {
    started.wait();
    let kept = vec![1u8; MIB];
    done.wait();
    kept
}

/// A hundred thousand threads that allocate and never run a profiled function, then two at
/// once: each sees its own heap only.
#[test]
fn a_hundred_thousand_threads_later_each_thread_still_has_its_own_counts() {
    let _exclusive = common::exclusive();
    for _ in 0..100_000 {
        std::thread::spawn(|| std::hint::black_box(vec![0u8; 64]).len())
            .join()
            .unwrap();
    }
    let started = Arc::new(Barrier::new(2));
    let done = Arc::new(Barrier::new(2));
    let (started_other, done_other) = (Arc::clone(&started), Arc::clone(&done));
    let other = std::thread::spawn(move || {
        started_other.wait();
        let big = std::hint::black_box(vec![1u8; 50 * MIB]);
        done_other.wait();
        big.len()
    });
    let profiled = std::thread::spawn(move || {
        allocates_a_mebibyte_while_another_thread_allocates(&started, &done).len()
    });
    assert_eq!(profiled.join().unwrap(), MIB);
    assert_eq!(other.join().unwrap(), 50 * MIB);
    if !hiperf::ENABLED {
        return;
    }
    let profile = common::function("allocates_a_mebibyte_while_another_thread_allocates");
    // The other thread's 50 MiB were allocated while this function's lines ran: none of its
    // lines shows them.
    let lines: Vec<_> = profile
        .lines
        .iter()
        .filter_map(|l| l.memory.as_ref())
        .collect();
    let allocated: u64 = lines.iter().map(|m| m.allocated_bytes).sum();
    let increment: i64 = lines.iter().map(|m| m.increment_bytes).sum();
    assert_eq!(
        (allocated, increment),
        (MIB as u64, MIB as i64),
        "{lines:?}"
    );
    assert_eq!(profile.memory.unwrap().increment_bytes, MIB as i64);
}
