//! Text rendering of a [`Profile`]: one line_profiler-shaped table per function.
//!
//! Pure: data in, text out. Printing and writing files happen in `output`.

use std::fmt::Write;

use crate::snapshot::{FunctionProfile, LineProfile, Profile};

/// Renders every function's table, functions that never ran included, then a summary of
/// totals like `kernprof -l -v`'s closing lines.
///
/// # Examples
///
/// ```
/// let profile = hiperf_runtime::snapshot::take(Default::default());
/// let text = hiperf_runtime::report::render_text(&profile);
/// assert!(text.starts_with("Timer unit: 1e-09 s"));
/// ```
pub fn render_text(profile: &Profile) -> String {
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
    out.push('\n');
    let rows: Vec<[String; 5]> = function
        .lines
        .iter()
        .map(|line| figures(line, function.total_ns))
        .collect();
    let headers = ["Line #", "Hits", "Time", "Per Hit", "% Time"];
    let minimum = [6, 9, 12, 8, 8];
    let mut widths = [0usize; 5];
    for column in 0..5 {
        widths[column] = rows
            .iter()
            .map(|row| row[column].len())
            .chain([headers[column].len(), minimum[column]])
            .max()
            .unwrap_or(0);
    }
    let header = format!(
        "{:>w0$} {:>w1$} {:>w2$} {:>w3$} {:>w4$}  Line Contents",
        headers[0],
        headers[1],
        headers[2],
        headers[3],
        headers[4],
        w0 = widths[0],
        w1 = widths[1],
        w2 = widths[2],
        w3 = widths[3],
        w4 = widths[4],
    );
    let _ = writeln!(out, "{header}");
    let _ = writeln!(out, "{}", "=".repeat(header.len()));
    for (row, line) in rows.iter().zip(&function.lines) {
        let text = format!(
            "{:>w0$} {:>w1$} {:>w2$} {:>w3$} {:>w4$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            line.contents,
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3],
            w4 = widths[4],
        );
        let _ = writeln!(out, "{}", text.trim_end());
    }
}

/// Renders one function's memory table, shaped like memory_profiler's, plus the `Peak` and
/// `Allocs` columns.
pub fn render_memory(out: &mut String, function: &FunctionProfile) {
    let _ = writeln!(out, "Filename: {}", function.file);
    let _ = writeln!(
        out,
        "Function: {} at line {}; lines show the heap of the calling thread",
        function.name, function.line
    );
    if let Some(memory) = &function.memory {
        if !memory.allocator_installed {
            let _ = writeln!(
                out,
                "hiperf::Alloc is not the global allocator, so heap figures are zero; install it with\n  \
                 #[global_allocator] static ALLOC: hiperf::Alloc = hiperf::Alloc::system();"
            );
        }
        let rss = |value: Option<u64>| value.map_or_else(|| "-".to_string(), |b| bytes(b as f64));
        let _ = writeln!(
            out,
            "Calls: {}; over all calls: peak {} above entry, increment {} (this thread)",
            calls(function),
            bytes(memory.peak_bytes as f64),
            bytes(memory.increment_bytes as f64),
        );
        let _ = writeln!(
            out,
            "Process (every thread): heap {} at first entry, {} at last exit; RSS {} at first entry, {} at last exit",
            bytes(memory.process_heap_entry_bytes as f64),
            bytes(memory.process_heap_exit_bytes as f64),
            rss(memory.rss_entry_bytes),
            rss(memory.rss_exit_bytes),
        );
    }
    out.push('\n');
    let headers = [
        "Line #",
        "Mem usage",
        "Increment",
        "Peak",
        "Allocs",
        "Occurrences",
    ];
    let rows: Vec<[String; 6]> = function
        .lines
        .iter()
        .map(|line| match (&line.memory, line.probed && line.hits > 0) {
            (Some(memory), true) => [
                line.line.to_string(),
                bytes(memory.usage_bytes as f64),
                bytes(memory.increment_bytes as f64),
                bytes(memory.peak_bytes as f64),
                memory.allocations.to_string(),
                line.hits.to_string(),
            ],
            _ => [
                line.line.to_string(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ],
        })
        .collect();
    let minimum = [6, 12, 12, 12, 8, 11];
    let mut widths = [0usize; 6];
    for column in 0..6 {
        widths[column] = rows
            .iter()
            .map(|row| row[column].len())
            .chain([headers[column].len(), minimum[column]])
            .max()
            .unwrap_or(0);
    }
    let format_row = |cells: [&str; 6], contents: &str| {
        let mut text = String::new();
        for (cell, width) in cells.iter().zip(widths) {
            let _ = write!(text, "{cell:>width$}  ");
        }
        let _ = write!(text, "{contents}");
        text.trim_end().to_string()
    };
    let header = format_row(headers, "Line Contents");
    let _ = writeln!(out, "{header}");
    let _ = writeln!(out, "{}", "=".repeat(header.len()));
    for (row, line) in rows.iter().zip(&function.lines) {
        let cells = [&row[0], &row[1], &row[2], &row[3], &row[4], &row[5]].map(String::as_str);
        let _ = writeln!(out, "{}", format_row(cells, &line.contents));
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

fn calls(function: &FunctionProfile) -> String {
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
