//! `cargo xtask report --vs-python`: the project's own Python transcriptions of the book's
//! programs, run on the same machine in the same session, and the Rust/Python ratio of each.
//! Kept beside [`RunReport`](crate::model::RunReport) rather than inside it (written as
//! `vs-python.json`, schema [`SCHEMA`]).
//!
//! ```
//! use hiperf_report::python::PythonRun;
//!
//! let run = PythonRun {
//!     program: "julia_pure.py 1000 300".into(),
//!     workload: "ch02/julia/naive".into(),
//!     seconds: Some(3.6),
//!     runs: vec![3.6],
//!     result: "sum 33219980".into(),
//!     passed: true,
//!     message: String::new(),
//!     rust_seconds: Some(0.06),
//!     rust_isa: None,
//!     scale: 1.0,
//!     note: String::new(),
//! };
//! assert_eq!(run.rust_speedup().map(f64::round), Some(60.0));
//! ```

use serde::{Deserialize, Serialize};

/// The schema name of `vs-python.json`.
pub const SCHEMA: &str = "hiperf.vs-python/1";

/// Everything `--vs-python` found out, including why it could not run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PythonComparison {
    /// Always [`SCHEMA`] when written.
    #[serde(default)]
    pub schema: String,
    /// `python3 --version`, or `None` when no `python3` is on `PATH`.
    pub interpreter: Option<String>,
    /// `numpy.__version__`, or `None` when numpy does not import.
    pub numpy: Option<String>,
    /// One entry per program run (or skipped).
    pub runs: Vec<PythonRun>,
    /// Sentences the reports print under the table: what was missing, what was scaled.
    pub notes: Vec<String>,
    /// Chapter 11's containers measured in both languages: heap held and build time (absent
    /// in comparisons written before this field).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub memory: Vec<MemoryRun>,
}

/// One container built in Python, its heap measured with `tracemalloc`, against the Rust
/// workload's heap from the counting allocator, in the same session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemoryRun {
    /// The command line under `python/`.
    pub program: String,
    /// The id of the Rust workload it is compared with.
    pub workload: String,
    /// Bytes the Python container holds (`tracemalloc`), `None` if the program failed.
    pub python_bytes: Option<f64>,
    /// Bytes the Rust container holds (the workload's `held bytes` figure).
    pub rust_bytes: Option<f64>,
    /// Median seconds of the Python build.
    pub python_seconds: Option<f64>,
    /// Median seconds of the Rust build.
    pub rust_seconds: Option<f64>,
    /// Seconds of 100,000 Python lookups of an absent word.
    pub python_lookup_seconds: Option<f64>,
    /// Seconds of 100,000 Rust lookups (seeded probes, present and absent).
    pub rust_lookup_seconds: Option<f64>,
    /// What the Python program checked, or what went wrong.
    pub message: String,
    /// Whether the Python program's checks passed.
    pub passed: bool,
}

impl MemoryRun {
    /// How many times more heap the Python container holds than the Rust one.
    ///
    /// ```
    /// use hiperf_report::python::MemoryRun;
    ///
    /// let run = MemoryRun {
    ///     program: "text_containers.py set".into(),
    ///     workload: "ch11/text-containers/hash-set".into(),
    ///     python_bytes: Some(37.5e6),
    ///     rust_bytes: Some(15.0e6),
    ///     python_seconds: None,
    ///     rust_seconds: None,
    ///     python_lookup_seconds: None,
    ///     rust_lookup_seconds: None,
    ///     message: String::new(),
    ///     passed: true,
    /// };
    /// assert_eq!(run.bytes_ratio(), Some(2.5));
    /// ```
    pub fn bytes_ratio(&self) -> Option<f64> {
        let (python, rust) = (self.python_bytes?, self.rust_bytes?);
        (self.passed && rust > 0.0).then(|| python / rust)
    }

    /// How many times faster the Rust build ran.
    pub fn build_speedup(&self) -> Option<f64> {
        let (python, rust) = (self.python_seconds?, self.rust_seconds?);
        (self.passed && rust > 0.0).then(|| python / rust)
    }

    /// The row's cells: program, Python heap, Rust workload, Rust heap, ratio, Python build
    /// s, Rust build s, build speedup, Python lookups s, Rust lookups s, check.
    pub fn cells(&self) -> [String; 11] {
        let bytes = |value: Option<f64>| {
            value.map_or_else(|| "-".to_string(), hiperf_runtime::report::bytes)
        };
        let seconds = |value: Option<f64>| crate::ladder::seconds(value);
        let ratio =
            |value: Option<f64>| value.map_or_else(|| "-".to_string(), crate::ladder::ratio);
        [
            self.program.clone(),
            bytes(self.python_bytes),
            self.workload.clone(),
            bytes(self.rust_bytes),
            ratio(self.bytes_ratio()),
            seconds(self.python_seconds),
            seconds(self.rust_seconds),
            ratio(self.build_speedup()),
            seconds(self.python_lookup_seconds),
            seconds(self.rust_lookup_seconds),
            if self.passed {
                self.message.clone()
            } else {
                format!("FAILED: {}", self.message)
            },
        ]
    }
}

/// The column headers of [`MemoryRun::cells`].
pub const MEMORY_HEADERS: [&str; 11] = [
    "python program",
    "python heap",
    "rust workload",
    "rust heap",
    "python/rust heap",
    "python build s",
    "rust build s",
    "rust build speedup",
    "python 100k lookups s",
    "rust 100k lookups s",
    "python check",
];

/// The memory comparison as a terminal table, empty when there is none.
pub fn render_memory_text(comparison: &PythonComparison) -> String {
    use std::fmt::Write;

    if comparison.memory.is_empty() {
        return String::new();
    }
    let rows: Vec<[String; 11]> = comparison.memory.iter().map(MemoryRun::cells).collect();
    let mut widths = MEMORY_HEADERS.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 11]| {
        let mut text = String::new();
        for (index, (cell, width)) in cells.iter().zip(widths).enumerate() {
            if matches!(index, 0 | 2 | 10) {
                let _ = write!(text, "{cell:<width$}  ");
            } else {
                let _ = write!(text, "{cell:>width$}  ");
            }
        }
        text.trim_end().to_string()
    };
    let mut out = String::from(
        "Heap held, Python (tracemalloc) against Rust (counting allocator), same word list, \
         this session:\n",
    );
    let header = line(MEMORY_HEADERS);
    let _ = writeln!(out, "{header}");
    let _ = writeln!(out, "{}", "-".repeat(header.len()));
    for row in &rows {
        let cells: [&str; 11] = std::array::from_fn(|index| row[index].as_str());
        let _ = writeln!(out, "{}", line(cells));
    }
    out
}

/// One Python program's measurement and the Rust workload it is compared with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PythonRun {
    /// The command line under `python/`, such as `julia_pure.py 1000 300`.
    pub program: String,
    /// The id of the Rust workload it is compared with (`ch02/julia/naive`).
    pub workload: String,
    /// Median seconds of the timed kernel, as the program printed it (`None` if it failed).
    pub seconds: Option<f64>,
    /// Every timed call, in order.
    pub runs: Vec<f64>,
    /// The check value the program printed (its sum, mass, ...).
    pub result: String,
    /// Whether the program's own assertion passed.
    pub passed: bool,
    /// What went wrong, when it did not pass.
    pub message: String,
    /// The Rust workload's median seconds in this session, when it ran.
    pub rust_seconds: Option<f64>,
    /// The instruction-set path of the Rust workload's SIMD or assembly kernel, if it has one
    /// (see [`WorkloadResult::isa`](crate::model::WorkloadResult::isa)).
    #[serde(default)]
    pub rust_isa: Option<String>,
    /// Factor that takes the Python time to the Rust workload's size (1 when the sizes match).
    pub scale: f64,
    /// Why the sizes differ or what else to know, empty when nothing.
    pub note: String,
}

impl PythonRun {
    /// Python seconds at the Rust workload's size (the measured median times [`scale`](Self::scale)).
    pub fn scaled_seconds(&self) -> Option<f64> {
        self.seconds.map(|s| s * self.scale)
    }

    /// The Rust workload's id, and its kernel's instruction-set path in brackets if it has one.
    pub fn workload_and_path(&self) -> String {
        match &self.rust_isa {
            Some(isa) => format!("{} [{isa}]", self.workload),
            None => self.workload.clone(),
        }
    }

    /// How many times faster the Rust workload ran than the Python program, at equal size.
    pub fn rust_speedup(&self) -> Option<f64> {
        let python = self.scaled_seconds()?;
        let rust = self.rust_seconds?;
        (rust > 0.0 && self.passed).then(|| python / rust)
    }
}

/// The one JSON line each program under `python/` prints on standard output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScriptOutput {
    /// Median seconds of the timed kernel.
    pub seconds: f64,
    /// Every timed call.
    pub runs: Vec<f64>,
    /// The checked value, as text.
    pub result: String,
}

/// The comparison as a terminal table, for `report.txt` and the console.
pub fn render_text(comparison: &PythonComparison) -> String {
    use std::fmt::Write;

    let mut out = String::new();
    let _ = writeln!(
        out,
        "Rust vs Python, measured in this session ({}; numpy {}):",
        comparison.interpreter.as_deref().unwrap_or("no python3"),
        comparison.numpy.as_deref().unwrap_or("not importable"),
    );
    let seconds = |value: Option<f64>| crate::ladder::seconds(value);
    let rows: Vec<[String; 5]> = comparison
        .runs
        .iter()
        .map(|run| {
            [
                run.program.clone(),
                seconds(run.seconds),
                run.workload_and_path(),
                seconds(run.rust_seconds),
                match (run.passed, run.rust_speedup()) {
                    (false, _) => format!("Python FAILED: {}", run.message),
                    (true, Some(speedup)) if run.scale != 1.0 => {
                        format!("{} (Python x{})", crate::ladder::ratio(speedup), run.scale)
                    }
                    (true, Some(speedup)) => crate::ladder::ratio(speedup),
                    (true, None) => "-".to_string(),
                },
            ]
        })
        .collect();
    let headers = [
        "python program",
        "python s",
        "rust workload",
        "rust s",
        "rust speedup",
    ];
    let mut widths = headers.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 5]| {
        let mut text = String::new();
        for (index, (cell, width)) in cells.iter().zip(widths).enumerate() {
            if index == 1 || index == 3 {
                let _ = write!(text, "{cell:>width$}  ");
            } else {
                let _ = write!(text, "{cell:<width$}  ");
            }
        }
        text.trim_end().to_string()
    };
    if !rows.is_empty() {
        let header = line(headers);
        let _ = writeln!(out, "{header}");
        let _ = writeln!(out, "{}", "-".repeat(header.len()));
        for row in &rows {
            let _ = writeln!(
                out,
                "{}",
                line([&row[0], &row[1], &row[2], &row[3], &row[4]].map(String::as_str))
            );
        }
    }
    for run in comparison.runs.iter().filter(|r| !r.note.is_empty()) {
        let _ = writeln!(out, "{}: {}", run.program, run.note);
    }
    for note in &comparison.notes {
        let _ = writeln!(out, "{note}");
    }
    out.push_str(&render_memory_text(comparison));
    out
}
