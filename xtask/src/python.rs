//! `cargo xtask report --vs-python`: runs the project's Python transcriptions of the book's
//! naive programs (`python/`) at the size of the Rust run and pairs each with its Rust
//! workload. A missing `python3`, numpy or Numba is reported, never fatal.

use std::path::Path;
use std::process::Command;

use hiperf_report::model::{RunReport, WorkloadResult};
use hiperf_report::python::{PythonComparison, PythonRun, SCHEMA, ScriptOutput};

use crate::root;

/// One Python program to run and the Rust workload it is compared with.
struct Program {
    /// The file under `python/`.
    script: &'static str,
    /// Its arguments (sizes).
    args: Vec<String>,
    /// The Rust workload's id.
    workload: &'static str,
    /// Factor from the Python size to the Rust size (1 when they match).
    scale: f64,
    /// Why the sizes differ, if they do.
    note: String,
    /// The module the program needs beyond the standard library (`numpy`, `numba`), if any.
    needs: Option<&'static str>,
}

/// The programs at a size: the Rust runner's own parameters (see each workload's `parameters`).
fn programs(quick: bool) -> Vec<Program> {
    let program = |script, args: &[&str], workload| Program {
        script,
        args: args.iter().map(|a| (*a).to_string()).collect(),
        workload,
        scale: 1.0,
        note: String::new(),
        needs: None,
    };
    if quick {
        vec![
            program("julia_pure.py", &["100", "300"], "ch02/julia/naive"),
            program("linear_search.py", &["1"], "ch03/search/linear"),
            program(
                "diffusion_python.py",
                &["64", "100"],
                "ch06/diffusion/naive",
            ),
            Program {
                needs: Some("numpy"),
                ..program(
                    "diffusion_numpy.py",
                    &["64", "100"],
                    "ch06/diffusion-numpy/roll-inplace",
                )
            },
            program("norm_python.py", &["100000"], "ch06/norm-squared/naive"),
            Program {
                needs: Some("numba"),
                ..program(
                    "julia_numba.py",
                    &["serial", "100", "300"],
                    "ch07/julia/expanded-math",
                )
            },
            Program {
                needs: Some("numba"),
                ..program(
                    "julia_numba.py",
                    &["parallel", "100", "300"],
                    "ch07/julia/rayon-dynamic",
                )
            },
            program("pi_serial.py", &["400000", "8"], "ch09/pi/serial"),
            program(
                "primes_serial.py",
                &["100000000", "100010000"],
                "ch09/primes/serial",
            ),
        ]
    } else {
        vec![
            program("julia_pure.py", &["1000", "300"], "ch02/julia/naive"),
            Program {
                scale: 100.0,
                note: "Python ran each search 10 times, not the book's 1000 (about 0.4 s \
                       instead of 40 s); its time is multiplied by 100"
                    .to_string(),
                ..program("linear_search.py", &["10"], "ch03/search/linear")
            },
            Program {
                scale: (640.0 * 640.0) / (256.0 * 256.0),
                note: "Python ran 256x256 for 500 steps (about 10 s; 640x640 takes about 64 s); \
                       its time is multiplied by the cell ratio 640²/256² = 6.25"
                    .to_string(),
                ..program(
                    "diffusion_python.py",
                    &["256", "500"],
                    "ch06/diffusion/naive",
                )
            },
            Program {
                needs: Some("numpy"),
                ..program(
                    "diffusion_numpy.py",
                    &["640", "500"],
                    "ch06/diffusion-numpy/roll-inplace",
                )
            },
            program("norm_python.py", &["1000000"], "ch06/norm-squared/naive"),
            Program {
                needs: Some("numba"),
                ..program(
                    "julia_numba.py",
                    &["serial", "1000", "300"],
                    "ch07/julia/expanded-math",
                )
            },
            Program {
                needs: Some("numba"),
                ..program(
                    "julia_numba.py",
                    &["parallel", "1000", "300"],
                    "ch07/julia/rayon-dynamic",
                )
            },
            Program {
                scale: 10.0,
                note: "Python threw 1e7 darts in 100 blocks, a tenth of the book's 1e8 (about \
                       3 s instead of 30 s); its time is multiplied by 10"
                    .to_string(),
                ..program("pi_serial.py", &["1e7", "100"], "ch09/pi/serial")
            },
            Program {
                scale: 10.0,
                note: "Python searched range B, [1e8, 1e8 + 1e5), a tenth of the book's range C \
                       with the same density of primes (about 2 s instead of 20 s); its time is \
                       multiplied by 10"
                    .to_string(),
                ..program(
                    "primes_serial.py",
                    &["100000000", "100100000"],
                    "ch09/primes/serial",
                )
            },
        ]
    }
}

/// The interpreter `--vs-python` runs.
const PYTHON: &str = "python3";

/// Runs every program whose Rust workload is in `report`, each timing its kernel `runs`
/// times in one process.
pub fn compare(report: &RunReport, quick: bool, runs: u32) -> PythonComparison {
    compare_with(PYTHON, report, quick, runs)
}

fn compare_with(python: &str, report: &RunReport, quick: bool, runs: u32) -> PythonComparison {
    let mut comparison = PythonComparison {
        schema: SCHEMA.to_string(),
        ..PythonComparison::default()
    };
    comparison.interpreter = output(Command::new(python).arg("--version"));
    if comparison.interpreter.is_none() {
        comparison.notes.push(format!(
            "{python} is not on PATH, so no Python program ran; install Python 3 \
                 (`apt-get install python3`) and rerun with --vs-python"
        ));
        return comparison;
    }
    comparison.numpy = output(Command::new(python).args([
        "-c",
        "import sys, numpy; sys.stdout.write(numpy.__version__)",
    ]));
    let folder = root().join("python");
    let mut importable = std::collections::BTreeMap::new();
    let mut skipped_module: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    let mut skipped_absent = Vec::new();
    for program in programs(quick) {
        let command_line = format!("{} {}", program.script, program.args.join(" "));
        if let Some(module) = program.needs
            && !*importable
                .entry(module)
                .or_insert_with(|| imports(python, module))
        {
            skipped_module.entry(module).or_default().push(command_line);
            continue;
        }
        // Its own workload, or, when only another ladder of its program was selected
        // (`--only ch06/diffusion` for NumPy's diffusion), that program's fastest variant.
        let Some(rust) = report
            .workloads
            .iter()
            .find(|w| w.id == program.workload)
            .or_else(|| fastest_of(report, program.workload))
        else {
            skipped_absent.push(command_line);
            continue;
        };
        eprintln!(
            "Python: {command_line} ({runs} timed call{})...",
            plural(runs)
        );
        let mut run = PythonRun {
            program: command_line,
            // The variant whose time this row holds: the program's own, or the one it stood in.
            workload: rust.id.clone(),
            seconds: None,
            runs: Vec::new(),
            result: String::new(),
            passed: false,
            message: String::new(),
            rust_seconds: rust.seconds.as_ref().map(|s| s.median),
            rust_isa: rust.isa.clone(),
            scale: program.scale,
            note: program.note,
        };
        match run_script(python, &folder, program.script, &program.args, runs) {
            Ok(measured) => {
                run.seconds = Some(measured.seconds);
                run.runs = measured.runs;
                run.result = measured.result;
                run.passed = true;
            }
            Err(message) => run.message = message,
        }
        let fastest = fastest_in_program(report, rust)
            .filter(|fastest| fastest.id != rust.id)
            .map(|fastest| PythonRun {
                workload: fastest.id.clone(),
                rust_seconds: fastest.seconds.as_ref().map(|s| s.median),
                rust_isa: fastest.isa.clone(),
                note: String::new(),
                ..run.clone()
            });
        comparison.runs.push(run);
        comparison.runs.extend(fastest);
    }
    if comparison
        .runs
        .windows(2)
        .any(|pair| pair[0].program == pair[1].program)
    {
        comparison.notes.push(
            "a program's second row compares the same Python run with the fastest Rust variant \
             of its program in this session (any of its ladders)"
                .to_string(),
        );
    }
    for (module, skipped) in skipped_module {
        comparison.notes.push(format!(
            "{module} does not import in {}, so {} did not run (`python3 -m pip install {module}` adds it)",
            comparison.interpreter.as_deref().unwrap_or(python),
            skipped.join(", ")
        ));
    }
    if !skipped_absent.is_empty() {
        comparison.notes.push(format!(
            "{} did not run: its Rust workload was not selected (--only)",
            skipped_absent.join(", ")
        ));
    }
    crate::python_memory::compare(python, &folder, report, runs, &mut comparison);
    comparison
}

/// The variant of `workload`'s program with the lowest median that passed its check: any
/// ladder of the same chapter whose name starts with the same word (`diffusion` and
/// `diffusion-numpy` are one program's two ladders).
fn fastest_in_program<'a>(
    report: &'a RunReport,
    workload: &WorkloadResult,
) -> Option<&'a WorkloadResult> {
    fastest_of(report, &workload.id)
}

/// The fastest passing variant, as [`fastest_in_program`], of the program of the workload id
/// `chNN/name/variant`, whether or not that workload is in `report`.
fn fastest_of<'a>(report: &'a RunReport, id: &str) -> Option<&'a WorkloadResult> {
    let program = |name: &str| name.split('-').next().unwrap_or_default().to_string();
    let mut parts = id.split('/');
    let chapter = parts.next()?.strip_prefix("ch")?.parse::<u8>().ok()?;
    let name = program(parts.next()?);
    report
        .workloads
        .iter()
        .filter(|w| w.chapter == chapter && program(&w.name) == name)
        .filter(|w| w.check.passed)
        .filter_map(|w| Some((w, w.seconds.as_ref()?.median)))
        .min_by(|(_, a), (_, b)| a.total_cmp(b))
        .map(|(w, _)| w)
}

/// Whether `python -c "import MODULE"` succeeds.
fn imports(python: &str, module: &str) -> bool {
    Command::new(python)
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|output| output.status.success())
}

fn plural(count: u32) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// The trimmed standard output (or, for `--version` of old Pythons, standard error) of a
/// command that succeeded.
fn output(command: &mut Command) -> Option<String> {
    let output = command.output().ok()?;
    if !output.status.success() {
        return None;
    }
    let text = if output.stdout.is_empty() {
        output.stderr
    } else {
        output.stdout
    };
    let text = String::from_utf8_lossy(&text).trim().to_string();
    (!text.is_empty()).then_some(text)
}

fn run_script(
    python: &str,
    folder: &Path,
    script: &str,
    args: &[String],
    runs: u32,
) -> Result<ScriptOutput, String> {
    run_script_as(python, folder, script, args, runs)
}

/// Runs `script` with `--repeat runs` and reads its last line of output as a `T`.
pub(crate) fn run_script_as<T: serde::de::DeserializeOwned>(
    python: &str,
    folder: &Path,
    script: &str,
    args: &[String],
    runs: u32,
) -> Result<T, String> {
    let output = Command::new(python)
        // No `__pycache__` in the source tree.
        .arg("-B")
        .arg(folder.join(script))
        .args(args)
        .args(["--repeat", &runs.to_string()])
        .current_dir(folder)
        .output()
        .map_err(|e| format!("cannot run {python}: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
        return Err(format!(
            "exited with {}: {}",
            output.status,
            last.unwrap_or("no message").trim()
        ));
    }
    let line = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .ok_or("printed nothing")?;
    serde_json::from_str(line).map_err(|e| format!("printed {line:?}, not the JSON line: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_interpreter_is_a_note_not_an_error() {
        let report = RunReport::new("quick", 1);
        let comparison = compare_with("python3-that-is-not-installed", &report, true, 1);
        assert_eq!(comparison.interpreter, None);
        assert!(comparison.runs.is_empty());
        assert_eq!(comparison.notes.len(), 1);
        assert!(
            comparison.notes[0].contains("not on PATH"),
            "{:?}",
            comparison.notes
        );
    }

    #[test]
    fn programs_whose_workload_did_not_run_are_skipped_with_a_note() {
        if output(Command::new(PYTHON).arg("--version")).is_none() {
            return;
        }
        let comparison = compare_with(PYTHON, &RunReport::new("quick", 1), true, 1);
        assert!(comparison.runs.is_empty());
        assert!(
            comparison.notes.iter().any(|note| note.contains("julia_pure.py 100 300")
                && note.contains("not selected")),
            "{:?}",
            comparison.notes
        );
    }

    /// A chapter 6 workload `name/variant` with one timed run of `median` seconds.
    fn variant(name: &str, variant: &str, median: f64, passed: bool) -> WorkloadResult {
        use hiperf_report::model::{Check, Stats};

        WorkloadResult {
            id: format!("ch06/{name}/{variant}"),
            chapter: 6,
            name: name.to_string(),
            variant: variant.to_string(),
            rank: 0,
            description: String::new(),
            parameters: String::new(),
            result: String::new(),
            check: if passed {
                Check::passed()
            } else {
                Check::failed("")
            },
            seconds: Stats::of(vec![median]),
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

    #[test]
    fn the_fastest_variant_of_a_ladder_is_the_lowest_median_that_passed() {
        let mut report = RunReport::new("book", 1);
        report.workloads = vec![
            variant("diffusion", "naive", 1.0, true),
            variant("diffusion", "wrong", 0.001, false),
            variant("diffusion", "fast", 0.05, true),
            variant("diffusion-numpy", "roll", 0.02, true),
            variant("other", "faster", 0.01, true),
        ];
        let fastest = fastest_in_program(&report, &report.workloads[0]).map(|w| w.id.as_str());
        assert_eq!(fastest, Some("ch06/diffusion-numpy/roll"));
        // NumPy's program, attached to a variant that was not selected, meets the fastest of
        // the program's ladders that were.
        report.workloads.retain(|w| w.name != "diffusion-numpy");
        let fastest =
            fastest_of(&report, "ch06/diffusion-numpy/roll-inplace").map(|w| w.id.as_str());
        assert_eq!(fastest, Some("ch06/diffusion/fast"));
        assert_eq!(fastest_of(&report, "ch07/julia/simd"), None);
    }

    /// NumPy's diffusion, when its own ladder was not selected, is compared with the fastest
    /// variant of the other ladder, and its row names that variant: it named NumPy's own
    /// workload beside the other variant's time.
    #[test]
    fn a_program_compared_with_another_ladder_names_the_variant_it_was_compared_with() {
        if !imports(PYTHON, "numpy") {
            eprintln!("skipped: numpy does not import in {PYTHON}");
            return;
        }
        let mut report = RunReport::new("quick", 1);
        report.workloads = vec![
            variant("diffusion", "naive", 1.0, true),
            variant("diffusion", "fast", 0.05, true),
        ];
        let comparison = compare_with(PYTHON, &report, true, 1);
        let numpy: Vec<_> = comparison
            .runs
            .iter()
            .filter(|run| run.program.starts_with("diffusion_numpy.py"))
            .collect();
        assert_eq!(numpy.len(), 1, "{:?}", comparison.runs);
        assert_eq!(numpy[0].workload, "ch06/diffusion/fast");
        assert_eq!(numpy[0].rust_seconds, Some(0.05));
    }

    #[test]
    fn every_program_is_a_file_and_names_a_workload_id() {
        for quick in [true, false] {
            for program in programs(quick) {
                assert!(
                    root().join("python").join(program.script).is_file(),
                    "python/{} is missing",
                    program.script
                );
                assert_eq!(
                    program.workload.split('/').count(),
                    3,
                    "{}",
                    program.workload
                );
                assert!(program.workload.starts_with("ch"), "{}", program.workload);
                assert!(program.scale >= 1.0);
                assert_eq!(
                    program.scale == 1.0,
                    program.note.is_empty(),
                    "a scaled time says why"
                );
            }
        }
    }

    /// The quick programs pass their own checks (the book's sums and masses); skipped where
    /// there is no `python3`, and those that need numpy or Numba where it does not import.
    #[test]
    fn quick_programs_pass_their_checks() {
        if output(Command::new(PYTHON).arg("--version")).is_none() {
            eprintln!("skipped: no python3 on PATH");
            return;
        }
        let folder = root().join("python");
        for program in programs(true) {
            if program.needs.is_some_and(|module| !imports(PYTHON, module)) {
                eprintln!(
                    "skipped {}: {:?} does not import",
                    program.script, program.needs
                );
                continue;
            }
            let measured = run_script(PYTHON, &folder, program.script, &program.args, 1)
                .unwrap_or_else(|message| panic!("{}: {message}", program.script));
            assert!(measured.seconds > 0.0 && measured.runs.len() == 1);
            assert!(!measured.result.is_empty());
        }
    }

    #[test]
    fn a_failing_program_is_an_error_with_its_last_message() {
        if output(Command::new(PYTHON).arg("--version")).is_none() {
            return;
        }
        let error = run_script(
            PYTHON,
            &root().join("python"),
            "julia_pure.py",
            &["x".into()],
            1,
        )
        .expect_err("a wrong usage fails");
        assert!(error.contains("usage"), "{error}");
    }
}
