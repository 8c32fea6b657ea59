//! Reads the bench's criterion results and writes `peers.json` and `peers.md`.
//!
//! ```text
//! cargo run --release --manifest-path bench/peers/Cargo.toml --bin peers-table -- --out target/hiperf
//! ```

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use hiperf_bench_peers::estimates::{self, Found};
use hiperf_bench_peers::table::{self, Measurement};
use hiperf_bench_peers::{catalogue, lockfile, render, run};

const PACKAGE_DIR: &str = env!("CARGO_MANIFEST_DIR");

const USAGE: &str = "\
Builds the hiperf-vs-peers table from the last `cargo bench` run of bench/peers.

usage: peers-table [--out DIR] [--criterion DIR]
  --out DIR        directory for peers.json and peers.md (default: the repository's target/hiperf)
  --criterion DIR  criterion's output directory (default: bench/peers/target/criterion)
  --help           print this";

/// The command line.
#[derive(Debug, Default)]
struct Args {
    out: Option<PathBuf>,
    criterion: Option<PathBuf>,
}

impl Args {
    /// Parses the flags; `Err` carries the message for a wrong command line.
    fn parse(arguments: impl IntoIterator<Item = String>) -> Result<Option<Args>, String> {
        let mut args = Args::default();
        let mut arguments = arguments.into_iter();
        while let Some(argument) = arguments.next() {
            let (flag, inline) = match argument.split_once('=') {
                Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
                None => (argument.clone(), None),
            };
            let slot = match flag.as_str() {
                "--help" | "-h" => return Ok(None),
                "--out" => &mut args.out,
                "--criterion" => &mut args.criterion,
                _ => {
                    return Err(format!(
                        "unknown argument `{argument}`; expected --out DIR or --criterion DIR"
                    ));
                }
            };
            let value = inline
                .or_else(|| arguments.next())
                .ok_or_else(|| format!("`{flag}` needs a directory"))?;
            *slot = Some(PathBuf::from(value));
        }
        Ok(Some(args))
    }
}

fn main() -> ExitCode {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("peers-table: {error}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("peers-table: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), String> {
    let package_dir = Path::new(PACKAGE_DIR);
    let criterion_dir = args
        .criterion
        .clone()
        .unwrap_or_else(|| run::criterion_dir(package_dir));
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| package_dir.join("../../target/hiperf"));
    let info = run::RunInfo::read(&criterion_dir)?;

    let mut measurements = BTreeMap::new();
    for case in catalogue::ALL {
        let key = format!("{}/{}", case.group, case.id);
        let measurement = if !info.cases.contains(&key) {
            Measurement::NotBuilt
        } else {
            match estimates::read(&criterion_dir, case.group, case.id, info.started())? {
                Found::Fresh(median) => Measurement::Measured(median),
                Found::Missing => Measurement::NotRun,
                Found::Stale => Measurement::Stale,
            }
        };
        measurements.insert(key, measurement);
    }

    let lock = fs::read_to_string(package_dir.join("Cargo.lock")).unwrap_or_default();
    let mut versions = lockfile::versions(&lock, catalogue::VERSIONED);
    if let (Some(version), Some(revision)) =
        (versions.get_mut("hiperf"), hiperf_revision(package_dir))
    {
        version.push_str(&format!(" (git {revision})"));
    }
    let report = table::build(info, &measurements, rustc_version(), versions);

    let markdown = render::markdown(&report);
    let json = serde_json::to_string_pretty(&report).map_err(|error| error.to_string())?;
    fs::create_dir_all(&out_dir)
        .map_err(|error| format!("cannot create {}: {error}", out_dir.display()))?;
    write_atomically(&out_dir.join("peers.json"), &json)?;
    write_atomically(&out_dir.join("peers.md"), &markdown)?;
    println!("{markdown}");
    println!(
        "written: {} and peers.md",
        out_dir.join("peers.json").display()
    );
    Ok(())
}

fn rustc_version() -> String {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .map_or_else(
            || "rustc (unknown version)".to_owned(),
            |version| version.trim().to_owned(),
        )
}

/// The repository's commit, with `+ uncommitted changes` when hiperf's sources differ from it
/// (the bench builds the working tree).
fn hiperf_revision(package_dir: &Path) -> Option<String> {
    let repository = package_dir.join("../..");
    let git = |arguments: &[&str]| -> Option<String> {
        let output = Command::new("git")
            .arg("-C")
            .arg(&repository)
            .args(arguments)
            .output()
            .ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
    };
    let commit = git(&["rev-parse", "--short", "HEAD"])?;
    let changes = git(&[
        "status",
        "--porcelain",
        "--",
        "Cargo.toml",
        "src",
        "macros",
        "crates/runtime",
    ])?;
    Some(if changes.is_empty() {
        commit
    } else {
        format!("{commit} + uncommitted changes")
    })
}

fn write_atomically(path: &Path, text: &str) -> Result<(), String> {
    let temporary = path.with_extension("tmp");
    fs::write(&temporary, text)
        .map_err(|error| format!("cannot write {}: {error}", temporary.display()))?;
    fs::rename(&temporary, path)
        .map_err(|error| format!("cannot rename to {}: {error}", path.display()))
}
