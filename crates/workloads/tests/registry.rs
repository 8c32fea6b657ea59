//! Every registered workload, run at quick size, passes its check: the whole ladder of every
//! chapter, including variants added later, without a list to keep in step.

use std::collections::BTreeSet;

use hiperf_workloads::service::RedisServer;
use hiperf_workloads::{Run, Size, workloads};

#[test]
fn every_registered_variant_passes_its_check_at_quick_size() {
    let all = workloads();
    let chapters: BTreeSet<u8> = all.iter().map(|w| w.chapter).collect();
    for chapter in 2..=11 {
        assert!(
            chapters.contains(&chapter),
            "chapter {chapter} is registered"
        );
    }
    // A skip is right only where redis-server is missing; where it is installed, every
    // variant runs.
    let redis_installed = RedisServer::start_or_skip().is_some();
    let mut failures = Vec::new();
    for workload in &all {
        let mut run = Run::new(Size::Quick);
        match (workload.run)(&mut run) {
            Ok(_) if run.elapsed().is_some() => {}
            Ok(_) => failures.push(format!("{}: never timed its kernel", workload.id())),
            // Only a missing program (redis-server) skips a workload, saying how to install it.
            Err(message) if run.skipped().is_some() && !redis_installed => {
                assert!(
                    message.contains("apt-get install -y redis-server"),
                    "{message}"
                );
                eprintln!("{}: skipped: {message}", workload.id());
            }
            Err(message) => failures.push(format!("{}: {message}", workload.id())),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn every_ladder_has_one_naive_variant_and_distinct_ranks() {
    let all = workloads();
    let ladders: BTreeSet<(u8, &str)> = all.iter().map(|w| (w.chapter, w.name)).collect();
    for (chapter, name) in ladders {
        let ranks: Vec<u8> = all
            .iter()
            .filter(|w| w.chapter == chapter && w.name == name)
            .map(|w| w.rank)
            .collect();
        let distinct: BTreeSet<u8> = ranks.iter().copied().collect();
        assert_eq!(
            distinct.len(),
            ranks.len(),
            "ch{chapter:02}/{name}: ranks repeat"
        );
        assert!(
            distinct.contains(&0),
            "ch{chapter:02}/{name}: no rank-0 variant"
        );
    }
}
