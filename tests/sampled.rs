//! The sampled mode: hits and calls stay exact (the recursive split, threads, early returns
//! included); line and function times come from the sampler, in the right proportions.

#![allow(clippy::let_and_return)]

mod common;

use std::time::{Duration, Instant};

use common::{function, hits, line};

fn sampled() {
    hiperf::set_mode(hiperf::Mode::Sampled);
}

fn spin(duration: Duration) {
    let start = Instant::now();
    while start.elapsed() < duration {
        std::hint::spin_loop();
    }
}

#[hiperf::profile]
fn counted(n: u64) -> u64 {
    let mut total = 0;
    for i in 0..n {
        if i % 3 == 0 {
            continue;
        }
        total += i;
    }
    if total == 7 {
        return 0;
    }
    total
}

#[test]
fn hits_and_calls_are_exact() {
    sampled();
    let mut sum = 0;
    for n in 0..200 {
        sum += counted(n);
    }
    assert!(sum > 0);
    if !hiperf::ENABLED {
        return;
    }
    let f = function("counted");
    assert_eq!(f.calls, 200);
    assert_eq!(f.primitive_calls, 200);
    // The loop header runs n + 1 times per call; the body n times.
    let iterations: u64 = (0..200).sum();
    assert_eq!(hits(&f, "for i in 0..n"), iterations + 200);
    assert_eq!(hits(&f, "if i % 3 == 0"), iterations);
    let continues: u64 = (0..200u64).map(|n| n.div_ceil(3)).sum();
    assert_eq!(hits(&f, "continue;"), continues);
    assert_eq!(hits(&f, "total += i;"), iterations - continues);
    // total == 7 for n = 5 (1 + 2 + 4): one early return.
    assert_eq!(hits(&f, "return 0;"), 1);
    assert_eq!(line(&f, "total").hits, 199);
    assert!(f.sampled, "its times come from the sampler");
    assert!(
        f.percentiles.is_none(),
        "a sampled call has no duration of its own"
    );
}

#[hiperf::profile]
fn fibonacci(n: u32) -> u64 {
    if n < 2 {
        return u64::from(n);
    }
    fibonacci(n - 1) + fibonacci(n - 2)
}

#[test]
fn recursive_calls_keep_the_primitive_split() {
    sampled();
    assert_eq!(fibonacci(15), 610);
    if !hiperf::ENABLED {
        return;
    }
    let f = function("fibonacci");
    // fib(15) makes 2 * fib(16) - 1 = 1973 calls, one of them primitive.
    assert_eq!(f.calls, 1973);
    assert_eq!(f.primitive_calls, 1);
}

#[hiperf::profile]
fn on_threads(rounds: u64) -> u64 {
    let mut total = 0;
    for i in 0..rounds {
        total += i;
    }
    total
}

#[test]
fn threads_add_up() {
    sampled();
    let threads: Vec<_> = (0..4)
        .map(|_| std::thread::spawn(|| (0..50).map(|_| on_threads(100)).sum::<u64>()))
        .collect();
    for thread in threads {
        assert_eq!(thread.join().unwrap(), 50 * 4950);
    }
    if !hiperf::ENABLED {
        return;
    }
    let f = function("on_threads");
    assert_eq!(f.calls, 200);
    assert_eq!(hits(&f, "total += i;"), 200 * 100);
    assert_eq!(f.threads, 4);
}

#[hiperf::profile]
fn three_to_one() {
    spin(Duration::from_millis(150));
    spin(Duration::from_millis(50));
}

#[hiperf::profile]
fn caller_of_spin() {
    three_to_one();
}

#[test]
fn sampled_times_split_as_the_wall_clock_does() {
    sampled();
    let _exclusive = common::exclusive();
    let start = Instant::now();
    caller_of_spin();
    let wall = start.elapsed().as_nanos() as f64;
    if !hiperf::ENABLED {
        return;
    }
    let profile = hiperf_runtime::snapshot::take(Default::default());
    assert_eq!(profile.clock.mode, "sampled");
    let f = function("three_to_one");
    let long = line(&f, "spin(Duration::from_millis(150));");
    let short = line(&f, "spin(Duration::from_millis(50));");
    assert!(
        long.samples > 100 && short.samples > 30,
        "{} and {} samples",
        long.samples,
        short.samples
    );
    let share = long.time_ns / (long.time_ns + short.time_ns);
    // 75% by the wall clock; a sample's weight is the time since the sampler's last wake.
    assert!(
        (share - 0.75).abs() < 0.08,
        "the long line has {:.1}%",
        share * 100.0
    );
    // The function's sampled time is the wall time of its one call, to within a few samples
    // at each end.
    assert!(
        (f.cumulative_ns / wall - 1.0).abs() < 0.15,
        "{} ns sampled against {} ns",
        f.cumulative_ns,
        wall
    );
    // The caller's line holds the callee's time, as in the exact mode, as time in callees.
    let caller = function("caller_of_spin");
    let call = line(&caller, "three_to_one();");
    assert!(call.callee_ns > 0.9 * call.time_ns, "{call:?}");
    assert!(
        caller.self_ns < 0.1 * caller.cumulative_ns,
        "{} of {}",
        caller.self_ns,
        caller.cumulative_ns
    );
    // The text report says the times are sampled.
    let text = hiperf_runtime::report::render_text(&profile, Default::default());
    assert!(text.contains("Mode: sampled"), "{text}");
    assert!(text.contains('~'), "{text}");
}
