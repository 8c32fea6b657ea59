//! Recursion 100,000 calls deep is profiled and reported whole: one call path per depth,
//! recursion counted once, and a report that grows with the call tree, not with its depth
//! squared.

mod common;

const DEPTH: u32 = 100_000;

#[hiperf::profile]
fn descend(n: u32) -> u32 {
    if n == 0 {
        return 0;
    }
    1 + descend(n - 1)
}

/// Runs `work` on a thread with a stack big enough for `DEPTH` nested calls.
fn on_a_big_stack<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 << 30)
        .spawn(work)
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn recursion_a_hundred_thousand_deep_is_reported_whole() {
    let _exclusive = common::exclusive();
    assert_eq!(on_a_big_stack(|| descend(DEPTH)), DEPTH);
    if !hiperf::ENABLED {
        return;
    }
    let profile = hiperf::take(Default::default());
    let index = profile
        .functions
        .iter()
        .position(|f| f.name == "descend")
        .unwrap() as u32;
    let function = &profile.functions[index as usize];
    assert_eq!(
        (function.calls, function.primitive_calls),
        (u64::from(DEPTH) + 1, 1)
    );
    let paths: Vec<_> = profile
        .paths
        .iter()
        .filter(|p| p.function == index)
        .collect();
    assert_eq!(paths.len(), DEPTH as usize + 1, "one path per depth");
    assert!(paths.iter().all(|p| p.calls == 1));
    let edges = hiperf::graph::edges(&profile.paths);
    let recursive = edges
        .iter()
        .find(|e| e.caller == Some(index) && e.callee == index)
        .unwrap();
    assert_eq!(recursive.calls, u64::from(DEPTH));
    // Every report renders, and the JSON round-trips.
    assert!(hiperf::report::render_text(&profile, Default::default()).contains("descend"));
    assert!(!hiperf::report::render_folded(&profile).is_empty());
    let json = serde_json::to_string(&profile).unwrap();
    let read: hiperf::Profile = serde_json::from_str(&json).unwrap();
    assert_eq!(read.paths.len(), profile.paths.len());
}
