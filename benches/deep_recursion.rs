//! Recursion 10^5 calls deep, profiled, then reported (text, JSON, folded stacks): the time of
//! each part and the process's peak RSS. The report must grow with the call tree, not with its
//! depth squared: under 2 s and 200 MB for this run.
//!
//! `cargo bench --bench deep_recursion --features enable` (without `enable` nothing is
//! profiled and the figures are the bare run's).

use std::time::{Duration, Instant};

const DEPTH: u32 = 100_000;
const ROUNDS: usize = 5;

#[hiperf::profile]
fn descend(n: u32) -> u32 {
    if n == 0 {
        return 0;
    }
    1 + std::hint::black_box(descend(n - 1))
}

/// The process's peak resident set (`VmHWM`), in MiB (Linux).
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; a filter that names nothing here skips the run.
    if std::env::args()
        .skip(1)
        .any(|arg| !arg.starts_with('-') && !"deep_recursion".contains(arg.as_str()))
    {
        return;
    }
    let started = Instant::now();
    let run = std::thread::Builder::new()
        .stack_size(1 << 30)
        .spawn(|| {
            let start = Instant::now();
            let depth = descend(DEPTH);
            (depth, start.elapsed())
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(run.0, DEPTH);
    let mut reports = Vec::new();
    let mut sizes = (0, 0, 0, 0);
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let profile = hiperf_runtime::snapshot::take(Default::default());
        let text = hiperf_runtime::report::render_text(&profile, Default::default());
        let json = serde_json::to_string(&profile).unwrap();
        let folded = hiperf_runtime::report::render_folded(&profile);
        reports.push(start.elapsed());
        sizes = (profile.paths.len(), text.len(), json.len(), folded.len());
    }
    let total = started.elapsed();
    let (first, median_report) = (reports[0], median(&mut reports.clone()));
    println!(
        "deep_recursion: depth {DEPTH} profiled in {:.3} s; report (take + text + JSON + folded) \
         first {:.3} s, median of {ROUNDS} {:.3} s (min {:.3}, max {:.3}); whole run {:.3} s; \
         peak RSS {}",
        run.1.as_secs_f64(),
        first.as_secs_f64(),
        median_report.as_secs_f64(),
        reports.iter().min().unwrap().as_secs_f64(),
        reports.iter().max().unwrap().as_secs_f64(),
        total.as_secs_f64(),
        peak_rss_mib().map_or("unknown".to_string(), |mib| format!("{mib:.1} MiB")),
    );
    println!(
        "deep_recursion: {} call paths; text {} bytes, JSON {} bytes, folded {} bytes",
        sizes.0, sizes.1, sizes.2, sizes.3
    );
}
