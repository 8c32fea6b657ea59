//! Text rendering of a [`Profile`]: one line_profiler-shaped table per function.
//!
//! Pure: data in, text out. Printing and writing files happen in `output`.

use std::fmt::Write;

mod calls;
mod export;
mod memory;
#[cfg(feature = "pprof")]
pub mod pprof;

pub use calls::{SortKey, duration, label, render_callees, render_callers, render_calls};
pub use export::{render_chrome_trace, render_folded};
pub use memory::render_memory;
#[cfg(feature = "pprof")]
pub use pprof::render_pprof;

use crate::snapshot::{FunctionProfile, LineProfile, Profile};

/// Renders every function's table, functions that never ran included, then a summary of
/// totals like `kernprof -l -v`'s closing lines.
///
/// # Examples
///
/// ```
/// let profile = hiperf_runtime::snapshot::take(Default::default());
/// let text = hiperf_runtime::report::render_text(&profile, Default::default());
/// assert!(text.starts_with("Timer unit: 1e-09 s"));
/// ```
pub fn render_text(profile: &Profile, sort: SortKey) -> String {
    let mut out = String::new();
    let clock = &profile.clock;
    let _ = writeln!(out, "Timer unit: 1e-09 s");
    let _ = writeln!(
        out,
        "Clock: {} at {:.3} GHz{}; probe cost {:.1} ns per line hit, {:.1} ns per call, {}",
        clock.source,
        clock.ticks_per_ns,
        if clock.invariant || clock.source != "tsc" {
            ""
        } else {
            " (not reported invariant)"
        },
        clock.probe_line_ns,
        clock.probe_call_ns,
        if clock.probe_subtracted {
            "subtracted from line times"
        } else {
            "not subtracted (HIPERF_SUBTRACT_PROBE=1 subtracts it)"
        }
    );
    if clock.mode == "sampled" || profile.functions.iter().any(|f| f.sampled) {
        let _ = writeln!(
            out,
            "Mode: sampled, every {:.0} us ({} samples): hits and calls are exact; times marked ~ \
             are sampled wall time, each line's backed by its Samples",
            clock.sample_period_ns / 1e3,
            clock.samples
        );
    }
    let timed: Vec<&FunctionProfile> = profile
        .functions
        .iter()
        .filter(|f| f.measures_time)
        .collect();
    if profile.functions.is_empty() {
        let _ = writeln!(
            out,
            "\nNo function is annotated with #[hiperf::profile] or #[hiperf::memit] \
             (or hiperf's `enable` feature is off)."
        );
    }
    for function in &profile.functions {
        if function.measures_time {
            out.push('\n');
            render_function(&mut out, function);
        }
        if function.measures_memory {
            out.push('\n');
            render_memory(&mut out, function);
        }
    }
    if !timed.is_empty() {
        out.push('\n');
        for function in &timed {
            let _ = writeln!(
                out,
                "{:>10.6} seconds - {}:{} - {}",
                function.total_ns / 1e9,
                function.file,
                function.line,
                function.name
            );
        }
        let ran = timed.iter().any(|function| function.calls > 0);
        if ran {
            let _ = writeln!(out, "\nCall statistics (cProfile's columns)\n");
            out.push_str(&render_calls(profile, sort));
            if !profile.paths.is_empty() {
                out.push('\n');
                out.push_str(&render_callers(profile));
            }
        }
    }
    out
}

/// Renders one function's table.
pub fn render_function(out: &mut String, function: &FunctionProfile) {
    let _ = writeln!(out, "Total time: {} s", seconds(function.total_ns));
    let _ = writeln!(out, "File: {}", function.file);
    let _ = writeln!(out, "Function: {} at line {}", function.name, function.line);
    if function.calls == 0 {
        let _ = writeln!(out, "Calls: 0 (never ran)");
    } else if function.sampled {
        let _ = writeln!(
            out,
            "Calls: {} in {} thread{}; cumulative ~{} s, self ~{} s (sampled)",
            calls(function),
            function.threads,
            if function.threads == 1 { "" } else { "s" },
            seconds(function.cumulative_ns),
            seconds(function.self_ns),
        );
    } else {
        let _ = writeln!(
            out,
            "Calls: {} in {} thread{}; cumulative {} s, self {} s, longest call {} s",
            calls(function),
            function.threads,
            if function.threads == 1 { "" } else { "s" },
            seconds(function.cumulative_ns),
            seconds(function.self_ns),
            seconds(function.max_call_ns),
        );
    }
    if function.suspended_ns > 0.0 {
        let _ = writeln!(
            out,
            "Suspended at .await: {} s (not in the line times, shown apart)",
            seconds(function.suspended_ns)
        );
    }
    out.push('\n');
    let callees = function.lines.iter().any(|line| line.callee_ns > 0.0);
    let suspended = function.lines.iter().any(|line| line.suspended_ns > 0.0);
    let mut headers = vec!["Line #", "Hits", "Time", "Per Hit", "% Time"];
    let mut minimums = vec![6, 9, 12, 8, 8];
    if callees {
        headers.push("In callees");
        minimums.push(12);
    }
    if suspended {
        headers.push("Suspended");
        minimums.push(12);
    }
    if function.sampled {
        headers.push("Samples");
        minimums.push(8);
    }
    let rows: Vec<Vec<String>> = function
        .lines
        .iter()
        .map(|line| {
            let mut row = figures(line, function.total_ns).to_vec();
            let ran = line.probed && line.hits > 0;
            if function.sampled && ran {
                for cell in &mut row[2..5] {
                    cell.insert(0, '~');
                }
            }
            if callees {
                row.push(if ran && line.callee_ns > 0.0 {
                    format!("{:.1}", line.callee_ns)
                } else {
                    String::new()
                });
            }
            if suspended {
                row.push(if ran && line.suspended_ns > 0.0 {
                    format!("{:.1}", line.suspended_ns)
                } else {
                    String::new()
                });
            }
            if function.sampled {
                row.push(if ran {
                    line.samples.to_string()
                } else {
                    String::new()
                });
            }
            row
        })
        .collect();
    let contents: Vec<&str> = function
        .lines
        .iter()
        .map(|line| line.contents.as_str())
        .collect();
    render_table(out, &headers, &minimums, &rows, &contents, 1);
}

/// Right-aligned figure columns, then the source line: the shape of line_profiler's and
/// memory_profiler's tables. `gap` spaces separate the columns.
pub(crate) fn render_table(
    out: &mut String,
    headers: &[&str],
    minimums: &[usize],
    rows: &[Vec<String>],
    contents: &[&str],
    gap: usize,
) {
    let widths: Vec<usize> = (0..headers.len())
        .map(|column| {
            rows.iter()
                .map(|row| row[column].chars().count())
                .chain([headers[column].len(), minimums[column]])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &mut dyn Iterator<Item = &str>, text: &str| {
        let mut line = String::new();
        for (cell, width) in cells.zip(&widths) {
            let _ = write!(line, "{cell:>width$}{:gap$}", "");
        }
        let _ = write!(line, " {text}");
        line.trim_end().to_string()
    };
    let header = line(&mut headers.iter().copied(), "Line Contents");
    let _ = writeln!(out, "{header}");
    let _ = writeln!(out, "{}", "=".repeat(header.chars().count()));
    for (row, text) in rows.iter().zip(contents) {
        let _ = writeln!(out, "{}", line(&mut row.iter().map(String::as_str), text));
    }
}

/// Bytes in the largest binary unit that keeps the figure at or above 1, exact below 1 KiB.
pub fn bytes(value: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut scaled = value;
    let mut unit = 0;
    while scaled.abs() >= 1024.0 && unit < UNITS.len() - 1 {
        scaled /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{scaled:.0} B")
    } else {
        format!("{scaled:.3} {}", UNITS[unit])
    }
}

pub(crate) fn calls(function: &FunctionProfile) -> String {
    if function.primitive_calls == function.calls {
        function.calls.to_string()
    } else {
        format!("{}/{}", function.calls, function.primitive_calls)
    }
}

/// Line #, Hits, Time, Per Hit, % Time; blank figures for lines no probe covers or that never ran.
fn figures(line: &LineProfile, total_ns: f64) -> [String; 5] {
    if !line.probed || line.hits == 0 {
        return [
            line.line.to_string(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ];
    }
    let percent = if total_ns > 0.0 {
        100.0 * line.time_ns / total_ns
    } else {
        0.0
    };
    [
        line.line.to_string(),
        line.hits.to_string(),
        format!("{:.1}", line.time_ns),
        format!("{:.1}", line.time_ns / line.hits as f64),
        format!("{percent:.1}"),
    ]
}

/// Seconds with six significant digits, as line_profiler prints its totals.
pub fn seconds(nanoseconds: f64) -> String {
    let seconds = nanoseconds / 1e9;
    if seconds == 0.0 {
        return "0".to_string();
    }
    let digits = 6 - 1 - seconds.abs().log10().floor() as i32;
    let text = format!("{:.*}", digits.clamp(0, 12) as usize, seconds);
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_keep_six_significant_digits() {
        assert_eq!(seconds(97_516_200.0), "0.0975162");
        assert_eq!(seconds(3_644_000_000.0), "3.644");
        assert_eq!(seconds(0.0), "0");
        assert_eq!(seconds(1_500.0), "0.0000015");
    }

    #[test]
    fn bytes_scale_to_binary_units() {
        assert_eq!(bytes(640.0), "640 B");
        assert_eq!(bytes(8_388_608.0), "8.000 MiB");
        assert_eq!(bytes(-1536.0), "-1.500 KiB");
    }
}
