//! The terminal summary: one row per workload, then the line tables of the profiled run.

use std::fmt::Write;

use crate::model::{RunReport, WorkloadResult};

/// The summary table and, when a profile is attached, every line table and the call table
/// sorted by `sort`.
pub fn render(report: &RunReport, sort: hiperf_runtime::report::SortKey) -> String {
    let mut out = render_summary(report);
    if let Some(profile) = &report.profile {
        out.push('\n');
        out.push_str(&hiperf_runtime::report::render_text(profile, sort));
    }
    out
}

/// One row per workload: median, min and max seconds, speedup over the naive variant, the
/// profiled build's time, peak heap, the instruction-set path of a SIMD or assembly kernel,
/// and the check.
pub fn render_summary(report: &RunReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "hiperf report: {} size, {} run{} per workload, {}, {} cores, {}",
        report.size,
        report.runs,
        if report.runs == 1 { "" } else { "s" },
        report.machine.processor(),
        report.machine.cores,
        report.machine.platform
    );
    let headers = [
        "workload",
        "median s",
        "min s",
        "max s",
        "vs naive",
        "profiled s",
        "peak heap",
        "path",
        "check",
    ];
    let rows: Vec<[String; 9]> = report.workloads.iter().map(|w| row(report, w)).collect();
    let mut widths = headers.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[String; 9]| {
        let mut text = String::new();
        for (index, (cell, width)) in cells.iter().zip(widths).enumerate() {
            if index == 0 || index >= 7 {
                let _ = write!(text, "{cell:<width$}  ");
            } else {
                let _ = write!(text, "{cell:>width$}  ");
            }
        }
        text.trim_end().to_string()
    };
    let header = line(&headers.map(str::to_string));
    let _ = writeln!(out, "{header}");
    let _ = writeln!(out, "{}", "-".repeat(header.len()));
    for row in &rows {
        let _ = writeln!(out, "{}", line(row));
    }
    let mut notes = Vec::new();
    for ladder in crate::ladder::chapters(report)
        .iter()
        .flat_map(|chapter| &chapter.ladders)
    {
        for note in ladder.shared_notes() {
            notes.push(format!("  {}: {note}", ladder.id()));
        }
        for workload in &ladder.variants {
            for note in ladder.own_notes(workload) {
                notes.push(format!("  {}: {note}", workload.id));
            }
        }
    }
    if !notes.is_empty() {
        let _ = writeln!(out, "\nNotes:\n{}", notes.join("\n"));
    }
    let failed: Vec<&WorkloadResult> = report
        .workloads
        .iter()
        .filter(|w| w.check.is_failure())
        .collect();
    let skipped: Vec<&WorkloadResult> = report.skipped().collect();
    let ran = report.workloads.len() - skipped.len();
    if failed.is_empty() {
        let _ = writeln!(out, "\nAll {ran} checks passed.");
    } else {
        let _ = writeln!(out, "\n{} of {ran} checks FAILED:", failed.len());
        for workload in failed {
            let _ = writeln!(out, "  {}: {}", workload.id, workload.check.message);
        }
    }
    if !skipped.is_empty() {
        let _ = writeln!(out, "{} SKIPPED (the rest ran):", skipped.len());
        for workload in skipped {
            let _ = writeln!(out, "  {}: {}", workload.id, workload.check.message);
        }
    }
    for ladder in crate::ladder::chapters(report)
        .iter()
        .flat_map(|chapter| &chapter.ladders)
    {
        let figures = crate::figures::render_text(&ladder.id(), &ladder.variants);
        if !figures.is_empty() {
            let _ = write!(out, "\n{figures}");
        }
    }
    for workload in report
        .workloads
        .iter()
        .filter(|w| w.python.is_some() && report.size == "book")
    {
        let (Some(python), Some(stats)) = (&workload.python, &workload.seconds) else {
            continue;
        };
        let speedup = python.seconds / stats.median;
        let _ = writeln!(
            out,
            "{}: Python {} s ({}), Rust {} s{}: {}",
            workload.id,
            crate::ladder::seconds(Some(python.seconds)),
            python.source,
            crate::ladder::seconds(Some(stats.median)),
            workload
                .isa
                .as_ref()
                .map_or_else(String::new, |isa| format!(" ({isa} path)")),
            crate::ladder::faster_or_slower(speedup)
        );
    }
    out
}

fn row(report: &RunReport, workload: &WorkloadResult) -> [String; 9] {
    // Six significant digits, as the Markdown table: four decimals showed 0.0000 for the
    // microsecond workloads.
    let seconds = crate::ladder::seconds;
    let stats = workload.seconds.as_ref();
    let speedup = crate::ladder::speedup_label(report, workload);
    [
        workload.id.clone(),
        seconds(stats.map(|s| s.median)),
        seconds(stats.map(|s| s.min)),
        seconds(stats.map(|s| s.max)),
        speedup,
        seconds(workload.profiled_seconds),
        workload
            .memory
            .as_ref()
            .map_or_else(|| "-".to_string(), |m| bytes(m.peak_bytes as f64)),
        workload.isa.clone().unwrap_or_else(|| "-".to_string()),
        workload.check.status().to_string(),
    ]
}

/// Bytes in the largest binary unit that keeps the figure at or above 1.
pub fn bytes(value: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = value;
    let mut unit = 0;
    while value.abs() >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
