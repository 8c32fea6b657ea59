//! Chapter 9 at quick size, worker processes included (the `hiperf-worker` binary cargo
//! builds beside this test serves them): every variant reproduces the book's values, and the
//! process variants agree with the threads.
//!
//! The Redis variants run where `redis-server` is installed (`.ci/run` installs it); elsewhere
//! they print why they were skipped.

use std::collections::BTreeSet;

use hiperf_workloads::ch09_multiprocessing::*;
use hiperf_workloads::service::RedisServer;
use hiperf_workloads::{Size, workloads};

/// Every variant's check at quick size is run by `registry.rs`.
#[test]
fn chapter_9_has_the_books_five_ladders() {
    let ladders: BTreeSet<&str> = workloads()
        .into_iter()
        .filter(|w| w.chapter == 9)
        .map(|w| w.name)
        .collect();
    assert_eq!(
        ladders,
        [
            "locking",
            "pi",
            "prime-validation",
            "primes",
            "shared-array"
        ]
        .into()
    );
}

#[test]
fn pi_in_worker_processes_counts_what_one_thread_counts() {
    let parameters = pi_parameters(Size::Quick);
    for workers in [1, 3] {
        assert_eq!(
            pi_processes(parameters, workers),
            Ok(PI_QUICK_INSIDE),
            "{workers} workers"
        );
    }
}

#[test]
fn primes_from_worker_processes_are_range_a_and_b() {
    for workers in [1, 2, 3] {
        let primes = primes_processes(RANGE_A, workers).unwrap();
        check_primes(RANGE_A, &primes).unwrap();
    }
    check_primes(RANGE_B, &primes_processes(RANGE_B, 2).unwrap()).unwrap();
}

/// Range C, the book's: 54208 primes, first and last ten, from the worker processes.
#[test]
fn range_c_has_54208_primes() {
    let primes = primes_processes(RANGE_C, 2).unwrap();
    check_primes(RANGE_C, &primes).unwrap();
    assert_eq!(primes[..10], FIRST_TEN);
    assert_eq!(primes.last(), Some(&100_999_993));
}

#[test]
fn locked_file_counter_reaches_4000_and_the_unlocked_one_at_most_4000() {
    assert_eq!(
        file_counter(1, false),
        Ok(1000),
        "ex1_nolock1: one process alone"
    );
    assert_eq!(file_counter(4, true), Ok(EXPECTED_COUNT));
    // Lost updates vary from run to run; a count above 4000 (a torn write) never happens.
    for _ in 0..3 {
        let unlocked = file_counter(4, false).unwrap();
        assert!((1..=EXPECTED_COUNT).contains(&unlocked), "{unlocked}");
    }
}

#[test]
fn redis_incr_from_4_processes_reaches_4000() {
    let Some(server) = RedisServer::start_or_skip() else {
        return;
    };
    assert_eq!(redis_counter(&server, 4), Ok(i64::from(EXPECTED_COUNT)));
}

#[test]
fn the_shared_array_is_written_by_exactly_4_distinct_workers() {
    let (rows, columns) = (9, 1000);
    let (written, ids) = shared_array(rows, columns).unwrap();
    check_written(rows, columns, &written, &ids).unwrap();
    assert_eq!(written.writers.len(), 4);
}
