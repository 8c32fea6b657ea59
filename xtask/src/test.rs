//! `cargo xtask test`: the whole test suite with profiling off, then on. The annotated code
//! must behave the same both ways, and the exact-count tests only run with it on.

use std::process::ExitCode;

use crate::{cargo, status};

#[derive(clap::Args)]
pub struct Args {
    /// Extra arguments for `cargo test` (after `--`), e.g. a test name filter.
    #[arg(last = true)]
    rest: Vec<String>,
}

pub fn run(args: &Args) -> Result<ExitCode, String> {
    for (label, features) in [
        ("profiling off", None),
        ("profiling on", Some("hiperf/enable")),
    ] {
        eprintln!("== cargo test --workspace ({label})");
        let mut command = cargo();
        command.args(["test", "--workspace"]);
        // With profiling on, every test binary prints its report at exit (issue 13): the
        // suite's own output stays readable without them (tests that check reports set
        // HIPERF_REPORT for their child processes themselves).
        command.env("HIPERF_REPORT", "off");
        if let Some(features) = features {
            command.args(["--features", features]);
        }
        if !args.rest.is_empty() {
            command.arg("--").args(&args.rest);
        }
        if !status(&mut command)?.success() {
            eprintln!("The tests failed with {label}; rerun them with: {command:?}");
            return Ok(ExitCode::FAILURE);
        }
    }
    Ok(ExitCode::SUCCESS)
}
