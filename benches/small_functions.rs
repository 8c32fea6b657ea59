//! A program of many small functions, every one annotated, timed off, exact and sampled in
//! one run: `cargo bench --bench small_functions --features enable`.
//!
//! The program (`small_functions/program.rs`, 37 functions) reads a JSON document, counts its
//! values, pretty-prints it and reads the output back: the shape of the real crates in which
//! users annotate every small function (peek, bump, one function per token kind). It is
//! compiled three times into this binary: `bare` with an attribute that leaves each function
//! as it is (profiling off), `calls` with one that only adds `#[inline(never)]` (profiling
//! off, but every call stays a call, as it does once a function carries a probe: how much of
//! the profiled cases' cost is the calls themselves), and `profiled` with
//! `#[hiperf::profile]`, which runs in the exact or the sampled mode as `hiperf::set_mode`
//! selects. The rounds alternate the four cases so that the machine's drift falls on all of
//! them; the table gives each one's median, its spread, and the ratio of medians to off.
//! Without `--features enable` the profiled copy is bare too.
//!
//! Options (after `--`): `--rounds N` (default 15), `--records N` (default 3000).

use std::hint::black_box;
use std::time::{Duration, Instant};

#[allow(dead_code, missing_debug_implementations)]
mod bare {
    use reemit::reemit as profile;
    include!("small_functions/program.rs");
}

/// The bare program with no function inlined: the part of the profiled cases' cost that is
/// the calls themselves (a probed function is too large to inline where a bare one is not).
#[allow(dead_code, missing_debug_implementations)]
mod calls {
    use reemit::never_inline as profile;
    include!("small_functions/program.rs");
}

#[allow(dead_code, missing_debug_implementations)]
mod profiled {
    use hiperf::profile;
    include!("small_functions/program.rs");
}

/// A deterministic document of `records` records: strings with escapes, numbers with
/// fractions and exponents, nested lists and objects, booleans and nulls.
fn document(records: usize) -> String {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut text = String::from("[\n");
    for index in 0..records {
        let r = next();
        if index > 0 {
            text.push_str(",\n");
        }
        text.push_str(&format!(
            "  {{\"id\": {index}, \"name\": \"item \\\"{}\\\" \\u00e9\\n{}\", \"price\": {}.{:02}, \
             \"ratio\": {}e-{}, \"tags\": [\"a{}\", \"b\", \"c\\\\d\"], \"active\": {}, \
             \"parent\": {}, \"size\": {{\"w\": {}, \"h\": {}, \"unit\": \"cm\"}}, \
             \"history\": [{}, {}, {}, [], {{}}]}}",
            r % 977,
            "x".repeat((r % 13) as usize),
            r % 1000,
            (r >> 10) % 100,
            (r >> 20) % 97 + 1,
            (r >> 27) % 9,
            (r >> 30) % 50,
            (r >> 33) % 2 == 0,
            if (r >> 34) % 3 == 0 {
                "null".to_string()
            } else {
                ((r >> 36) % 500).to_string()
            },
            (r >> 40) % 300,
            (r >> 44) % 300,
            (r >> 48) % 10,
            -((r >> 50) as i64 % 10),
            (r >> 54) % 1000,
        ));
    }
    text.push_str("\n]\n");
    text
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Case {
    Off,
    OffCalls,
    Exact,
    Sampled,
}

impl Case {
    fn name(self) -> &'static str {
        match self {
            Case::Off => "off",
            Case::OffCalls => "off, no function inlined",
            Case::Exact => "exact",
            Case::Sampled => "sampled",
        }
    }

    /// One run of the program in this case, timed.
    fn time(self, text: &str) -> Duration {
        match self {
            Case::Off | Case::OffCalls => {}
            Case::Exact => hiperf::set_mode(hiperf::Mode::Exact),
            Case::Sampled => hiperf::set_mode(hiperf::Mode::Sampled),
        }
        let start = Instant::now();
        let answer = match self {
            Case::Off => bare::run(black_box(text)).1,
            Case::OffCalls => calls::run(black_box(text)).1,
            Case::Exact | Case::Sampled => profiled::run(black_box(text)).1,
        };
        let elapsed = start.elapsed();
        black_box(answer);
        elapsed
    }
}

fn option(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|arg| arg == name)
        .and_then(|at| args.get(at + 1))
        .map(|value| {
            value.parse().unwrap_or_else(|_| {
                eprintln!("{name} takes a number, not {value:?}");
                std::process::exit(2)
            })
        })
        .unwrap_or(default)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs benches as tests with no flag.
    let testing = !std::env::args().any(|arg| arg == "--bench");
    let rounds = if testing {
        1
    } else {
        option("--rounds", 15).max(1)
    };
    let records = if testing {
        50
    } else {
        option("--records", 3000).max(1)
    };
    // The report at exit would print every table: this benchmark wants its own table only.
    hiperf::report_at_exit(false);
    let text = document(records);
    let expected = bare::run(&text);
    let again = profiled::run(&text);
    // The profiled copy has run once: what one run counts.
    let (calls, hits) = calls_and_hits(&hiperf::take(Default::default()));
    assert!(
        (again.0.values, again.0.depth, again.1)
            == (expected.0.values, expected.0.depth, expected.1),
        "both copies give the same answer"
    );
    let uninlined = calls::run(&text);
    assert!(
        (uninlined.0.values, uninlined.0.depth, uninlined.1)
            == (expected.0.values, expected.0.depth, expected.1),
        "the copy with no function inlined gives the same answer"
    );
    let census = expected.0;
    let cases = [Case::Off, Case::OffCalls, Case::Exact, Case::Sampled];
    // Warm-up: a run of each (page faults, the sampler thread's start, the branch predictors).
    for case in cases {
        case.time(&text);
    }
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
    for round in 0..rounds {
        // Each round starts from a different case, so none always follows the same one.
        for step in 0..cases.len() {
            let index = (round + step) % cases.len();
            times[index].push(cases[index].time(&text).as_secs_f64());
        }
    }
    hiperf::set_mode(hiperf::Mode::Exact);
    // The answer check, the warm-up's exact and sampled runs, then two a round: every run
    // counts the same calls and hits.
    let profiled_runs = 3 + 2 * rounds as u64;
    assert_eq!(
        calls_and_hits(&hiperf::take(Default::default())),
        (calls * profiled_runs, hits * profiled_runs),
        "every profiled run counts what the first one did"
    );
    println!(
        "small_functions: {records} records, {} KiB of JSON, {} values; {rounds} rounds",
        text.len() / 1024,
        census.values
    );
    if hiperf::ENABLED {
        println!("per profiled run: {calls} calls of annotated functions, {hits} line hits");
    } else {
        println!(
            "profiling is off in this build: the exact and sampled cases run the bare program"
        );
    }
    println!();
    println!("| case | median | min | max | vs off (medians) |");
    println!("|---|---|---|---|---|");
    let off = median(&mut times[0].clone());
    for (case, samples) in cases.iter().zip(&times) {
        let mut sorted = samples.clone();
        let middle = median(&mut sorted);
        println!(
            "| {} | {:.3} ms | {:.3} ms | {:.3} ms | {:.2}x |",
            case.name(),
            middle * 1e3,
            sorted[0] * 1e3,
            sorted[sorted.len() - 1] * 1e3,
            middle / off
        );
    }
    if hiperf::ENABLED {
        // The exact mode reads the clock at every entry and exit and at every line hit but a
        // call's first (which the entry's read starts): at least `calls + hits` reads a run.
        let reads = calls + hits;
        let read_ns = clock_read_ns();
        let floor = reads as f64 * read_ns * 1e-9;
        println!();
        println!(
            "clock reads: at least {reads} per exact run (calls + line hits), {read_ns:.2} ns \
             each measured now: {:.1} ms, {:.2}x off before any other work",
            floor * 1e3,
            (off + floor) / off
        );
    }
}

/// Nanoseconds per read of the probe's clock, back to back (median of 7 rounds).
fn clock_read_ns() -> f64 {
    const READS: u32 = 2_000_000;
    let mut rounds: Vec<f64> = (0..7)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..READS {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: `rdtsc` exists on every x86-64 processor.
                black_box(unsafe { core::arch::x86_64::_rdtsc() });
                #[cfg(not(target_arch = "x86_64"))]
                black_box(Instant::now());
            }
            start.elapsed().as_secs_f64() * 1e9 / f64::from(READS)
        })
        .collect();
    median(&mut rounds)
}

#[cfg(feature = "enable")]
fn calls_and_hits(profile: &hiperf::Profile) -> (u64, u64) {
    let mine = profile
        .functions
        .iter()
        .filter(|function| function.file.ends_with("program.rs"));
    mine.fold((0, 0), |(calls, hits), function| {
        (
            calls + function.calls,
            hits + function.lines.iter().map(|line| line.hits).sum::<u64>(),
        )
    })
}

#[cfg(not(feature = "enable"))]
fn calls_and_hits(_: &hiperf::Profile) -> (u64, u64) {
    (0, 0)
}
