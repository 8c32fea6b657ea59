//! The call graph of a known program is exactly right: paths, callers and callees, recursion
//! and threads.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use hiperf_runtime::graph::edges;

#[hiperf::profile]
fn leaf() -> u32 {
    1
}

#[hiperf::profile]
fn branch(n: u32) -> u32 {
    let mut total = 0;
    for _ in 0..n {
        total += leaf();
    }
    total
}

#[hiperf::profile]
fn root() -> u32 {
    let a = branch(3);
    let b = branch(2);
    a + b + leaf()
}

#[hiperf::profile]
fn countdown(n: u32) -> u32 {
    if n == 0 {
        return 0;
    }
    1 + countdown(n - 1)
}

#[test]
fn paths_edges_and_recursion_match_the_program() {
    let _exclusive = common::exclusive();
    assert_eq!(root(), 6);
    assert_eq!(std::thread::spawn(root).join().unwrap(), 6);
    assert_eq!(countdown(4), 4);
    if !hiperf::ENABLED {
        return;
    }
    let profile = hiperf_runtime::snapshot::take(Default::default());
    let index: HashMap<&str, u32> = profile
        .functions
        .iter()
        .enumerate()
        .map(|(i, f)| (f.name.as_str(), i as u32))
        .collect();
    let paths = common::named_paths(&profile);
    let calls = |names: &[&str]| paths.get(names).map_or(0, |p| p.calls);
    assert_eq!(calls(&["root"]), 2);
    assert_eq!(calls(&["root", "branch"]), 4);
    assert_eq!(calls(&["root", "branch", "leaf"]), 10);
    assert_eq!(calls(&["root", "leaf"]), 2);
    for depth in 1..=5 {
        assert_eq!(
            calls(&vec!["countdown"; depth]),
            1,
            "countdown at depth {depth}"
        );
    }
    let related: Vec<_> = paths
        .keys()
        .filter(|names| names[0] == "root" || names[0] == "countdown")
        .collect();
    assert_eq!(related.len(), 4 + 5, "no other path: {related:?}");

    let edges = edges(&profile.paths);
    let edge = |caller: Option<&str>, callee: &str| {
        edges
            .iter()
            .find(|e| e.caller == caller.map(|c| index[c]) && e.callee == index[callee])
            .map_or(0, |e| e.calls)
    };
    assert_eq!(edge(Some("branch"), "leaf"), 10);
    assert_eq!(edge(Some("root"), "leaf"), 2);
    assert_eq!(edge(Some("root"), "branch"), 4);
    assert_eq!(edge(None, "root"), 2);
    assert_eq!(edge(Some("countdown"), "countdown"), 4);
    assert_eq!(edge(None, "countdown"), 1);

    let countdown = &profile.functions[index["countdown"] as usize];
    assert_eq!((countdown.calls, countdown.primitive_calls), (5, 1));
    // Recursion is not counted twice: the self times add up to the outermost call's time.
    assert!(
        (countdown.self_ns - countdown.cumulative_ns).abs() <= countdown.cumulative_ns * 1e-9 + 1.0
    );
    let root_profile = &profile.functions[index["root"] as usize];
    assert_eq!(root_profile.threads, 2);
    assert!(root_profile.self_ns < root_profile.cumulative_ns);
    let text = hiperf_runtime::report::render_calls(&profile, "ncalls".parse().unwrap());
    let leaf_row = text.lines().position(|l| l.ends_with("(leaf)")).unwrap();
    let root_row = text.lines().position(|l| l.ends_with("(root)")).unwrap();
    assert!(leaf_row < root_row, "sorted by calls:\n{text}");
    assert!(text.contains("5/1"), "{text}");
}

#[test]
fn every_call_is_logged_for_the_timeline() {
    let _exclusive = common::exclusive();
    hiperf_runtime::calls::log_events(true);
    for _ in 0..3 {
        leaf_for_timeline();
    }
    if !hiperf::ENABLED {
        return;
    }
    let profile = hiperf_runtime::snapshot::take(Default::default());
    let function = profile
        .functions
        .iter()
        .position(|f| f.name == "leaf_for_timeline")
        .unwrap() as u32;
    let timeline = hiperf_runtime::snapshot::timeline();
    let events: Vec<_> = timeline
        .tracks
        .iter()
        .flat_map(|t| &t.events)
        .filter(|e| e.function == function)
        .collect();
    assert_eq!(events.len(), 3);
    assert!(
        events
            .iter()
            .all(|e| e.duration_ns >= 0.0 && e.start_ns >= 0.0)
    );
}

#[hiperf::profile]
fn leaf_for_timeline() -> u32 {
    2
}

#[hiperf::profile]
fn trace_leaf() -> u32 {
    1
}

#[hiperf::profile]
fn trace_root() -> u32 {
    trace_leaf() + trace_leaf()
}

#[test]
fn the_chrome_trace_and_folded_stacks_parse_as_their_consumers_expect() {
    let _exclusive = common::exclusive();
    hiperf_runtime::calls::log_events(true);
    assert_eq!(trace_root(), 2);
    if !hiperf::ENABLED {
        return;
    }
    let profile = hiperf_runtime::snapshot::take(Default::default());
    let trace = hiperf_runtime::report::render_chrome_trace(
        &profile,
        &hiperf_runtime::snapshot::timeline(),
    );
    let document: serde_json::Value = serde_json::from_str(&trace).expect("the trace is JSON");
    let events = document["traceEvents"]
        .as_array()
        .expect("a traceEvents array");
    let complete: Vec<&serde_json::Value> = events.iter().filter(|e| e["ph"] == "X").collect();
    assert!(complete.iter().any(|e| e["name"] == "trace_root"));
    for event in events {
        // What Perfetto's JSON importer needs of each event.
        assert!(event["ph"] == "X" || event["ph"] == "M", "{event}");
        assert!(
            event["name"].is_string() && event["pid"].is_u64() && event["tid"].is_u64(),
            "{event}"
        );
        if event["ph"] == "X" {
            assert!(event["ts"].as_f64().is_some_and(|ts| ts >= 0.0), "{event}");
            assert!(
                event["dur"].as_f64().is_some_and(|dur| dur >= 0.0),
                "{event}"
            );
        }
    }
    // Every track is named.
    let named: Vec<u64> = events
        .iter()
        .filter(|e| e["ph"] == "M")
        .filter_map(|e| e["tid"].as_u64())
        .collect();
    assert!(
        complete
            .iter()
            .all(|e| named.contains(&e["tid"].as_u64().unwrap()))
    );
    assert!(document["otherData"]["calls_not_logged"].is_u64());

    let folded = hiperf_runtime::report::render_folded(&profile);
    assert!(
        folded
            .lines()
            .any(|line| line.contains("::trace_root;") && line.contains("::trace_leaf")),
        "{folded}"
    );
    for line in folded.lines() {
        let (stack, count) = line.rsplit_once(' ').expect("`stack count`");
        assert!(!stack.is_empty() && count.parse::<u64>().is_ok(), "{line}");
    }
}

fn spin(duration: Duration) {
    let start = Instant::now();
    while start.elapsed() < duration {
        std::hint::spin_loop();
    }
}

#[hiperf::profile]
fn chain_outer() {
    chain_middle();
}

#[hiperf::memit]
fn chain_middle() {
    let kept = vec![0u8; 1000];
    chain_inner();
    drop(kept);
}

#[hiperf::profile]
fn chain_inner() {
    spin(Duration::from_millis(50));
}

/// A `#[memit]`-only function between two `#[profile]` functions is a call like any other: its
/// subtree stays under it, and the self times add up to the outermost call's time.
#[test]
fn a_memit_function_between_profiled_ones_keeps_its_subtree() {
    let _exclusive = common::exclusive();
    chain_outer();
    if !hiperf::ENABLED {
        return;
    }
    let profile = hiperf_runtime::snapshot::take(Default::default());
    let paths = common::named_paths(&profile);
    let path = |names: &[&str]| paths[names];
    let whole = path(&["chain_outer"]);
    let middle = path(&["chain_outer", "chain_middle"]);
    let inner = path(&["chain_outer", "chain_middle", "chain_inner"]);
    assert_eq!((whole.calls, middle.calls, inner.calls), (1, 1, 1));
    assert!(common::covers(inner.total_ns, 50e6), "{inner:?}");
    assert!(middle.total_ns >= inner.total_ns, "{middle:?}");
    assert!(whole.total_ns >= middle.total_ns, "{whole:?}");
    // Self times partition the outermost call: their sum is its time (to float rounding).
    let self_sum = whole.self_ns + middle.self_ns + inner.self_ns;
    assert!(
        (self_sum - whole.total_ns).abs() <= whole.total_ns * 1e-9,
        "self {self_sum} ns in a call of {} ns",
        whole.total_ns
    );
    let function = |name: &str| profile.functions.iter().find(|f| f.name == name).unwrap();
    let tottime: f64 = ["chain_outer", "chain_middle", "chain_inner"]
        .iter()
        .map(|name| function(name).self_ns)
        .sum();
    assert!(tottime <= function("chain_outer").cumulative_ns * (1.0 + 1e-9));
    assert!(common::covers(function("chain_middle").cumulative_ns, 50e6));
    assert!(function("chain_outer").self_ns < 25e6);
    let outer_line = function("chain_outer")
        .lines
        .iter()
        .find(|line| line.contents.trim() == "chain_middle();")
        .unwrap();
    assert!(common::covers(outer_line.callee_ns, 50e6), "{outer_line:?}");
}
