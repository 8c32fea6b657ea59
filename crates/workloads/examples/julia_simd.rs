//! Times the SIMD Julia kernels on the book's grid, warm, many calls in one process: the
//! figures the module docs of `ch07_compiling::simd` quote.
//!
//! ```text
//! cargo build --release -p hiperf-workloads --example julia_simd
//! taskset -c 1 target/release/examples/julia_simd simd 40       # one core
//! target/release/examples/julia_simd simd-rayon 40              # every core
//! target/release/examples/julia_simd simd 20 portable           # the portable path
//! ```
//!
//! Prints the minimum and the median of the calls, in milliseconds, after checking the sum of
//! the escape counts against the book's.

use std::process::ExitCode;
use std::time::Instant;

use hiperf_workloads::ch02_julia::{C, build_grid};
use hiperf_workloads::ch07_compiling::simd::{
    InstructionSet, calculate_z_simd, calculate_z_simd_rayon,
};

/// The sum of the escape counts of the book's 1000², 300-iteration grid.
const BOOK_SUM: i64 = 33_219_980;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: julia_simd simd|simd-rayon [calls] [portable]";
    let kernel = match args.first().map(String::as_str) {
        Some("simd") => calculate_z_simd,
        Some("simd-rayon") => calculate_z_simd_rayon,
        _ => {
            eprintln!("{usage}");
            return ExitCode::from(2);
        }
    };
    let Some(calls) = args
        .get(1)
        .map_or(Some(20), |calls| calls.parse::<usize>().ok())
    else {
        eprintln!("{usage}");
        return ExitCode::from(2);
    };
    let set = match args.get(2).map(String::as_str) {
        None => InstructionSet::detected(),
        Some("portable") => InstructionSet::Portable,
        Some(_) => {
            eprintln!("{usage}");
            return ExitCode::from(2);
        }
    };
    let (zs, _) = build_grid(1000);
    let mut milliseconds = Vec::with_capacity(calls);
    for _ in 0..calls.max(1) {
        let start = Instant::now();
        let output = kernel(set, 300, &zs, 1000, C);
        milliseconds.push(start.elapsed().as_secs_f64() * 1e3);
        let sum: i64 = output.iter().map(|&count| i64::from(count)).sum();
        if sum != BOOK_SUM {
            eprintln!("the escape counts sum to {sum}, not {BOOK_SUM}");
            return ExitCode::FAILURE;
        }
    }
    milliseconds.sort_by(f64::total_cmp);
    println!(
        "{} on {set:?}, {} calls: min {:.2} ms, median {:.2} ms",
        args[0],
        milliseconds.len(),
        milliseconds[0],
        milliseconds[milliseconds.len() / 2],
    );
    ExitCode::SUCCESS
}
