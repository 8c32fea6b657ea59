//! `cargo xtask report`.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{SystemTime, UNIX_EPOCH};

use hiperf_report::model::RunReport;
use hiperf_report::python::PythonComparison;
use hiperf_report::supplement::{Supplement, utc_timestamp};

use hiperf_runtime::report::SortKey;

use crate::{cargo, root, status};

use crate::python;

#[derive(clap::Args)]
pub struct Args {
    /// Small sizes (seconds in all), for CI and a first look.
    #[arg(long)]
    quick: bool,
    /// Only the workloads matching NAME: a chapter (`ch02`), a program (`julia`), `name/variant` or a full id.
    #[arg(long = "only", value_name = "NAME")]
    only: Vec<String>,
    /// Where to write the reports.
    #[arg(long, value_name = "DIR", default_value = "target/hiperf")]
    out: PathBuf,
    /// Timed runs per workload.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    /// Skip the profiled build: timings only, no line tables.
    #[arg(long)]
    no_profile: bool,
    /// Also run the Python transcriptions of the book's naive programs (`python/`, needs
    /// `python3`; numpy optional) and report the Rust/Python ratios.
    #[arg(long)]
    vs_python: bool,
    /// Order of the call table: cumulative, tottime, ncalls or name.
    #[arg(long, value_name = "KEY", default_value = "cumulative", value_parser = parse_sort)]
    sort: SortKey,
    /// Compare with an earlier run's report.json: per workload, function and line, by the
    /// rules of hiperf-compare.toml; exits 1 when a rule is broken.
    #[arg(long, value_name = "BASE.json")]
    compare: Option<PathBuf>,
    /// How the profiled run times lines: exact (a clock read per line) or sampled (hits and
    /// calls exact, times from a sampler thread; `HIPERF_MODE`).
    #[arg(long, value_name = "MODE", default_value = "exact", value_parser = ["exact", "sampled"])]
    mode: String,
}

fn parse_sort(text: &str) -> Result<SortKey, String> {
    text.parse()
}

/// `out` as given, or below the repository's root when relative.
pub(crate) fn out_dir(out: &Path) -> PathBuf {
    if out.is_absolute() {
        out.to_path_buf()
    } else {
        root().join(out)
    }
}

pub fn run(args: &Args) -> Result<ExitCode, String> {
    let out = out_dir(&args.out);
    let bin = out.join("bin");
    std::fs::create_dir_all(&bin).map_err(|e| format!("cannot create {}: {e}", bin.display()))?;
    let timing_runner = build_runner(&bin, false)?;
    let profiled_runner = if args.no_profile {
        None
    } else {
        Some(build_runner(&bin, true)?)
    };

    eprintln!("Timing the workloads ({} runs each)...", args.runs);
    let timing_json = out.join("timing.json");
    let timing = match run_runner(&timing_runner, args, args.runs, &timing_json, None)? {
        Outcome::Ran(report) => report,
        Outcome::BadName => return Ok(ExitCode::from(2)),
    };
    let mut report = *timing;
    if let Some(runner) = &profiled_runner {
        eprintln!(
            "Profiling the workloads (one run each, line tables on, {} mode)...",
            args.mode
        );
        let profiled_json = out.join("profiled.json");
        let outputs = ProfiledOutputs {
            trace: out.join("trace.json"),
            pprof: out.join("profile.pb.gz"),
        };
        let Outcome::Ran(profiled) = run_runner(runner, args, 1, &profiled_json, Some(&outputs))?
        else {
            return Ok(ExitCode::from(2));
        };
        merge(&mut report, *profiled);
    }

    let python = args.vs_python.then(|| {
        eprintln!("Running the Python transcriptions (--vs-python)...");
        python::compare(&report, args.quick, args.runs)
    });
    let mut text = hiperf_report::text::render(&report, args.sort);
    if let Some(python) = &python {
        text.push('\n');
        text.push_str(&hiperf_report::python::render_text(python));
    }
    print!("{text}");
    let supplement = Supplement {
        generated: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .ok()
            .map(|since| utc_timestamp(since.as_secs())),
        python,
    };
    let json =
        serde_json::to_vec_pretty(&report).map_err(|e| format!("cannot encode the report: {e}"))?;
    write(&out.join("report.txt"), text.as_bytes())?;
    write(&out.join("report.json"), &json)?;
    write(
        &out.join("report.md"),
        hiperf_report::markdown::render_with(&report, &supplement).as_bytes(),
    )?;
    write(
        &out.join("report.html"),
        hiperf_report::html::render_with(&report, &supplement).as_bytes(),
    )?;
    let mut written = String::from("report.{txt,json,md,html}");
    if let Some(profile) = &report.profile {
        let folded = hiperf_runtime::report::render_folded(profile);
        write(&out.join("folded.txt"), folded.as_bytes())?;
        written.push_str(", folded.txt, trace.json, profile.pb.gz");
        // The flame graph is an extra: the reports above are written whatever happens to it.
        match crate::flame::render(&folded, "hiperf: the profiled workloads") {
            Ok(Some(svg)) => {
                write(&out.join("flame.svg"), svg.as_bytes())?;
                written.push_str(", flame.svg");
            }
            Ok(None) => {}
            Err(message) => eprintln!("warning: {message}"),
        }
    }
    if let Some(python) = &supplement.python {
        let json = serde_json::to_vec_pretty(python)
            .map_err(|e| format!("cannot encode the Python comparison: {e}"))?;
        write(&out.join("vs-python.json"), &json)?;
        written.push_str(", vs-python.json");
    } else {
        // A comparison left by an earlier run would be read as belonging to this one.
        let _ = std::fs::remove_file(out.join("vs-python.json"));
    }
    eprintln!("\nWrote {written} in {}", out.display());
    if let Some(python) = &supplement.python {
        warn_python_failures(python);
    }
    let regressed = match &args.compare {
        Some(base) => {
            println!();
            let (rules, source) = crate::compare::default_rules()?;
            crate::compare::compare(base, &out.join("report.json"), &rules, &source)?
        }
        None => false,
    };
    if report.all_passed() && !regressed {
        Ok(ExitCode::SUCCESS)
    } else if report.all_passed() {
        eprintln!(
            "Something got worse than in {} (see above).",
            args.compare.as_deref().unwrap_or(Path::new("")).display()
        );
        Ok(ExitCode::FAILURE)
    } else {
        eprintln!(
            "Some checks failed (see above); rerun one with `cargo xtask report --only <id>`."
        );
        Ok(ExitCode::FAILURE)
    }
}

/// Builds the runner in release, plain or profiled, and copies it to `bin` (the two builds
/// share `target/release`, so each is copied out before the other replaces it).
pub(crate) fn build_runner(bin: &Path, profiled: bool) -> Result<PathBuf, String> {
    let mut command = cargo();
    command.args(["build", "--release", "--package", "hiperf-runner"]);
    if profiled {
        command.args(["--features", "profile"]);
    }
    eprintln!(
        "Building the {} runner...",
        if profiled { "profiled" } else { "timing" }
    );
    if !status(&mut command)?.success() {
        return Err(
            "the runner did not build; run `cargo build --release -p hiperf-runner` to see why"
                .into(),
        );
    }
    let built = root()
        .join("target/release")
        .join(format!("hiperf-runner{}", std::env::consts::EXE_SUFFIX));
    let copy = bin.join(format!(
        "hiperf-runner-{}{}",
        if profiled { "profiled" } else { "timing" },
        std::env::consts::EXE_SUFFIX
    ));
    std::fs::copy(&built, &copy)
        .map_err(|e| format!("cannot copy {} to {}: {e}", built.display(), copy.display()))?;
    Ok(copy)
}

/// The files only the profiled runner writes.
struct ProfiledOutputs {
    trace: PathBuf,
    pprof: PathBuf,
}

enum Outcome {
    Ran(Box<RunReport>),
    BadName,
}

fn run_runner(
    runner: &Path,
    args: &Args,
    runs: u32,
    json: &Path,
    profiled: Option<&ProfiledOutputs>,
) -> Result<Outcome, String> {
    let mut command = Command::new(runner);
    if profiled.is_some() {
        command.env("HIPERF_MODE", &args.mode);
    }
    command.args([
        "run",
        "--size",
        if args.quick { "quick" } else { "book" },
        "--runs",
        &runs.to_string(),
    ]);
    for name in &args.only {
        command.args(["--only", name]);
    }
    command.arg("--json").arg(json);
    if let Some(outputs) = profiled {
        command.arg("--trace").arg(&outputs.trace);
        command.arg("--pprof").arg(&outputs.pprof);
    }
    let exit = status(&mut command)?;
    if exit.code() == Some(2) {
        return Ok(Outcome::BadName);
    }
    let text = std::fs::read(json).map_err(|e| {
        format!(
            "the runner ({}) wrote no report ({e}); it exited with {exit}",
            runner.display()
        )
    })?;
    let report: RunReport = serde_json::from_slice(&text)
        .map_err(|e| format!("cannot read {}: {e}", json.display()))?;
    Ok(Outcome::Ran(Box::new(report)))
}

/// Takes the profiled run's line tables and timings (the profiler's overhead) into `report`.
/// A check that failed in either run counts as failed.
fn merge(report: &mut RunReport, profiled: RunReport) {
    for workload in &mut report.workloads {
        let Some(other) = profiled.workloads.iter().find(|w| w.id == workload.id) else {
            continue;
        };
        workload.profiled_seconds = other.seconds.as_ref().map(|s| s.median);
        if workload.check.passed && !other.check.passed {
            workload.check = other.check.clone();
            workload
                .check
                .message
                .insert_str(0, "in the profiled build: ");
        }
    }
    report.profile = profiled.profile;
}

/// A failed Python check means a transcription under `python/` is wrong, not the Rust: it is
/// reported, and the exit code stays the Rust checks'.
fn warn_python_failures(python: &PythonComparison) {
    for run in python.runs.iter().filter(|run| !run.passed) {
        eprintln!(
            "warning: python/{} failed: {}; run `python3 python/{}` to see why",
            run.program, run.message, run.program
        );
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    std::fs::write(&temporary, bytes)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
