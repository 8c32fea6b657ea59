//! `cargo xtask report`: builds the runner twice (plain for timings, profiled for the line
//! tables), runs the book's workloads, and writes the reports under `target/hiperf/`.
//! `cargo xtask bench`: the probe benchmarks and the comparison with the peers.
//! `cargo xtask test`: the test suite with profiling off, then on.
//! `cargo xtask merge`: one profile from the saved profiles of several processes.

mod bench;
mod compare;
mod flame;
mod merge;
mod python;
mod python_memory;
mod report;
mod test;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "hiperf's project tasks"
)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Run the book's workloads (timed, then profiled) and write the reports.
    Report(report::Args),
    /// Measure the probes and compare with the peer profilers.
    Bench(bench::Args),
    /// Run the test suite with profiling off, then on.
    Test(test::Args),
    /// Compare two runs (report.json or a HIPERF_JSON profile) as a CI gate, by the rules of
    /// hiperf-compare.toml: exits 1 naming each broken rule.
    Compare(compare::Args),
    /// Merge saved profiles (one per process) into one: calls, hits and memory summed.
    Merge(merge::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    let result = match cli.task {
        Task::Report(args) => report::run(&args),
        Task::Bench(args) => bench::run(&args),
        Task::Test(args) => test::run(&args),
        Task::Compare(args) => compare::run(&args),
        Task::Merge(args) => merge::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// A wrong flag or task: clap's message, then every valid flag of that task; exit code 2.
/// (`--help` and `--version` print to stdout and exit 0, as usual.)
fn usage_error(error: &clap::Error) -> ExitCode {
    if !error.use_stderr() {
        let _ = error.print();
        return ExitCode::SUCCESS;
    }
    let _ = error.print();
    let command = <Cli as clap::CommandFactory>::command();
    let task = std::env::args()
        .skip(1)
        .find_map(|arg| command.find_subcommand(&arg).cloned());
    let mut help = task.unwrap_or(command);
    eprintln!("\n{}", help.render_help());
    ExitCode::from(2)
}

/// The workspace root (the parent of this crate's folder).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// The `cargo` that runs us.
fn cargo() -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(root());
    command
}

/// Runs `command`, failing with a message that names it.
fn status(command: &mut Command) -> Result<std::process::ExitStatus, String> {
    command
        .status()
        .map_err(|error| format!("cannot run {command:?}: {error}"))
}
