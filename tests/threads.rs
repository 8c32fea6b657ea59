//! Counts from many threads add up exactly, and nothing is lost when a thread exits.

// A value bound on a line of its own and then returned gives that line a row of its own in
// the tables these tests check.
#![allow(clippy::let_and_return)]

mod common;

use common::{function, hits};
use rayon::prelude::*;

#[hiperf::profile]
fn count_up(n: u64) -> u64 {
    let mut total = 0;
    for i in 0..n {
        total += i % 7;
    }
    total
}

#[test]
fn std_threads_that_exit_keep_their_counts() {
    let _exclusive = common::exclusive();
    let handles: Vec<_> = (0..8)
        .map(|_| std::thread::spawn(|| count_up(1000)))
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    // A second wave reuses the blocks the first wave gave back.
    let handles: Vec<_> = (0..8)
        .map(|_| std::thread::spawn(|| count_up(1000)))
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    if !hiperf::ENABLED {
        return;
    }
    let profile = function("count_up");
    assert_eq!(profile.calls, 16);
    assert_eq!(hits(&profile, "for i in 0..n"), 16 * 1001);
    assert_eq!(hits(&profile, "total += i % 7;"), 16 * 1000);
    assert_eq!(profile.threads, 16);
}

#[hiperf::profile]
fn square(x: u64) -> u64 {
    let squared = x * x;
    squared
}

#[test]
fn rayon_workers_that_stay_alive_are_read_exactly() {
    let _exclusive = common::exclusive();
    let total: u64 = (0..10_000u64).into_par_iter().map(square).sum();
    assert_eq!(total, (0..10_000u64).map(|x| x * x).sum::<u64>());
    if !hiperf::ENABLED {
        return;
    }
    let profile = function("square");
    assert_eq!(profile.calls, 10_000);
    assert_eq!(hits(&profile, "let squared = x * x;"), 10_000);
    assert_eq!(hits(&profile, "squared"), 10_000);
}

#[hiperf::profile]
fn scoped_workers(chunks: &[Vec<u32>]) -> u32 {
    let mut total = 0;
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|chunk| scope.spawn(move || chunk.iter().sum::<u32>()))
            .collect();
        for handle in handles {
            total += handle.join().unwrap();
        }
    });
    total
}

#[test]
fn scoped_threads_inside_a_profiled_function_keep_its_counts() {
    let _exclusive = common::exclusive();
    let chunks = vec![vec![1, 2, 3], vec![4, 5], vec![6]];
    assert_eq!(scoped_workers(&chunks), 21);
    if hiperf::ENABLED {
        let profile = function("scoped_workers");
        assert_eq!(profile.calls, 1);
        assert_eq!(hits(&profile, "std::thread::scope"), 1);
    }
}

#[hiperf::profile]
fn once_per_thread() -> u32 {
    1
}

#[hiperf::profile]
fn in_many_threads() -> u32 {
    1
}

/// `threads` counts the threads that ran a function, not the counter blocks they reused.
#[test]
fn threads_run_one_after_another_are_each_counted() {
    let _exclusive = common::exclusive();
    for _ in 0..3 {
        std::thread::spawn(once_per_thread).join().unwrap();
    }
    for _ in 0..10_000 {
        std::thread::spawn(in_many_threads).join().unwrap();
    }
    if !hiperf::ENABLED {
        return;
    }
    let three = function("once_per_thread");
    assert_eq!((three.calls, three.threads), (3, 3));
    let many = function("in_many_threads");
    assert_eq!((many.calls, many.threads), (10_000, 10_000));
}
