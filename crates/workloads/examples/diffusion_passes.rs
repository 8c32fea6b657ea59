//! Times the diffusion passes of `ch06_matrix::diffusion` on one grid, many runs in one
//! process: the figures the PERF notes of `interleaved` and `blocked` quote.
//!
//! ```text
//! cargo build --release -p hiperf-workloads --example diffusion_passes
//! taskset -c 1 target/release/examples/diffusion_passes interleaved 640 500 9   # one core
//! target/release/examples/diffusion_passes interleaved-rayon 640 500 9          # every core
//! target/release/examples/diffusion_passes interleaved 16 20000 9                # rows in L2
//! ```
//!
//! Prints the minimum, the median and the maximum of the runs in milliseconds, and the
//! nanoseconds per cell update of the median, after checking that the mass is conserved; with
//! `DIFFUSION_PASSES_ALL` set, every run's time too.

use std::process::ExitCode;

use hiperf_workloads::ch06_matrix::diffusion::{Shape, blocked, fsum, interleaved, mass, simd};
use hiperf_workloads::{Run, Size};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: diffusion_passes simd|simd-rayon|blocked-rayon|interleaved|interleaved-rayon [size] [steps] [runs]";
    let driver: fn(&mut Run, Shape, usize) -> Vec<f64> = match args.first().map(String::as_str) {
        Some("simd") => simd::run_serial,
        Some("simd-rayon") => simd::run_rayon,
        Some("blocked-rayon") => blocked::run_rayon,
        Some("interleaved") => interleaved::run_serial,
        Some("interleaved-rayon") => interleaved::run_rayon,
        _ => {
            eprintln!("{usage}");
            return ExitCode::from(2);
        }
    };
    let number = |index: usize, default: usize| {
        args.get(index)
            .map_or(Some(default), |value| value.parse::<usize>().ok())
    };
    let (Some(rows), Some(steps), Some(runs)) = (number(1, 640), number(2, 500), number(3, 9))
    else {
        eprintln!("{usage}");
        return ExitCode::from(2);
    };
    let shape = Shape::new(rows, 640);
    let mut milliseconds = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let mut run = Run::new(Size::Book);
        let grid = driver(&mut run, shape, steps);
        milliseconds.push(run.elapsed().expect("the run was timed").as_secs_f64() * 1e3);
        let total = fsum(grid.iter().copied());
        if (total - mass(shape)).abs() > 1e-9 {
            eprintln!("the mass is {total}, not {}", mass(shape));
            return ExitCode::FAILURE;
        }
    }
    milliseconds.sort_by(f64::total_cmp);
    let median = milliseconds[milliseconds.len() / 2];
    println!(
        "{} {rows}x640 {steps} steps: min {:.2} ms, median {median:.2} ms, max {:.2} ms, {:.3} ns per cell",
        args[0],
        milliseconds[0],
        milliseconds[milliseconds.len() - 1],
        median * 1e6 / (shape.cells() * steps) as f64
    );
    if std::env::var_os("DIFFUSION_PASSES_ALL").is_some() {
        let all: Vec<String> = milliseconds.iter().map(|ms| format!("{ms:.1}")).collect();
        println!("  every run, sorted (ms): {}", all.join(" "));
    }
    ExitCode::SUCCESS
}
