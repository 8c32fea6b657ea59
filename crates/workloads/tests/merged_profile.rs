//! One profile across processes: with profiling on, the line tables and call statistics of
//! `check_prime` run by worker processes are merged into this process's, exactly: its calls
//! summed over the workers equal the candidates, and every line's hits equal those of the
//! same work done in this process.
//!
//! One test in its own binary, so that no other test's calls mix with its counts.

use hiperf_runtime::snapshot::{FunctionProfile, Profile};
use hiperf_workloads::ch09_multiprocessing::{
    RANGE_A, check_prime, check_prime_iterations, check_primes, primes_processes, primes_serial,
};

fn check_prime_of(profile: &Profile) -> FunctionProfile {
    profile
        .functions
        .iter()
        .find(|f| f.name == "check_prime" && f.module_path.ends_with("primes"))
        .expect("check_prime is registered")
        .clone()
}

/// Calls and per-line hits of `check_prime` between two snapshots.
fn counts(before: &Profile, after: &Profile) -> (u64, Vec<(u32, u64)>) {
    let (before, after) = (check_prime_of(before), check_prime_of(after));
    let hits = after
        .lines
        .iter()
        .zip(&before.lines)
        .map(|(a, b)| (a.line, a.hits - b.hits))
        .collect();
    (after.calls - before.calls, hits)
}

#[test]
fn worker_processes_add_their_exact_counts_to_this_processs_profile() {
    if !hiperf::ENABLED {
        eprintln!("skipped: profiling is off (`cargo xtask test` runs this with it on)");
        return;
    }
    let options = hiperf_runtime::snapshot::SnapshotOptions::default();
    let candidates = RANGE_A.1 - RANGE_A.0;

    let start = hiperf_runtime::snapshot::take(options);
    let serial = primes_serial(RANGE_A);
    let after_serial = hiperf_runtime::snapshot::take(options);
    for workers in [2, 3] {
        let before = hiperf_runtime::snapshot::take(options);
        let primes = primes_processes(RANGE_A, workers).unwrap();
        let after = hiperf_runtime::snapshot::take(options);
        assert_eq!(primes, serial);
        check_primes(RANGE_A, &primes).unwrap();

        let (calls, hits) = counts(&before, &after);
        assert_eq!(
            calls, candidates,
            "{workers} workers: calls summed over the workers"
        );
        let (serial_calls, serial_hits) = counts(&start, &after_serial);
        assert_eq!(serial_calls, candidates);
        assert_eq!(hits, serial_hits, "{workers} workers: every line's hits");

        // The loop's test line runs once per divisor tried: the true count, computed apart.
        let function = check_prime_of(&after);
        let test_line = function
            .lines
            .iter()
            .find(|l| l.contents.trim() == "if n % i == 0 {")
            .expect("the divisor test line")
            .line;
        let iterations: u64 = (RANGE_A.0..RANGE_A.1).map(check_prime_iterations).sum();
        let test_hits = hits.iter().find(|(line, _)| *line == test_line).unwrap().1;
        assert_eq!(test_hits, iterations, "{workers} workers: divisor tests");
        let function_before = check_prime_of(&before);
        assert!(
            function.threads >= function_before.threads + workers as u64,
            "each worker's thread is counted"
        );
    }
    // The parent itself never ran check_prime for the process variants: the calls came in
    // through the merge, and the call paths were merged with them.
    let profile = hiperf_runtime::snapshot::take(options);
    let path_calls: u64 = profile
        .paths
        .iter()
        .filter(|path| {
            profile
                .functions
                .get(path.function as usize)
                .is_some_and(|f| f.name == "check_prime")
        })
        .map(|path| path.calls)
        .sum();
    assert_eq!(path_calls, 3 * candidates);
    assert!(check_prime(100_000_007));
}
