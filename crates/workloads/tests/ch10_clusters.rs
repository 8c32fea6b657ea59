//! Chapter 10: the job queue over the in-process queue and over a private `redis-server`,
//! with a worker process killed mid-run, and the cluster pi. Worker processes are the
//! `hiperf-worker` binary cargo builds beside this test.
//!
//! The Redis parts run where `redis-server` is installed (`.ci/run` installs it); elsewhere
//! they print why they were skipped. Every run is bounded: workers give up after two
//! minutes, and a killed worker's messages are claimed after 200 ms.

use std::collections::BTreeSet;
use std::time::Duration;

use hiperf_workloads::ch10_clusters::*;
use hiperf_workloads::service::RedisServer;
use hiperf_workloads::{Size, workloads};

/// Every variant's check at quick size is run by `registry.rs`.
#[test]
fn chapter_10_has_its_five_variants() {
    let ids: BTreeSet<String> = workloads()
        .into_iter()
        .filter(|w| w.chapter == 10)
        .map(|w| w.id())
        .collect();
    assert_eq!(
        ids,
        [
            "ch10/cluster-pi/engines",
            "ch10/job-queue/in-process",
            "ch10/job-queue/redis",
            "ch10/job-queue/redis-batched",
            "ch10/job-queue/redis-killed",
        ]
        .map(String::from)
        .into()
    );
}

#[test]
fn a_worker_process_killed_mid_run_loses_nothing_and_counts_nothing_twice() {
    let Some(server) = RedisServer::start_or_skip() else {
        return;
    };
    let run = run_redis(
        &server.url(),
        JOB_RANGE,
        2,
        WorkerOptions::EACH_MESSAGE,
        true,
    )
    .unwrap_or_else(|message| panic!("{}", server.explain(message)));
    // run_redis checked the streams: 551 in `prime`, all true; 9449 in `non_prime`, all
    // false; every number once; the JSON round-trips; nothing pending.
    assert_eq!(
        run.routing,
        Routing {
            primes: 551,
            non_primes: 9449
        }
    );
    assert!(run.killed_holding > 0, "the killed worker held messages");
    let claimed: usize = run.tallies.iter().map(|t| t.claimed).sum();
    assert!(
        claimed >= run.killed_holding,
        "{claimed} claimed, {} held by the killed worker",
        run.killed_holding
    );
    let routed: usize = run.tallies.iter().map(|t| t.routed).sum();
    assert_eq!(routed + run.killed_routed, 10_000);
}

/// The queue contract, on any queue: deliveries pending until acknowledged, idle ones
/// claimed, an acknowledgement that takes effect once.
fn contract(queue: &mut impl JobQueue) {
    let published: Vec<String> = (0..5).map(|n| format!("{{\"number\":{n}}}")).collect();
    queue.publish(&published).unwrap();
    queue.publish(&[]).unwrap();
    assert!(!queue.is_closed().unwrap());
    let first = queue.read("a", 3, Some(Duration::from_millis(5))).unwrap();
    assert_eq!(
        first.iter().map(|d| d.json.clone()).collect::<Vec<_>>(),
        published[..3]
    );
    assert_eq!(queue.read("b", 10, None).unwrap().len(), 2);
    assert!(queue.read("b", 10, None).unwrap().is_empty());
    assert_eq!(queue.pending().unwrap(), 5);
    assert_eq!(queue.pending_for("a").unwrap(), 3);
    assert!(
        queue
            .claim("b", Duration::from_secs(60), 10)
            .unwrap()
            .is_empty()
    );
    std::thread::sleep(Duration::from_millis(5));
    let claimed = queue.claim("b", Duration::from_millis(1), 1).unwrap();
    assert_eq!(claimed, first[..1]);
    assert_eq!(queue.pending_for("a").unwrap(), 2);
    let answer = Routed {
        id: first[0].id.clone(),
        route: Route::NonPrime,
        json: r#"{"number":0,"prime":false}"#.into(),
    };
    assert_eq!(queue.complete(std::slice::from_ref(&answer)).unwrap(), 1);
    assert_eq!(
        queue.complete(&[answer]).unwrap(),
        0,
        "a second acknowledgement routes nothing"
    );
    assert_eq!(
        queue.entries(Route::NonPrime).unwrap(),
        [r#"{"number":0,"prime":false}"#]
    );
    assert!(queue.entries(Route::Prime).unwrap().is_empty());
    assert_eq!(queue.pending().unwrap(), 4);
    queue.close().unwrap();
    assert!(queue.is_closed().unwrap());
}

#[test]
fn the_in_process_queue_and_redis_streams_keep_one_contract() {
    contract(&mut MemoryQueue::new());
    let Some(server) = RedisServer::start_or_skip() else {
        return;
    };
    contract(&mut RedisQueue::create(&server.url(), "contract:").unwrap());
}

#[test]
fn a_queue_on_a_shared_server_deletes_its_keys() {
    let Some(server) = RedisServer::start_or_skip() else {
        return;
    };
    let mut connection = server.connect().unwrap();
    {
        let mut queue = RedisQueue::create(&server.url(), "mine:").unwrap();
        produce(&mut queue, (1, 11)).unwrap();
        let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut connection).unwrap();
        assert_eq!(keys.len(), 2, "numbers and closed: {keys:?}");
        assert!(keys.iter().all(|key| key.starts_with("mine:")), "{keys:?}");
    }
    let left: usize = redis::cmd("DBSIZE").query(&mut connection).unwrap();
    assert_eq!(left, 0);
}

#[test]
fn the_cluster_pi_counts_what_one_thread_counts() {
    let parameters = hiperf_workloads::ch09_multiprocessing::pi_parameters(Size::Quick);
    let mut cluster = Cluster::start(3).unwrap();
    for _ in 0..2 {
        let answers = cluster.apply_pi(parameters).unwrap();
        assert_eq!(answers.len(), 3);
        let inside: u64 = answers.iter().map(|&(inside, _)| inside).sum();
        assert_eq!(
            inside,
            hiperf_workloads::ch09_multiprocessing::PI_QUICK_INSIDE
        );
    }
    cluster.finish().unwrap();
}
