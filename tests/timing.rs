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
    let _exclusive = common::exclusive();
    let outside = Instant::now();
    assert_eq!(busy_lines(1000), 1000);
    let outside = outside.elapsed().as_nanos() as f64;
    if !hiperf::ENABLED {
        return;
    }
    let profile = function("busy_lines");
    let spin_line = line(&profile, "spin(Duration::from_millis(20));");
    assert!(
        common::covers(spin_line.time_ns, 20e6),
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
    let _exclusive = common::exclusive();
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

macro_rules! called_once {
    ($($name:ident),*) => {
        $(
            #[hiperf::profile]
            fn $name() {
                spin(Duration::from_micros(300));
            }
        )*
        const CALLED_ONCE: &[(&str, fn())] = &[$((stringify!($name), $name)),*];
    };
}

called_once!(
    once_a, once_b, once_c, once_d, once_e, once_f, once_g, once_h, once_i, once_j, once_k, once_l,
    once_m, once_n, once_o, once_p
);

/// Percentiles come from histogram buckets up to 12.5% wide, but never lie outside the
/// shortest and the longest call: with one call, every percentile is that call.
#[test]
fn percentiles_lie_between_the_shortest_and_the_longest_call() {
    let _exclusive = common::exclusive();
    for (_, run) in CALLED_ONCE {
        run();
    }
    if !hiperf::ENABLED {
        return;
    }
    let profile = hiperf_runtime::snapshot::take(Default::default());
    for (name, _) in CALLED_ONCE {
        let function = profile.functions.iter().find(|f| f.name == *name).unwrap();
        let percentiles = function.percentiles.as_ref().unwrap();
        let max = function.max_call_ns;
        for value in [percentiles.p50_ns, percentiles.p95_ns, percentiles.p99_ns] {
            assert!(
                value <= max,
                "{name}: {percentiles:?} above the longest call {max} ns"
            );
            assert_eq!(value, max, "{name}: one call, {percentiles:?}");
        }
    }
}
