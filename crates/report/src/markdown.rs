//! `report.md`: the summary per chapter and ladder as GitHub-flavoured Markdown tables, the
//! cited Python figures, the `--vs-python` comparison, then the line tables (line_profiler's
//! shape) and memory tables (memory_profiler's shape) of the profiled run in fenced blocks.
//!
//! Pure: data in, text out.
//!
//! ```
//! use hiperf_report::model::RunReport;
//!
//! let report = RunReport::new("quick", 3);
//! let markdown = hiperf_report::markdown::render(&report);
//! assert!(markdown.starts_with("# hiperf report"));
//! ```

use std::fmt::Write;

use hiperf_runtime::report::{bytes, render_function, render_memory};
use hiperf_runtime::snapshot::FunctionProfile;

use crate::ladder::{self, Ladder};
use crate::model::{Chart, RunReport, WorkloadResult};
use crate::python::PythonComparison;
use crate::supplement::Supplement;

/// The whole page for `report` alone.
pub fn render(report: &RunReport) -> String {
    render_with(report, &Supplement::default())
}

/// The whole page, with the generation date and the `--vs-python` results of `supplement`.
pub fn render_with(report: &RunReport, supplement: &Supplement) -> String {
    let mut out = String::new();
    header(&mut out, report, supplement);
    for chapter in ladder::chapters(report) {
        let _ = writeln!(
            out,
            "\n## Chapter {}: {}\n",
            chapter.number,
            ladder::chapter_title(chapter.number)
        );
        for ladder in &chapter.ladders {
            ladder_section(&mut out, report, ladder);
        }
        line_tables(
            &mut out,
            &ladder::functions_of(report, Some(chapter.number)),
            &format!("chapter {}", chapter.number),
        );
    }
    let others = ladder::functions_of(report, None);
    if !others.is_empty() {
        let _ = writeln!(out, "\n## Other profiled functions\n");
        line_tables(&mut out, &others, "no chapter");
    }
    if let Some(python) = &supplement.python {
        python_section(&mut out, python);
    }
    out
}

fn header(out: &mut String, report: &RunReport, supplement: &Supplement) {
    let _ = writeln!(out, "# hiperf report\n");
    let _ = writeln!(
        out,
        "The workloads of *High Performance Python* ported to Rust, naive to optimized, at {} size, \
         {} timed run{} per workload.\n",
        report.size,
        report.runs,
        if report.runs == 1 { "" } else { "s" }
    );
    let _ = writeln!(
        out,
        "- Machine: {}, {} cores, {}",
        text(&report.machine.processor()),
        report.machine.cores,
        text(&report.machine.platform)
    );
    if let Some(generated) = &supplement.generated {
        let _ = writeln!(out, "- Generated: {}", text(generated));
    }
    let failed = report
        .workloads
        .iter()
        .filter(|w| w.check.is_failure())
        .count();
    let skipped = report.skipped().count();
    let ran = report.workloads.len() - skipped;
    if failed == 0 {
        let _ = writeln!(out, "- Checks: all {ran} passed");
    } else {
        let _ = writeln!(out, "- Checks: **{failed} of {ran} FAILED**");
    }
    if skipped > 0 {
        let _ = writeln!(
            out,
            "- Skipped: {skipped} (something they need is not installed; see each ladder)"
        );
    }
    let _ = writeln!(
        out,
        "\nSeconds are the timed kernel region (median, fastest and slowest run). *vs naive* is the \
         naive variant's median over this one's. *Profiled s* is one run of the build with \
         `#[hiperf::profile]` and `#[hiperf::memit]` on, and *overhead* is that over the median. \
         *Peak heap* is the highest live heap above the run's start, from the counting allocator."
    );
}

fn ladder_section(out: &mut String, report: &RunReport, ladder: &Ladder<'_>) {
    let _ = writeln!(out, "### {}\n", ladder.id());
    let _ = writeln!(
        out,
        "| variant | median s | min s | max s | vs naive | profiled s | overhead | peak heap | page faults | path | check | what it does |"
    );
    let _ = writeln!(out, "|---|--:|--:|--:|--:|--:|--:|--:|--:|---|---|---|");
    for workload in &ladder.variants {
        let stats = workload.seconds.as_ref();
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(&workload.variant),
            ladder::seconds(stats.map(|s| s.median)),
            ladder::seconds(stats.map(|s| s.min)),
            ladder::seconds(stats.map(|s| s.max)),
            ladder::speedup_label(report, workload),
            ladder::seconds(workload.profiled_seconds),
            ladder::overhead(workload).map_or_else(|| "-".to_string(), ladder::ratio),
            workload
                .memory
                .as_ref()
                .map_or_else(|| "-".to_string(), |m| bytes(m.peak_bytes as f64)),
            workload
                .page_faults
                .map_or_else(|| "-".to_string(), |f| f.to_string()),
            workload
                .isa
                .as_ref()
                .map_or_else(|| "-".to_string(), |isa| format!("`{}`", cell(isa))),
            match workload.check.status() {
                "ok" => "ok".to_string(),
                status => format!("**{status}**"),
            },
            cell(&workload.description),
        );
    }
    out.push('\n');
    let parameters: Vec<&str> = ladder
        .variants
        .iter()
        .map(|w| w.parameters.as_str())
        .filter(|p| !p.is_empty())
        .collect();
    if let Some(first) = parameters.first()
        && parameters.iter().all(|p| p == first)
    {
        let _ = writeln!(out, "Parameters: {}.\n", text(first));
    }
    for note in ladder.shared_notes() {
        let _ = writeln!(out, "Note: {}.\n", text(note));
    }
    for workload in &ladder.variants {
        if workload.check.skipped {
            let _ = writeln!(
                out,
                "- `{}` SKIPPED: {}",
                cell(&workload.variant),
                text(&workload.check.message)
            );
        } else if !workload.check.passed {
            let _ = writeln!(
                out,
                "- `{}` FAILED: {}",
                cell(&workload.variant),
                text(&workload.check.message)
            );
        } else if !workload.result.is_empty() {
            let _ = writeln!(
                out,
                "- `{}`: {}",
                cell(&workload.variant),
                text(&workload.result)
            );
        }
        for note in ladder.own_notes(workload) {
            let _ = writeln!(out, "- `{}`, note: {}", cell(&workload.variant), text(note));
        }
    }
    for workload in &ladder.variants {
        python_baseline(out, workload);
    }
    out.push('\n');
    out.push_str(&crate::figures::render_markdown(&ladder.variants));
    for workload in &ladder.variants {
        for chart in &workload.charts {
            chart_table(out, &workload.variant, chart);
        }
    }
}

/// A workload's chart as a table: one row per x, one column per series.
fn chart_table(out: &mut String, variant: &str, chart: &Chart) {
    let mut xs: Vec<f64> = chart
        .series
        .iter()
        .flat_map(|series| series.points.iter().map(|point| point.0))
        .collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    let _ = writeln!(
        out,
        "{} (`{}`, its last timed run; {}):\n",
        text(&chart.title),
        cell(variant),
        text(&chart.y_label)
    );
    let _ = write!(out, "| {} |", cell(&chart.x_label));
    for series in &chart.series {
        let _ = write!(out, " {} |", cell(&series.name));
    }
    let _ = write!(out, "\n|--:|");
    for _ in &chart.series {
        out.push_str("--:|");
    }
    out.push('\n');
    for x in xs {
        let _ = write!(out, "| {x} |");
        for series in &chart.series {
            let y = series
                .points
                .iter()
                .find(|point| point.0 == x)
                .map(|point| point.1);
            let _ = write!(out, " {} |", ladder::seconds(y));
        }
        out.push('\n');
    }
    out.push('\n');
}

/// The book-size Python figure cited beside a workload.
fn python_baseline(out: &mut String, workload: &WorkloadResult) {
    let Some(python) = &workload.python else {
        return;
    };
    let rust = workload.seconds.as_ref().map(|s| s.median);
    let comparison = match rust {
        Some(rust) if rust > 0.0 => {
            let speedup = python.seconds / rust;
            format!(
                "; Rust `{}` {} s, {}",
                cell(&workload.variant),
                ladder::seconds(Some(rust)),
                ladder::faster_or_slower(speedup)
            )
        }
        _ => String::new(),
    };
    let _ = writeln!(
        out,
        "- Python beside `{}`: {} s, {}{comparison}",
        cell(&workload.variant),
        ladder::seconds(Some(python.seconds)),
        text(&python.source),
    );
}

fn line_tables(out: &mut String, functions: &[&FunctionProfile], scope: &str) {
    let ran: Vec<&&FunctionProfile> = functions.iter().filter(|f| f.calls > 0).collect();
    let idle: Vec<&&FunctionProfile> = functions.iter().filter(|f| f.calls == 0).collect();
    if ran.is_empty() && idle.is_empty() {
        return;
    }
    let _ = writeln!(out, "### Line tables ({scope})\n");
    for function in ran {
        if function.measures_time {
            let mut table = String::new();
            render_function(&mut table, function);
            let _ = writeln!(
                out,
                "`{}` (time, line_profiler's shape):\n",
                cell(&function.name)
            );
            fenced(out, &table);
        }
        if function.measures_memory {
            let mut table = String::new();
            render_memory(&mut table, function);
            let _ = writeln!(
                out,
                "`{}` (memory, memory_profiler's shape):\n",
                cell(&function.name)
            );
            fenced(out, &table);
        }
    }
    if !idle.is_empty() {
        let names: Vec<String> = idle
            .iter()
            .map(|f| format!("`{}`", cell(&f.name)))
            .collect();
        let _ = writeln!(
            out,
            "Annotated but not called in this run: {}.\n",
            names.join(", ")
        );
    }
}

fn python_section(out: &mut String, python: &PythonComparison) {
    let _ = writeln!(out, "\n## Rust vs Python, measured in this session\n");
    let _ = writeln!(
        out,
        "The project's own Python transcriptions of the book's programs (`python/`), run by \
         `cargo xtask report --vs-python` right after the Rust workloads. Interpreter: {}; numpy: {}.\n",
        python
            .interpreter
            .as_deref()
            .map_or_else(|| "not found".to_string(), text),
        python
            .numpy
            .as_deref()
            .map_or_else(|| "not importable".to_string(), text),
    );
    if !python.runs.is_empty() {
        let _ = writeln!(
            out,
            "| Python program | Python s | Rust workload | Rust s | Rust speedup | Python check | note |"
        );
        let _ = writeln!(out, "|---|--:|---|--:|--:|---|---|");
        for run in &python.runs {
            let check = if run.passed {
                text(&run.result)
            } else {
                format!("**FAILED**: {}", text(&run.message))
            };
            let _ = writeln!(
                out,
                "| `{}` | {} | `{}` | {} | {} | {} | {} |",
                cell(&run.program),
                ladder::seconds(run.seconds),
                cell(&run.workload_and_path()),
                ladder::seconds(run.rust_seconds),
                run.rust_speedup()
                    .map_or_else(|| "-".to_string(), ladder::ratio),
                check,
                text(&run.note),
            );
        }
        out.push('\n');
        let _ = writeln!(
            out,
            "*Rust speedup* is the Python median (times the size factor in the note, if any) over \
             the Rust median.\n"
        );
    }
    for note in &python.notes {
        let _ = writeln!(out, "- {}", text(note));
    }
    if !python.memory.is_empty() {
        let _ = writeln!(
            out,
            "\nHeap held by the same containers of the same word list, Python's `tracemalloc` \
             against Rust's counting allocator:\n"
        );
        let _ = writeln!(out, "| {} |", crate::python::MEMORY_HEADERS.join(" | "));
        let _ = writeln!(out, "|---|--:|---|--:|--:|--:|--:|--:|--:|--:|---|");
        for run in &python.memory {
            let cells = run.cells().map(|c| cell(&c));
            let _ = writeln!(
                out,
                "| `{}` | {} | `{}` | {} |",
                cells[0],
                cells[1],
                cells[2],
                cells[3..].join(" | ")
            );
        }
    }
}

/// `content` in a ``` fence longer than any backtick run inside it.
fn fenced(out: &mut String, content: &str) {
    let mut longest = 0;
    let mut run = 0;
    for character in content.chars() {
        if character == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat((longest + 1).max(3));
    let _ = writeln!(out, "{fence}text\n{}\n{fence}\n", content.trim_end());
}

/// Text for a table cell: pipes escaped everywhere (GitHub's tables split on them, even in code
/// spans), and outside code spans `<`, `>` and `&` as entities so they are not read as HTML.
fn cell(value: &str) -> String {
    escape(value, true)
}

/// Running text outside tables: `<`, `>` and `&` outside code spans as entities.
fn text(value: &str) -> String {
    escape(value, false)
}

fn escape(value: &str, in_table: bool) -> String {
    let mut out = String::with_capacity(value.len());
    let mut in_code = false;
    for character in value.chars() {
        match character {
            '`' => {
                in_code = !in_code;
                out.push('`');
            }
            '|' if in_table => out.push_str("\\|"),
            '\n' | '\r' => out.push(' '),
            '<' if !in_code => out.push_str("&lt;"),
            '>' if !in_code => out.push_str("&gt;"),
            '&' if !in_code => out.push_str("&amp;"),
            other => out.push(other),
        }
    }
    // An unmatched backtick would swallow the rest of the line's formatting.
    if in_code {
        out.push('`');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_escape_pipes_everywhere_and_angles_outside_code() {
        assert_eq!(cell("`a | b` Vec<f64>"), "`a \\| b` Vec&lt;f64&gt;");
        assert_eq!(text("`Vec<u8>` & more"), "`Vec<u8>` &amp; more");
    }

    #[test]
    fn fences_outgrow_backtick_runs() {
        let mut out = String::new();
        fenced(&mut out, "a ```` b");
        assert!(out.starts_with("`````text\n"));
    }
}
