//! `hiperf-runner`: runs the book's workloads, times them, checks them against the book's
//! values, and writes the report data as JSON (schema `hiperf.report/1`).
//!
//! Built twice by `cargo xtask report`: plain, for the timings, and with the `profile` feature,
//! for the line tables (the profiled build's timings show the profiler's overhead). The plain
//! build runs each workload in a process of its own (`--in-process` runs them all in one).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use hiperf_report::model::{Baseline, Check, Figure, Memory, RunReport, Stats, WorkloadResult};
use hiperf_runtime::alloc::{Sampler, process_heap};
use hiperf_workloads::{Run, Size, Workload, workloads};
use indicatif::{ProgressBar, ProgressStyle};

/// Every allocation is counted: the summary shows each workload's peak heap.
#[global_allocator]
static ALLOC: hiperf_runtime::alloc::Alloc = hiperf_runtime::alloc::Alloc::system();

#[derive(Parser)]
#[command(
    name = "hiperf-runner",
    about = "Run the book's workloads, timed and checked"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the workloads (`chNN/name/variant`).
    List,
    /// Run workloads and write the report data.
    Run(RunArgs),
}

#[derive(clap::Args)]
struct RunArgs {
    /// Book size, or small sizes for a quick check.
    #[arg(long, value_enum, default_value_t = SizeArg::Book)]
    size: SizeArg,
    /// Timed runs per workload (the report gives their median, min and max).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    /// Only the workloads matching NAME: a chapter (`ch02`), a program (`julia`), `name/variant` or a full id.
    #[arg(long = "only", value_name = "NAME")]
    only: Vec<String>,
    /// Where to write the JSON report data.
    #[arg(long, value_name = "PATH")]
    json: PathBuf,
    /// In the profiled build: where to write the Chrome trace of the calls (Perfetto).
    #[arg(long, value_name = "PATH")]
    trace: Option<PathBuf>,
    /// In the profiled build: where to write the line profile for pprof (gzip-compressed
    /// profile.proto: `go tool pprof -top -lines PATH`).
    #[arg(long, value_name = "PATH")]
    pprof: Option<PathBuf>,
    /// Run every workload in this process. Without it, the plain build runs each workload in
    /// a process of its own, as the book runs each program, so that no workload inherits the
    /// heap another left (the profiled build always runs in one process, to gather its line
    /// tables).
    #[arg(long)]
    in_process: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum SizeArg {
    Quick,
    Book,
}

fn main() -> ExitCode {
    // Started as a worker process of a workload (chapter 9): do that job and nothing else.
    if let Some(code) = hiperf_workloads::worker::serve() {
        return code;
    }
    // The runner writes its own report data from `take`: no report at exit or on signals.
    hiperf_runtime::exit::report_at_exit(false);
    let cli = Cli::parse();
    match cli.command {
        Command::List => {
            for workload in workloads() {
                println!("{}", workload.id());
            }
            ExitCode::SUCCESS
        }
        Command::Run(args) => run(&args),
    }
}

/// Whether `pattern` names `workload`: its chapter, program, `program/variant`,
/// `chapter/program` or full id.
fn matches(pattern: &str, workload: &Workload) -> bool {
    let chapter = format!("ch{:02}", workload.chapter);
    let pattern = pattern.trim_matches('/');
    [
        workload.id(),
        chapter.clone(),
        workload.name.to_string(),
        format!("{}/{}", workload.name, workload.variant),
        format!("{chapter}/{}", workload.name),
    ]
    .iter()
    .any(|name| name == pattern)
}

fn select(only: &[String]) -> Result<Vec<&'static Workload>, String> {
    let all = workloads();
    if only.is_empty() {
        return Ok(all);
    }
    if let Some(unknown) = only
        .iter()
        .find(|pattern| !all.iter().any(|w| matches(pattern, w)))
    {
        let mut valid: Vec<String> = all.iter().map(|w| w.id()).collect();
        let mut programs: Vec<String> = all.iter().map(|w| w.name.to_string()).collect();
        programs.dedup();
        valid.splice(0..0, programs);
        return Err(format!(
            "no workload matches `{unknown}`; valid names:\n  {}",
            valid.join("\n  ")
        ));
    }
    Ok(all
        .into_iter()
        .filter(|w| only.iter().any(|pattern| matches(pattern, w)))
        .collect())
}

fn run(args: &RunArgs) -> ExitCode {
    let selected = match select(&args.only) {
        Ok(selected) => selected,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let (size, size_name) = match args.size {
        SizeArg::Quick => (Size::Quick, "quick"),
        SizeArg::Book => (Size::Book, "book"),
    };
    let mut report = RunReport::new(size_name, args.runs);
    if args.trace.is_some() {
        hiperf_runtime::calls::log_events(true);
    }
    let progress = if std::env::var_os(QUIET).is_some() {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(selected.len() as u64 * u64::from(args.runs))
    };
    progress.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg} ({elapsed})")
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    progress.set_prefix(if hiperf::ENABLED {
        "profiling"
    } else {
        "timing"
    });
    let isolated = !hiperf::ENABLED && !args.in_process && selected.len() > 1;
    for workload in selected {
        progress.set_message(workload.id());
        let result = if isolated {
            measure_in_child(workload, size_name, args, &progress)
        } else {
            measure(workload, size, args.runs, &progress)
        };
        report.workloads.push(result);
    }
    progress.finish_and_clear();
    if hiperf::ENABLED {
        let profile =
            hiperf_runtime::snapshot::take(hiperf_runtime::snapshot::SnapshotOptions::from_env());
        if let Some(path) = &args.trace {
            let trace = hiperf_runtime::report::render_chrome_trace(
                &profile,
                &hiperf_runtime::snapshot::timeline(),
            );
            if let Err(error) = hiperf_runtime::output::write_atomically(path, trace.as_bytes()) {
                eprintln!("error: cannot write {}: {error}", path.display());
                return ExitCode::FAILURE;
            }
        }
        #[cfg(feature = "profile")]
        if let Some(path) = &args.pprof {
            let pprof = hiperf::report::render_pprof(&profile);
            if let Err(error) = hiperf::report_files::write_atomically(path, &pprof) {
                eprintln!("error: cannot write {}: {error}", path.display());
                return ExitCode::FAILURE;
            }
        }
        report.profile = Some(profile);
    }
    let json = match serde_json::to_vec_pretty(&report) {
        Ok(json) => json,
        Err(error) => {
            eprintln!("error: cannot encode the report: {error}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(error) = hiperf_runtime::output::write_atomically(&args.json, &json) {
        eprintln!("error: cannot write {}: {error}", args.json.display());
        return ExitCode::FAILURE;
    }
    if report.all_passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Runs `workload` in a new process of this program (`run --in-process --only ID`) and reads
/// its result back.
///
/// glibc's `malloc` raises its thresholds for returning memory to the system after the
/// process frees large blocks, so a workload run after others reuses their freed blocks where
/// it would, alone, map fresh pages: `ch06/diffusion-numpy/roll` took 393,436 minor page
/// faults a run alone, as NumPy's program takes 403k in the book, and none after the other
/// workloads in one process (2026-11-26).
fn measure_in_child(
    workload: &Workload,
    size_name: &str,
    args: &RunArgs,
    progress: &ProgressBar,
) -> WorkloadResult {
    let id = workload.id();
    let json = std::env::temp_dir().join(format!(
        "hiperf-runner-{}-{}.json",
        std::process::id(),
        id.replace('/', "-")
    ));
    let child = std::env::current_exe().and_then(|program| {
        std::process::Command::new(program)
            .args(["run", "--in-process", "--size", size_name, "--runs"])
            .arg(args.runs.to_string())
            .args(["--only", &id, "--json"])
            .arg(&json)
            .env(QUIET, "1")
            .stdout(std::process::Stdio::null())
            .status()
    });
    let result = std::fs::read(&json)
        .map_err(|error| format!("cannot read {}: {error}", json.display()))
        .and_then(|text| {
            serde_json::from_slice::<RunReport>(&text).map_err(|error| error.to_string())
        })
        .and_then(|mut report| {
            report
                .workloads
                .pop()
                .ok_or_else(|| "the process reported no workload".to_string())
        });
    let _ = std::fs::remove_file(&json);
    progress.inc(u64::from(args.runs));
    let result = result.unwrap_or_else(|message| {
        let message = match &child {
            Ok(status) => format!("its process ({status}) left no result: {message}"),
            Err(error) => format!("cannot start its process: {error}"),
        };
        unmeasured(workload, Check::failed(message))
    });
    print_status(progress, &result.check, &id);
    result
}

/// The progress line of a finished workload.
fn print_status(progress: &ProgressBar, check: &Check, id: &str) {
    let status = if check.skipped {
        "SKIPPED"
    } else if check.passed {
        "ok     "
    } else {
        "FAILED "
    };
    progress.println(format!("  {status} {id}"));
    if check.skipped {
        progress.println(format!("          {}", check.message));
    }
}

/// A workload's result with `check` and nothing measured: the fields the runs fill are empty.
fn unmeasured(workload: &Workload, check: Check) -> WorkloadResult {
    WorkloadResult {
        id: workload.id(),
        chapter: workload.chapter,
        name: workload.name.to_string(),
        variant: workload.variant.to_string(),
        rank: workload.rank,
        description: workload.description.to_string(),
        parameters: String::new(),
        result: String::new(),
        check,
        seconds: None,
        profiled_seconds: None,
        memory: None,
        page_faults: None,
        isa: None,
        python: None,
        charts: Vec::new(),
        notes: Vec::new(),
        figures: Vec::new(),
    }
}

/// Set in the environment of a workload's own process: it draws no progress bar.
const QUIET: &str = "HIPERF_RUNNER_CHILD";

fn measure(workload: &Workload, size: Size, runs: u32, progress: &ProgressBar) -> WorkloadResult {
    let mut seconds = Vec::new();
    let mut page_faults = Vec::new();
    let mut outcome = Err(String::new());
    let mut memory = None;
    let mut skipped = None;
    let mut charts = Vec::new();
    let mut notes = Vec::new();
    let mut figures: Vec<hiperf_workloads::Figure> = Vec::new();
    let mut isa = None;
    for run in 0..runs {
        let mut context = Run::new(size);
        outcome = if run == 0 {
            let (outcome, figures) = measure_memory(|| (workload.run)(&mut context));
            memory = Some(figures);
            outcome
        } else {
            (workload.run)(&mut context)
        };
        progress.inc(1);
        skipped = context.skipped().map(str::to_string);
        if let Some(elapsed) = context.elapsed() {
            seconds.push(elapsed.as_secs_f64());
        }
        page_faults.extend(context.page_faults());
        // The last run's charts: each run draws the same chart of its own measurements.
        charts = context.charts().to_vec();
        notes = context.notes().to_vec();
        figures.extend_from_slice(context.figures());
        isa = isa.or(context.isa());
        if outcome.is_err() {
            progress.inc(u64::from(runs) - seconds.len() as u64);
            break;
        }
    }
    let (parameters, result, check) = match outcome {
        Ok(outcome) => (outcome.parameters, outcome.result, Check::passed()),
        Err(message) => match skipped {
            Some(reason) => (String::new(), String::new(), Check::skipped(reason)),
            None => (String::new(), String::new(), Check::failed(message)),
        },
    };
    print_status(progress, &check, &workload.id());
    WorkloadResult {
        parameters,
        result,
        seconds: Stats::of(seconds),
        memory,
        page_faults: median(page_faults),
        charts,
        notes,
        figures: median_figures(&figures),
        isa: isa.map(str::to_string),
        python: workload
            .python
            .filter(|_| size == Size::Book)
            .map(|b| Baseline {
                seconds: b.seconds,
                source: b.source.to_string(),
            }),
        ..unmeasured(workload, check)
    }
}

/// The middle value (the lower of the two middle ones for an even count).
fn median(mut values: Vec<u64>) -> Option<u64> {
    values.sort_unstable();
    values.get(values.len().saturating_sub(1) / 2).copied()
}

/// One figure per name, in the order the names first appear: the median of the runs' values
/// (the mean of the two middle ones for an even count).
fn median_figures(figures: &[hiperf_workloads::Figure]) -> Vec<Figure> {
    let mut names: Vec<&str> = Vec::new();
    for figure in figures {
        if !names.contains(&figure.name) {
            names.push(figure.name);
        }
    }
    names
        .into_iter()
        .filter_map(|name| {
            let of_name: Vec<&hiperf_workloads::Figure> =
                figures.iter().filter(|f| f.name == name).collect();
            let stats = Stats::of(of_name.iter().map(|f| f.value).collect())?;
            Some(Figure {
                name: name.to_string(),
                value: stats.median,
                unit: of_name[0].unit.name().to_string(),
            })
        })
        .collect()
}

/// Runs `f` and measures the heap: exact figures for this thread, the process's series
/// sampled every 10 ms for the others.
fn measure_memory<T>(f: impl FnOnce() -> T) -> (T, Memory) {
    // The sampler's own buffer is allocated at its start, before the baseline, and never
    // grows: it cancels out of every difference below.
    let sampler = Sampler::start(std::time::Duration::from_millis(10));
    let before = process_heap();
    let (value, figures) = hiperf_runtime::memit::measure(f);
    let after = process_heap();
    let series = sampler.stop();
    let sampled_peak = series
        .iter()
        .map(|s| s.heap_bytes - before.live)
        .max()
        .unwrap_or(0);
    let memory = Memory {
        peak_bytes: figures.increment_bytes.max(sampled_peak).max(0) as u64,
        increment_bytes: after.live - before.live,
        allocations: after.allocations - before.allocations,
        series,
    };
    (value, memory)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hiperf_workloads::Unit;

    #[test]
    fn figures_are_the_median_of_the_runs_in_the_order_first_recorded() {
        let figure = |name, value, unit| hiperf_workloads::Figure { name, value, unit };
        let runs = [
            figure("held bytes", 100.0, Unit::Bytes),
            figure("lookups", 3.0, Unit::Seconds),
            figure("lookups", 1.0, Unit::Seconds),
            figure("held bytes", 100.0, Unit::Bytes),
            figure("lookups", 2.0, Unit::Seconds),
        ];
        let figures = median_figures(&runs);
        let summary: Vec<(&str, f64, &str)> = figures
            .iter()
            .map(|f| (f.name.as_str(), f.value, f.unit.as_str()))
            .collect();
        assert_eq!(
            summary,
            [("held bytes", 100.0, "bytes"), ("lookups", 2.0, "seconds")]
        );
        assert!(median_figures(&[]).is_empty());
    }
}
