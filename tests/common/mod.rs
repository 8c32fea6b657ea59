//! Helpers shared by the integration tests: find a function's profile and a line's figures.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::collections::HashMap;

use hiperf_runtime::graph::CallPath;
use hiperf_runtime::snapshot::{FunctionProfile, LineProfile, Profile, SnapshotOptions};

/// How far short of a span `Instant` measured the profiler may read it, relative: the
/// profiler's nanoseconds are its clock's ticks over a rate calibrated against `Instant`
/// (`hiperf_runtime::clock`), and the calibration's two pairs of reads are not simultaneous.
/// A 50 ms spin once read 49,999,873 ns in CI (2.5 ppm short); 0.1% leaves room for a read
/// delayed by the host.
pub const CALIBRATION_ERROR: f64 = 1e-3;

/// Whether the profiler's `ns` covers a span of at least `at_least_ns` by `Instant`, within
/// [`CALIBRATION_ERROR`].
pub fn covers(ns: f64, at_least_ns: f64) -> bool {
    ns >= at_least_ns * (1.0 - CALIBRATION_ERROR)
}

/// The profile of the annotated function `name` (panics if it is not registered).
pub fn function(name: &str) -> FunctionProfile {
    let profile = hiperf_runtime::snapshot::take(SnapshotOptions::default());
    let mut matching = profile.functions.into_iter().filter(|f| f.name == name);
    let found = matching
        .next()
        .unwrap_or_else(|| panic!("no annotated function named {name}"));
    assert!(
        matching.next().is_none(),
        "two annotated functions are named {name}"
    );
    found
}

/// The one line of `function` whose source is `text` (trimmed), else the one that contains it.
pub fn line<'a>(function: &'a FunctionProfile, text: &str) -> &'a LineProfile {
    if let Some(exact) = function.lines.iter().find(|l| l.contents.trim() == text) {
        return exact;
    }
    let mut matching = function.lines.iter().filter(|l| l.contents.contains(text));
    let found = matching
        .next()
        .unwrap_or_else(|| panic!("no line of {} contains {text:?}", function.name));
    assert!(
        matching.next().is_none(),
        "two lines of {} contain {text:?}",
        function.name
    );
    found
}

/// Hits of the line of `function` that contains `text`.
pub fn hits(function: &FunctionProfile, text: &str) -> u64 {
    line(function, text).hits
}

/// A minimal executor: polls `future`, sleeping `pause` whenever it is pending (the time it
/// stays suspended).
pub fn block_on<F: std::future::Future>(future: F, pause: std::time::Duration) -> F::Output {
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};

    struct NoopWake;
    impl Wake for NoopWake {
        fn wake(self: Arc<Self>) {}
    }
    let waker = Waker::from(Arc::new(NoopWake));
    let mut context = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        match future.as_mut().poll(&mut context) {
            Poll::Ready(value) => return value,
            Poll::Pending => std::thread::sleep(pause),
        }
    }
}

/// Holds this test binary's profiler lock: tests that run annotated functions and read the
/// process-wide figures (call paths, threads, the heap) take it first, so that no test sees
/// another's calls while it runs. A test that failed does not poison it for the others.
pub fn exclusive() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Each call path of `profile` by the names of its functions, outermost first.
pub fn named_paths(profile: &Profile) -> HashMap<Vec<&str>, &CallPath> {
    let mut by_names = HashMap::new();
    hiperf_runtime::graph::walk(&profile.paths, |index, ancestors| {
        let names = ancestors
            .iter()
            .map(|&a| a as usize)
            .chain([index])
            .map(|at| {
                profile.functions[profile.paths[at].function as usize]
                    .name
                    .as_str()
            })
            .collect();
        by_names.insert(names, &profile.paths[index]);
    });
    by_names
}
