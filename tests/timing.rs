//! Line times are inclusive wall-clock intervals that add up to the function's measured total.

mod common;

use std::time::{Duration, Instant};

use common::{function, line};

fn spin(duration: Duration) {
    let start = Instant::now();
    while start.elapsed() < duration {
        std::hint::spin_loop();
    }
}

#[hiperf::profile]
fn busy_lines(rounds: u32) -> u32 {
    let mut count = 0;
    for _ in 0..rounds {
        count += 1;
    }
    spin(Duration::from_millis(20));
    count
}

#[test]
fn a_line_that_calls_a_function_includes_the_callees_time() {
    let outside = Instant::now();
    assert_eq!(busy_lines(1000), 1000);
    let outside = outside.elapsed().as_nanos() as f64;
    if !hiperf::ENABLED {
        return;
    }
    let profile = function("busy_lines");
    let spin_line = line(&profile, "spin(Duration::from_millis(20));");
    assert!(
        spin_line.time_ns >= 20e6,
        "the spinning line took {} ns",
        spin_line.time_ns
    );
    assert!(spin_line.time_ns <= outside);
    assert!(spin_line.time_ns / profile.total_ns > 0.5);
    assert!(profile.cumulative_ns <= outside);
}

#[hiperf::profile]
fn repeated_lines(rounds: u32) -> u32 {
    let mut count = 0;
    for _ in 0..rounds {
        count += 1;
    }
    spin(Duration::from_micros(200));
    count
}

#[test]
fn line_times_add_up_to_the_measured_total_within_the_probe_cost() {
    for _ in 0..10 {
        assert_eq!(repeated_lines(100), 100);
    }
    if !hiperf::ENABLED {
        return;
    }
    let profile = function("repeated_lines");
    let clock = hiperf_runtime::snapshot::take(Default::default()).clock;
    let line_sum: f64 = profile.lines.iter().map(|l| l.time_ns).sum();
    assert!((line_sum - profile.total_ns).abs() < 1.0);
    // What is not on any line is the time from entry to the first mark: at most a probe per call.
    let unaccounted = profile.cumulative_ns - profile.total_ns;
    assert!(unaccounted >= 0.0);
    assert!(
        unaccounted
            <= profile.calls as f64 * (clock.probe_call_ns + clock.probe_line_ns) * 4.0 + 10_000.0,
        "{unaccounted} ns of {} ns are on no line",
        profile.cumulative_ns
    );
}
