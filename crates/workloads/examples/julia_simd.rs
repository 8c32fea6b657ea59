//! Times the SIMD Julia kernels on the book's grid, warm, many calls in one process: the
//! figures the module docs of `ch07_compiling::simd` quote.
//!
//! ```text
//! cargo build --release -p hiperf-workloads --example julia_simd
//! taskset -c 1 target/release/examples/julia_simd simd 40       # one core
//! target/release/examples/julia_simd simd-rayon 40              # every core
//! target/release/examples/julia_simd simd 20 portable           # the portable path
//! target/release/examples/julia_simd simd 20 avx2               # AVX2 on an AVX-512 CPU
//! target/release/examples/julia_simd simd 40 1                  # 1 iteration, not 300
//! ```
//!
//! The optional iteration limit (300, the book's, by default) isolates the costs that do not
//! grow with the steps: at 1 iteration a call is little more than loading the points, setting
//! up the tiles and writing the counts.
//!
//! Prints the minimum and the median of the calls, in milliseconds, after checking the sum of
//! the escape counts against the book's (at another limit, against the scalar kernel's).

use std::process::ExitCode;
use std::time::Instant;

use hiperf_workloads::ch02_julia::{C, build_grid};
use hiperf_workloads::ch07_compiling::julia::calculate_z_expanded;
use hiperf_workloads::ch07_compiling::simd::{
    InstructionSet, calculate_z_simd, calculate_z_simd_rayon,
};

/// The book's iteration limit.
const BOOK_MAXITER: i32 = 300;

/// The sum of the escape counts of the book's 1000², 300-iteration grid.
const BOOK_SUM: i64 = 33_219_980;

const USAGE: &str = "usage: julia_simd simd|simd-rayon [calls] [avx512|avx2|portable] [maxiter]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let kernel = match args.first().map(String::as_str) {
        Some("simd") => calculate_z_simd,
        Some("simd-rayon") => calculate_z_simd_rayon,
        _ => return usage(),
    };
    let Some(calls) = args
        .get(1)
        .map_or(Some(20), |calls| calls.parse::<usize>().ok())
    else {
        return usage();
    };
    // After the calls, the instruction set and the iteration limit, each optional, in this order.
    let mut rest = args.iter().skip(2).map(String::as_str).peekable();
    let set = match rest.peek().copied().and_then(instruction_set) {
        Some(set) => {
            rest.next();
            if !set.is_available() {
                eprintln!("{set:?} is not available on this CPU");
                return ExitCode::from(2);
            }
            set
        }
        None => InstructionSet::detected(),
    };
    let maxiter = match rest.next().map(str::parse::<i32>) {
        None => BOOK_MAXITER,
        Some(Ok(maxiter)) if maxiter >= 0 => maxiter,
        Some(_) => return usage(),
    };
    if rest.next().is_some() {
        return usage();
    }
    let (zs, _) = build_grid(1000);
    let expected_sum = if maxiter == BOOK_MAXITER {
        BOOK_SUM
    } else {
        sum(&calculate_z_expanded(maxiter, &zs, C))
    };
    let mut milliseconds = Vec::with_capacity(calls);
    for _ in 0..calls.max(1) {
        let start = Instant::now();
        let output = kernel(set, maxiter, &zs, 1000, C);
        milliseconds.push(start.elapsed().as_secs_f64() * 1e3);
        let sum = sum(&output);
        if sum != expected_sum {
            eprintln!("the escape counts sum to {sum}, not {expected_sum}");
            return ExitCode::FAILURE;
        }
    }
    milliseconds.sort_by(f64::total_cmp);
    println!(
        "{} on {set:?}, maxiter {maxiter}, {} calls: min {:.2} ms, median {:.2} ms",
        args[0],
        milliseconds.len(),
        milliseconds[0],
        milliseconds[milliseconds.len() / 2],
    );
    ExitCode::SUCCESS
}

/// The instruction set an argument names.
fn instruction_set(name: &str) -> Option<InstructionSet> {
    match name {
        "avx512" => Some(InstructionSet::Avx512),
        "avx2" => Some(InstructionSet::Avx2),
        "portable" => Some(InstructionSet::Portable),
        _ => None,
    }
}

/// The sum of escape counts.
fn sum(counts: &[i32]) -> i64 {
    counts.iter().map(|&count| i64::from(count)).sum()
}

/// Prints the usage and exits 2.
fn usage() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::from(2)
}
