//! `async fn`s are in the call graph like any other function: recursion counted once, sync
//! callees under them, async callees under their awaiting caller, and their time polled kept
//! apart from their time suspended.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hiperf_runtime::snapshot::Profile;

/// Pending on the first poll, ready on the second.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        context.waker().wake_by_ref();
        Poll::Pending
    }
}

fn spin(duration: Duration) {
    let start = Instant::now();
    while start.elapsed() < duration {
        std::hint::spin_loop();
    }
}

fn function<'a>(profile: &'a Profile, name: &str) -> &'a hiperf_runtime::snapshot::FunctionProfile {
    profile.functions.iter().find(|f| f.name == name).unwrap()
}

#[hiperf::profile]
async fn depth(n: u32) -> u32 {
    if n == 0 {
        return 0;
    }
    Box::pin(depth(n - 1)).await + 1
}

#[hiperf::profile]
fn sync_depth(n: u32) -> u32 {
    if n == 0 {
        return 0;
    }
    sync_depth(n - 1) + 1
}

/// Recursive `async fn`: five calls, one primitive, cumulative time the outermost call's, as
/// for its synchronous twin.
#[test]
fn async_recursion_is_counted_like_sync_recursion() {
    let _exclusive = common::exclusive();
    assert_eq!(common::block_on(depth(4), Duration::ZERO), 4);
    assert_eq!(sync_depth(4), 4);
    if !hiperf::ENABLED {
        return;
    }
    let profile = hiperf_runtime::snapshot::take(Default::default());
    let paths = common::named_paths(&profile);
    for name in ["depth", "sync_depth"] {
        let figures = function(&profile, name);
        assert_eq!((figures.calls, figures.primitive_calls), (5, 1), "{name}");
        let outermost = paths[&vec![name]];
        assert_eq!(outermost.calls, 1);
        assert!(
            (figures.cumulative_ns - outermost.total_ns).abs() <= outermost.total_ns * 1e-9,
            "{name}: cumulative {} ns, outermost call {} ns",
            figures.cumulative_ns,
            outermost.total_ns
        );
        assert!(
            (figures.self_ns - figures.cumulative_ns).abs() <= figures.cumulative_ns * 1e-9,
            "{name}: self {} ns of {} ns",
            figures.self_ns,
            figures.cumulative_ns
        );
        for level in 1..=5 {
            assert_eq!(
                paths[&vec![name; level]].calls,
                1,
                "{name} at depth {level}"
            );
        }
    }
}

#[hiperf::profile]
fn leaf() {
    spin(Duration::from_millis(5));
}

#[hiperf::profile]
async fn calls_leaf() {
    leaf();
    YieldOnce(false).await;
    leaf();
}

#[hiperf::profile]
async fn awaits_calls_leaf() {
    calls_leaf().await;
}

#[hiperf::profile]
fn runs_the_future() {
    common::block_on(awaits_calls_leaf(), Duration::from_millis(20));
}

/// A sync callee of an `async fn` is under it; an awaited `async fn` is under its awaiting
/// caller; a sync function that drives a future has it under itself. Self times exclude
/// callees, and time suspended is not time polled.
#[test]
fn async_and_sync_calls_interleave_in_one_call_tree() {
    let _exclusive = common::exclusive();
    runs_the_future();
    if !hiperf::ENABLED {
        return;
    }
    let profile = hiperf_runtime::snapshot::take(Default::default());
    let paths = common::named_paths(&profile);
    let chain = ["runs_the_future", "awaits_calls_leaf", "calls_leaf", "leaf"];
    for length in 1..=chain.len() {
        let path = paths
            .get(&chain[..length])
            .unwrap_or_else(|| panic!("no path {:?} in {:?}", &chain[..length], paths.keys()));
        let expected = if length == chain.len() { 2 } else { 1 };
        assert_eq!(path.calls, expected, "{:?}", &chain[..length]);
    }
    assert!(!paths.contains_key(&vec!["leaf"]), "leaf is not a root");
    let leaf_path = paths[&chain.to_vec()];
    let async_path = paths[&chain[..3].to_vec()];
    let close = |a: f64, b: f64| (a - b).abs() <= a.abs().max(b.abs()) * 1e-9 + 1e-6;
    // The path's time is the time polled: its self time and its callee's, nothing else.
    assert!(
        close(async_path.total_ns, async_path.self_ns + leaf_path.total_ns),
        "{async_path:?} {leaf_path:?}"
    );
    let calls_leaf = function(&profile, "calls_leaf");
    assert_eq!((calls_leaf.calls, calls_leaf.primitive_calls), (1, 1));
    assert!(close(calls_leaf.self_ns, async_path.self_ns));
    // The call's time is its time polled plus its 20 ms or more suspended.
    assert!(
        common::covers(calls_leaf.suspended_ns, 20e6),
        "{calls_leaf:?}"
    );
    assert!(
        close(
            calls_leaf.cumulative_ns,
            async_path.total_ns + calls_leaf.suspended_ns
        ),
        "{calls_leaf:?} {async_path:?}"
    );
    // Each `leaf();` line shows the callee's time it ran.
    let callee_lines: Vec<f64> = calls_leaf
        .lines
        .iter()
        .filter(|l| l.contents.trim() == "leaf();")
        .map(|l| l.callee_ns)
        .collect();
    assert_eq!(callee_lines.len(), 2);
    assert!(
        callee_lines.iter().all(|&ns| common::covers(ns, 5e6)),
        "{callee_lines:?}"
    );
    // The self times of the whole tree add up to its root's time.
    let root = paths[&chain[..1].to_vec()];
    let self_sum: f64 = paths
        .iter()
        .filter(|(names, _)| names[0] == "runs_the_future")
        .map(|(_, path)| path.self_ns)
        .sum();
    assert!(
        (self_sum - root.total_ns).abs() <= root.total_ns * 1e-9,
        "self {self_sum} ns in {} ns",
        root.total_ns
    );
}

#[hiperf::profile]
async fn parses(text: &str) -> Result<u32, Box<dyn std::error::Error>> {
    let number: u32 = text.parse()?;
    if number == 0 {
        return Err("zero".into());
    }
    YieldOnce(false).await;
    Ok(number)
}

struct Named {
    name: String,
}

#[hiperf::profile]
impl Named {
    async fn name(&self) -> &str {
        &self.name
    }

    async fn name_mut(&mut self) -> &mut String {
        &mut self.name
    }

    async fn into_name(self) -> impl std::fmt::Display {
        self.name
    }
}

/// `?`, early returns, borrowed returns from `&self` and `&mut self`, `impl Trait` returns:
/// the body keeps its types, returns and borrows inside the call's future.
#[test]
fn async_bodies_keep_their_returns_and_borrows() {
    let _exclusive = common::exclusive();
    let run = |future| common::block_on(future, Duration::ZERO);
    assert_eq!(run(Box::pin(parses("12"))).unwrap(), 12);
    assert!(run(Box::pin(parses("0"))).is_err());
    assert!(run(Box::pin(parses("x"))).is_err());
    let mut named = Named {
        name: "a".to_string(),
    };
    assert_eq!(common::block_on(named.name(), Duration::ZERO), "a");
    common::block_on(named.name_mut(), Duration::ZERO).push('b');
    assert_eq!(
        common::block_on(named.into_name(), Duration::ZERO).to_string(),
        "ab"
    );
    if !hiperf::ENABLED {
        return;
    }
    let profile = hiperf_runtime::snapshot::take(Default::default());
    let parses = function(&profile, "parses");
    assert_eq!((parses.calls, parses.primitive_calls), (3, 3));
    assert_eq!(common::hits(parses, "let number: u32 = text.parse()?;"), 3);
    assert_eq!(common::hits(parses, "return Err(\"zero\".into());"), 1);
    assert_eq!(common::hits(parses, "Ok(number)"), 1);
    assert_eq!(function(&profile, "Named::name_mut").calls, 1);
}

#[hiperf::profile]
async fn cancelled() {
    YieldOnce(false).await;
    unreachable!("dropped while suspended");
}

#[hiperf::profile]
fn polls_once_then_hands_over() -> Pin<Box<dyn Future<Output = ()> + Send>> {
    let mut future: Pin<Box<dyn Future<Output = ()> + Send>> = Box::pin(cancelled());
    let waker = std::task::Waker::noop();
    assert!(
        future
            .as_mut()
            .poll(&mut Context::from_waker(waker))
            .is_pending()
    );
    future
}

/// A call dropped while suspended (cancelled) ended: it is counted once, on the path it ran
/// on, whichever thread drops it.
#[test]
fn a_cancelled_call_counts_once_on_its_path() {
    let _exclusive = common::exclusive();
    let here = polls_once_then_hands_over();
    drop(here);
    let elsewhere = polls_once_then_hands_over();
    std::thread::spawn(move || drop(elsewhere)).join().unwrap();
    if !hiperf::ENABLED {
        return;
    }
    let profile = hiperf_runtime::snapshot::take(Default::default());
    let figures = function(&profile, "cancelled");
    assert_eq!((figures.calls, figures.primitive_calls), (2, 2));
    let paths = common::named_paths(&profile);
    assert_eq!(
        paths[&vec!["polls_once_then_hands_over", "cancelled"]].calls,
        2,
        "{:?}",
        paths.keys()
    );
    assert!(!paths.contains_key(&vec!["cancelled"]));
}
