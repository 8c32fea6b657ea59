//! cProfile's view: one row per annotated function (pstats' columns plus per-call
//! percentiles), and the callers and callees of each.

use std::fmt::Write;
use std::str::FromStr;

use super::calls;
use crate::graph::{Edge, TRUNCATED, edges};
use crate::snapshot::{FunctionProfile, Profile};

/// The order of the call table (pstats' `sort_stats`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortKey {
    /// Inclusive time of the primitive calls, largest first (`cumulative`, `cumtime`).
    #[default]
    Cumulative,
    /// Self time, largest first (`tottime`, `time`).
    Tottime,
    /// Calls, most first (`ncalls`, `calls`).
    Ncalls,
    /// Function name, then file and line (`name`).
    Name,
}

impl FromStr for SortKey {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "cumulative" | "cumtime" => Ok(SortKey::Cumulative),
            "tottime" | "time" => Ok(SortKey::Tottime),
            "ncalls" | "calls" => Ok(SortKey::Ncalls),
            "name" => Ok(SortKey::Name),
            other => Err(format!(
                "unknown sort key `{other}`; expected cumulative, tottime, ncalls or name"
            )),
        }
    }
}

/// A duration in the unit that reads best: ns, µs, ms or s, three significant digits or more.
///
/// # Examples
///
/// ```
/// use hiperf_runtime::report::duration;
/// assert_eq!(duration(24.13), "24.1 ns");
/// assert_eq!(duration(1_520.0), "1.52 µs");
/// assert_eq!(duration(2_500_000_000.0), "2.500 s");
/// ```
pub fn duration(nanoseconds: f64) -> String {
    match nanoseconds.abs() {
        n if n < 1e3 => format!("{nanoseconds:.1} ns"),
        n if n < 1e6 => format!("{:.2} µs", nanoseconds / 1e3),
        n if n < 1e9 => format!("{:.2} ms", nanoseconds / 1e6),
        _ => format!("{:.3} s", nanoseconds / 1e9),
    }
}

/// `file:line(name)`, pstats' way of naming a function.
pub fn label(function: &FunctionProfile) -> String {
    format!("{}:{}({})", function.file, function.line, function.name)
}

fn label_of(profile: &Profile, index: Option<u32>) -> String {
    match index {
        None => "<not profiled>".to_string(),
        Some(TRUNCATED) => "[call tree full]".to_string(),
        Some(index) => profile
            .functions
            .get(index as usize)
            .map_or_else(|| "?".to_string(), label),
    }
}

/// The call table: `ncalls tottime percall cumtime percall p50 p95 p99 max function`, one row
/// per annotated function that ran, sorted by `sort`.
pub fn render_calls(profile: &Profile, sort: SortKey) -> String {
    let mut functions: Vec<&FunctionProfile> = profile
        .functions
        .iter()
        .filter(|f| f.measures_time && f.calls > 0)
        .collect();
    match sort {
        SortKey::Cumulative => {
            functions.sort_by(|a, b| b.cumulative_ns.total_cmp(&a.cumulative_ns))
        }
        SortKey::Tottime => functions.sort_by(|a, b| b.self_ns.total_cmp(&a.self_ns)),
        SortKey::Ncalls => functions.sort_by_key(|f| std::cmp::Reverse(f.calls)),
        SortKey::Name => {
            functions.sort_by(|a, b| (&a.name, &a.file, a.line).cmp(&(&b.name, &b.file, b.line)))
        }
    }
    let headers = [
        "ncalls", "tottime", "percall", "cumtime", "percall", "p50", "p95", "p99", "max",
    ];
    let rows: Vec<Vec<String>> = functions
        .iter()
        .map(|f| {
            let percentile = |pick: fn(&crate::snapshot::Percentiles) -> f64| {
                f.percentiles
                    .as_ref()
                    .map_or_else(String::new, |p| duration(pick(p)))
            };
            // Sampled times are estimates (`~`); a sampled call has no duration of its own,
            // so no percentiles and no longest call.
            let timed = |ns: f64| {
                if f.sampled {
                    format!("~{}", duration(ns))
                } else {
                    duration(ns)
                }
            };
            vec![
                calls(f),
                timed(f.self_ns),
                timed(f.self_ns / f.calls as f64),
                timed(f.cumulative_ns),
                timed(f.cumulative_ns / f.primitive_calls.max(1) as f64),
                percentile(|p| p.p50_ns),
                percentile(|p| p.p95_ns),
                percentile(|p| p.p99_ns),
                if f.sampled && f.max_call_ns == 0.0 {
                    String::new()
                } else {
                    duration(f.max_call_ns)
                },
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..headers.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([headers[c].len(), 9])
                .max()
                .unwrap_or(9)
        })
        .collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} function{} ran; sorted by {}; times are wall clock (tottime: outside annotated callees)\n",
        functions.len(),
        if functions.len() == 1 { "" } else { "s" },
        match sort {
            SortKey::Cumulative => "cumulative time",
            SortKey::Tottime => "self time",
            SortKey::Ncalls => "calls",
            SortKey::Name => "name",
        }
    );
    let row = |cells: &[String], name: &str| {
        let mut text = String::new();
        for (cell, width) in cells.iter().zip(&widths) {
            let _ = write!(text, "{cell:>width$} ");
        }
        let _ = write!(text, " {name}");
        text
    };
    let _ = writeln!(
        out,
        "{}",
        row(&headers.map(str::to_string), "filename:lineno(function)")
    );
    for (cells, function) in rows.iter().zip(&functions) {
        let _ = writeln!(out, "{}", row(cells, &label(function)));
    }
    out
}

/// pstats' `print_callers`: for each annotated function, who called it, how often, and the
/// time it spent in those calls.
pub fn render_callers(profile: &Profile) -> String {
    render_edges(profile, true)
}

/// pstats' `print_callees`: for each annotated function, which annotated functions it called.
pub fn render_callees(profile: &Profile) -> String {
    render_edges(profile, false)
}

fn render_edges(profile: &Profile, callers: bool) -> String {
    let edges = edges(&profile.paths);
    let mut out = String::new();
    let title = if callers {
        "was called by..."
    } else {
        "called..."
    };
    let arrow = if callers { "<-" } else { "->" };
    let functions: Vec<u32> = {
        let mut keys: Vec<u32> = edges
            .iter()
            .filter_map(|e| if callers { Some(e.callee) } else { e.caller })
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    };
    let labels: Vec<String> = functions
        .iter()
        .map(|&f| label_of(profile, Some(f)))
        .collect();
    let width = labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(8)
        .max(8);
    let _ = writeln!(out, "{:width$}  {title}", "Function");
    let _ = writeln!(
        out,
        "{:width$}     {:>9} {:>12} {:>12}",
        "", "ncalls", "tottime", "cumtime"
    );
    for (&function, name) in functions.iter().zip(&labels) {
        let related: Vec<&Edge> = edges
            .iter()
            .filter(|e| {
                if callers {
                    e.callee == function
                } else {
                    e.caller == Some(function)
                }
            })
            .collect();
        for (position, edge) in related.iter().enumerate() {
            let other = if callers {
                label_of(profile, edge.caller)
            } else {
                label_of(profile, Some(edge.callee))
            };
            let head = if position == 0 { name.as_str() } else { "" };
            let _ = writeln!(
                out,
                "{head:width$}  {} {:>9} {:>12} {:>12}  {other}",
                if position == 0 { arrow } else { "  " },
                edge.calls,
                duration(edge.self_ns),
                duration(edge.total_ns),
            );
        }
    }
    out
}
