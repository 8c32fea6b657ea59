//! One profile across the job queue's worker processes: with profiling on, the calls of
//! `check_prime` made by the Redis workers are merged into this process's profile, one per
//! message, as the in-process queue's worker threads record them.
//!
//! One test in its own binary, so that no other test's calls mix with its counts.

use hiperf_runtime::snapshot::{Profile, SnapshotOptions};
use hiperf_workloads::ch10_clusters::{JOB_RANGE, WorkerOptions, run_in_process, run_redis};
use hiperf_workloads::service::RedisServer;

fn check_prime_calls(profile: &Profile) -> u64 {
    profile
        .functions
        .iter()
        .find(|f| f.name == "check_prime" && f.module_path.ends_with("primes"))
        .map_or(0, |f| f.calls)
}

#[test]
fn the_workers_calls_are_merged_one_per_message() {
    if !hiperf::ENABLED {
        eprintln!("skipped: profiling is off (`cargo xtask test` runs this with it on)");
        return;
    }
    let options = SnapshotOptions::default();
    let messages = JOB_RANGE.1 - JOB_RANGE.0;

    let before = check_prime_calls(&hiperf_runtime::snapshot::take(options));
    run_in_process(JOB_RANGE, 2, WorkerOptions::EACH_BATCH).unwrap();
    let after_threads = check_prime_calls(&hiperf_runtime::snapshot::take(options));
    assert_eq!(after_threads - before, messages, "worker threads");

    let Some(server) = RedisServer::start_or_skip() else {
        return;
    };
    let run = run_redis(
        &server.url(),
        JOB_RANGE,
        3,
        WorkerOptions::EACH_BATCH,
        false,
    )
    .unwrap_or_else(|message| panic!("{}", server.explain(message)));
    assert_eq!(run.tallies.len(), 3);
    let after_processes = check_prime_calls(&hiperf_runtime::snapshot::take(options));
    assert_eq!(
        after_processes - after_threads,
        messages,
        "worker processes, merged"
    );
}
