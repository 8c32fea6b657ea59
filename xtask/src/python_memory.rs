//! `--vs-python` for chapter 11: the word list in Python's containers (`text_containers.py`),
//! the heap each holds measured with `tracemalloc`, against the Rust containers' heap from the
//! counting allocator, in the same session.

use std::path::{Path, PathBuf};

use hiperf_report::figures::containers;
use hiperf_report::model::RunReport;
use hiperf_report::python::{MemoryRun, PythonComparison};
use serde::Deserialize;

/// The program, its containers and the Rust variant each is compared with.
const SCRIPT: &str = "text_containers.py";
const CONTAINERS: [(&str, &str); 4] = [
    ("list", "ch11/text-containers/vec-linear"),
    ("list_bisect", "ch11/text-containers/sorted-vec"),
    ("set", "ch11/text-containers/hash-set"),
    ("dict", "ch11/text-containers/hash-map"),
];

/// The word list the Rust runner reads: `$HIPERF_BOOK_DATA/...`, else the shared book data
/// beside the workspace.
fn word_list() -> PathBuf {
    const FILE: &str = "bigger_words_from_mword10.txt";
    std::env::var_os("HIPERF_BOOK_DATA").map_or_else(
        || crate::root().join("../shared/book/data").join(FILE),
        |folder| PathBuf::from(folder).join(FILE),
    )
}

/// The JSON line `text_containers.py` prints.
#[derive(Deserialize)]
struct ContainerOutput {
    seconds: f64,
    result: String,
    bytes: f64,
    lookup_seconds: f64,
}

/// Runs each container whose Rust variant is in `report` and adds the rows (or a note saying
/// why none ran) to `comparison`.
pub fn compare(
    python: &str,
    folder: &Path,
    report: &RunReport,
    runs: u32,
    comparison: &mut PythonComparison,
) {
    let selected: Vec<_> = CONTAINERS
        .iter()
        .filter_map(|(container, id)| {
            Some((*container, report.workloads.iter().find(|w| w.id == *id)?))
        })
        .collect();
    if selected.is_empty() {
        return;
    }
    let words = word_list();
    if !words.is_file() {
        comparison.notes.push(format!(
            "{SCRIPT} did not run: the word list {} is missing",
            words.display()
        ));
        return;
    }
    for (container, rust) in selected {
        let program = format!("{SCRIPT} {container}");
        eprintln!(
            "Python: {program} ({runs} timed build{})...",
            if runs == 1 { "" } else { "s" }
        );
        let args = [container.to_string(), words.display().to_string()];
        let measured =
            crate::python::run_script_as::<ContainerOutput>(python, folder, SCRIPT, &args, runs);
        let figure = |name: &str| rust.figure(name).map(|f| f.value);
        let mut row = MemoryRun {
            program,
            workload: rust.id.clone(),
            python_bytes: None,
            rust_bytes: figure(containers::HELD),
            python_seconds: None,
            rust_seconds: rust.seconds.as_ref().map(|s| s.median),
            python_lookup_seconds: None,
            rust_lookup_seconds: figure(containers::LOOKUPS),
            message: String::new(),
            passed: false,
        };
        match measured {
            Ok(output) => {
                row.python_bytes = Some(output.bytes);
                row.python_seconds = Some(output.seconds);
                row.python_lookup_seconds = Some(output.lookup_seconds);
                row.message = output.result;
                row.passed = true;
            }
            Err(message) => row.message = message,
        }
        comparison.memory.push(row);
    }
    comparison.notes.push(
        "text_containers.py: the heap is tracemalloc's traced size after the build less before \
         it (the word objects included, as the Rust containers' own strings are); Python's \
         lookups look up \"Zwiebel\" (absent; the list 100 times, scaled to 100,000), Rust's \
         cycle 1000 seeded probes, so the lookup columns are each language's figure, not a \
         ratio"
            .to_string(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every container passes its checks and reports a heap; skipped without `python3` or the
    /// word list.
    #[test]
    fn every_container_passes_its_checks() {
        if !word_list().is_file()
            || std::process::Command::new("python3")
                .arg("--version")
                .output()
                .is_err()
        {
            eprintln!("skipped: no python3 or no word list");
            return;
        }
        let folder = crate::root().join("python");
        for (container, _) in CONTAINERS {
            let args = [container.to_string(), word_list().display().to_string()];
            let output = crate::python::run_script_as::<ContainerOutput>(
                "python3", &folder, SCRIPT, &args, 1,
            )
            .unwrap_or_else(|message| panic!("{container}: {message}"));
            assert!(output.bytes > 10e6, "{container}: {}", output.bytes);
            assert!(output.seconds > 0.0 && output.lookup_seconds > 0.0);
            assert!(output.result.contains("\"Zwiebel\" out"));
        }
    }

    #[test]
    fn a_wrong_container_is_a_usage_error() {
        if std::process::Command::new("python3")
            .arg("--version")
            .output()
            .is_err()
        {
            return;
        }
        let error = crate::python::run_script_as::<ContainerOutput>(
            "python3",
            &crate::root().join("python"),
            SCRIPT,
            &["tuple".to_string(), word_list().display().to_string()],
            1,
        )
        .err()
        .expect("an unknown container fails");
        assert!(error.contains("usage"), "{error}");
    }
}
