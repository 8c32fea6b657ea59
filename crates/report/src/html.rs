//! `report.html`: one self-contained page (inline CSS and SVG, no script, no network): per
//! ladder a bar chart of median seconds with the speedup over the naive variant, the check of
//! each variant, peak heap, the heap/RSS time series, the Python comparison, and per chapter
//! the line and memory tables of the profiled functions with their hot lines shaded.
//!
//! Pure: data in, text out. Every text from the report is escaped with [`escape`].
//!
//! ```
//! use hiperf_report::model::RunReport;
//!
//! let report = RunReport::new("quick", 3);
//! let html = hiperf_report::html::render(&report);
//! assert!(html.starts_with("<!DOCTYPE html>"));
//! assert!(html.trim_end().ends_with("</html>"));
//! ```

use std::fmt::Write;

use hiperf_runtime::report::bytes;
use hiperf_runtime::snapshot::{FunctionProfile, LineProfile};

use crate::ladder::{self, Chapter, Ladder};
use crate::model::{RunReport, WorkloadResult};
use crate::python::{PythonComparison, PythonRun};
use crate::supplement::Supplement;
use crate::svg::{self, Bar, BarKind, Series};

const STYLE: &str = include_str!("html.css");

/// The whole page for `report` alone.
pub fn render(report: &RunReport) -> String {
    render_with(report, &Supplement::default())
}

/// The whole page, with the generation date and the `--vs-python` results of `supplement`.
pub fn render_with(report: &RunReport, supplement: &Supplement) -> String {
    let chapters = ladder::chapters(report);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>hiperf report ({} size)</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n",
        escape(&report.size)
    );
    header(&mut out, report, supplement);
    navigation(&mut out, &chapters, report, supplement);
    out.push_str("<main>\n");
    overview(&mut out, report, &chapters);
    for chapter in &chapters {
        chapter_section(&mut out, report, supplement, chapter);
    }
    let others = ladder::functions_of(report, None);
    if !others.is_empty() {
        out.push_str("<section id=\"other-functions\">\n<h2>Other profiled functions</h2>\n");
        profile_tables(&mut out, &others);
        out.push_str("</section>\n");
    }
    if let Some(python) = &supplement.python {
        python_section(&mut out, python);
    }
    out.push_str(
        "</main>\n<footer><p>Written by <code>cargo xtask report</code>. This page loads \
         nothing from the network: styles and charts are inline.</p></footer>\n</body>\n</html>\n",
    );
    out
}

/// Text made safe for HTML element content and quoted attribute values.
///
/// ```
/// assert_eq!(
///     hiperf_report::html::escape("<script>\"a\" & 'b'"),
///     "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;"
/// );
/// ```
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// Escaped text with each pair of backticks turned into a `<code>` element, as the
/// descriptions write code. An unpaired backtick stays as it is.
fn inline(text: &str) -> String {
    let pieces: Vec<&str> = text.split('`').collect();
    let pairs = (pieces.len() - 1) / 2;
    let mut out = String::with_capacity(text.len() + 16);
    for (index, piece) in pieces.iter().enumerate() {
        if index % 2 == 1 && index <= 2 * pairs {
            out.push_str("<code>");
            out.push_str(&escape(piece));
            out.push_str("</code>");
        } else {
            if index > 2 * pairs {
                out.push('`');
            }
            out.push_str(&escape(piece));
        }
    }
    out
}

/// An `id` attribute value from arbitrary text: lowercase letters, digits and dashes.
fn anchor(text: &str) -> String {
    let mut out = String::new();
    for character in text.chars() {
        if character.is_ascii_alphanumeric() {
            out.push(character.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

fn header(out: &mut String, report: &RunReport, supplement: &Supplement) {
    let failed = report
        .workloads
        .iter()
        .filter(|w| w.check.is_failure())
        .count();
    let skipped = report.skipped().count();
    let ran = report.workloads.len() - skipped;
    let mut checks = if failed == 0 {
        format!("<span class=\"ok\">all {ran} passed</span>")
    } else {
        format!("<span class=\"failed\">{failed} of {ran} failed</span>")
    };
    if skipped > 0 {
        let _ = write!(
            checks,
            ", <span class=\"skipped\">{skipped} skipped</span> (not installed here: see their ladders)"
        );
    }
    let _ = write!(
        out,
        "<header>\n<h1>hiperf report</h1>\n<p>The workloads of <cite>High Performance Python</cite> \
         ported to Rust, naive to optimized, each checked against the book's values.</p>\n\
         <dl class=\"facts\">\n<dt>Size</dt><dd>{size}, {runs} timed run{plural} per workload</dd>\n\
         <dt>Machine</dt><dd>{cpu}, {cores} cores, {platform}</dd>\n",
        size = escape(&report.size),
        runs = report.runs,
        plural = if report.runs == 1 { "" } else { "s" },
        cpu = escape(&report.machine.processor()),
        cores = report.machine.cores,
        platform = escape(&report.machine.platform),
    );
    if let Some(generated) = &supplement.generated {
        let _ = writeln!(out, "<dt>Date</dt><dd>{}</dd>", escape(generated));
    }
    if let Some(profile) = &report.profile {
        let clock = &profile.clock;
        let _ = writeln!(
            out,
            "<dt>Clock</dt><dd>{} at {:.3} GHz; probe cost {:.1} ns per line hit, {:.1} ns per call \
             ({})</dd>",
            escape(&clock.source),
            clock.ticks_per_ns,
            clock.probe_line_ns,
            clock.probe_call_ns,
            if clock.probe_subtracted {
                "subtracted from line times"
            } else {
                "not subtracted"
            }
        );
    }
    let _ = write!(
        out,
        "<dt>Checks</dt><dd>{checks}</dd>\n</dl>\n<p class=\"legend\">Seconds are the timed kernel \
         region: median, fastest and slowest of the runs. <em>vs naive</em> is the naive variant's \
         median over this one's. <em>Profiled</em> is one run of the build with \
         <code>#[hiperf::profile]</code> and <code>#[hiperf::memit]</code> on, and \
         <em>overhead</em> is that over the median. <em>Peak heap</em> is the highest live heap \
         above the run's start, from the counting allocator.</p>\n</header>\n"
    );
}

fn navigation(
    out: &mut String,
    chapters: &[Chapter<'_>],
    report: &RunReport,
    supplement: &Supplement,
) {
    out.push_str("<nav aria-label=\"Contents\">\n<h2>Contents</h2>\n<ul>\n<li><a href=\"#overview\">Overview</a></li>\n");
    for chapter in chapters {
        let _ = write!(
            out,
            "<li><a href=\"#ch{number:02}\">Chapter {number}: {title}</a><ul>",
            number = chapter.number,
            title = escape(ladder::chapter_title(chapter.number)),
        );
        for ladder in &chapter.ladders {
            let _ = write!(
                out,
                "<li><a href=\"#{}\">{}</a></li>",
                anchor(&ladder.id()),
                escape(ladder.name)
            );
        }
        out.push_str("</ul></li>\n");
    }
    if !ladder::functions_of(report, None).is_empty() {
        out.push_str("<li><a href=\"#other-functions\">Other profiled functions</a></li>\n");
    }
    if supplement.python.is_some() {
        out.push_str("<li><a href=\"#vs-python\">Rust vs Python</a></li>\n");
    }
    out.push_str("</ul>\n</nav>\n");
}

fn overview(out: &mut String, report: &RunReport, chapters: &[Chapter<'_>]) {
    out.push_str(
        "<section id=\"overview\">\n<h2>Overview</h2>\n<table class=\"overview\">\n\
         <caption>Each ladder's naive variant and its fastest variant</caption>\n<thead><tr>\
         <th scope=\"col\">ladder</th><th scope=\"col\" class=\"num\">variants</th>\
         <th scope=\"col\" class=\"num\">naive median s</th><th scope=\"col\">fastest variant</th>\
         <th scope=\"col\" class=\"num\">its median s</th><th scope=\"col\" class=\"num\">speedup</th>\
         <th scope=\"col\">checks</th></tr></thead>\n<tbody>\n",
    );
    for ladder in chapters.iter().flat_map(|c| &c.ladders) {
        let naive = ladder.variants.iter().find(|w| w.rank == 0);
        let fastest = ladder
            .variants
            .iter()
            .filter(|w| w.check.passed)
            .filter_map(|w| w.seconds.as_ref().map(|s| (w, s.median)))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        let passed = ladder.variants.iter().filter(|w| w.check.passed).count();
        let skipped = ladder.variants.iter().filter(|w| w.check.skipped).count();
        let skipped_note = if skipped > 0 {
            format!(", {skipped} skipped")
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\"><a href=\"#{anchor}\">{id}</a></th><td class=\"num\">{count}</td>\
             <td class=\"num\">{naive}</td><td><code>{fastest}</code></td><td class=\"num\">{best}</td>\
             <td class=\"num\">{speedup}</td><td class=\"{class}\">{passed} of {count} ok{skipped_note}</td></tr>",
            anchor = anchor(&ladder.id()),
            id = escape(&ladder.id()),
            count = ladder.variants.len(),
            naive = ladder::seconds(naive.and_then(|w| w.seconds.as_ref()).map(|s| s.median)),
            fastest = fastest.map_or_else(|| "-".to_string(), |(w, _)| escape(&w.variant)),
            best = ladder::seconds(fastest.map(|(_, s)| s)),
            speedup = fastest.map_or_else(
                || "-".to_string(),
                |(w, _)| ladder::speedup_label(report, w)
            ),
            class = if passed + skipped == ladder.variants.len() {
                if skipped == 0 { "ok" } else { "skipped" }
            } else {
                "failed"
            },
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn chapter_section(
    out: &mut String,
    report: &RunReport,
    supplement: &Supplement,
    chapter: &Chapter<'_>,
) {
    let _ = writeln!(
        out,
        "<section id=\"ch{number:02}\" class=\"chapter\">\n<h2>Chapter {number}: {title}</h2>",
        number = chapter.number,
        title = escape(ladder::chapter_title(chapter.number)),
    );
    for ladder in &chapter.ladders {
        ladder_section(out, report, supplement, ladder);
    }
    let functions = ladder::functions_of(report, Some(chapter.number));
    if !functions.is_empty() {
        let _ = writeln!(
            out,
            "<section class=\"profile\">\n<h3>Line tables, chapter {}</h3>\n<p class=\"legend\">\
             From the profiled build: the annotated functions (the naive kernels), shaded by share \
             of time (time tables) and by peak heap (memory tables).</p>",
            chapter.number
        );
        profile_tables(out, &functions);
        out.push_str("</section>\n");
    }
    out.push_str("</section>\n");
}

fn ladder_section(
    out: &mut String,
    report: &RunReport,
    supplement: &Supplement,
    ladder: &Ladder<'_>,
) {
    let id = ladder.id();
    let _ = writeln!(
        out,
        "<section id=\"{}\" class=\"ladder\">\n<h3>{}</h3>",
        anchor(&id),
        escape(&id)
    );
    let parameters: Vec<&str> = ladder
        .variants
        .iter()
        .map(|w| w.parameters.as_str())
        .filter(|p| !p.is_empty())
        .collect();
    if let Some(first) = parameters.first()
        && parameters.iter().all(|p| p == first)
    {
        let _ = writeln!(
            out,
            "<p class=\"parameters\">Parameters: {}</p>",
            inline(first)
        );
    }
    for note in ladder.shared_notes() {
        let _ = writeln!(out, "<p class=\"note\">Note: {}</p>", inline(note));
    }
    let bars: Vec<Bar> = ladder
        .variants
        .iter()
        .filter_map(|w| bar(report, w))
        .collect();
    if !bars.is_empty() {
        let title = format!("{id}: median seconds per variant");
        let _ = writeln!(
            out,
            "<figure>\n{}\n<figcaption>Median seconds per variant (linear axis from zero); the \
             whisker spans the fastest and slowest run; the label gives the median and the speedup \
             over the naive variant.</figcaption>\n</figure>",
            svg::bar_chart(&title, &bars, |s| format!("{} s", ladder::seconds(Some(s))))
        );
    }
    variant_table(out, report, ladder);
    workload_charts(out, ladder);
    out.push_str(&crate::figures::render_html(&id, &ladder.variants));
    python_rows(out, supplement, ladder);
    memory_series(out, ladder);
    out.push_str("</section>\n");
}

fn bar(report: &RunReport, workload: &WorkloadResult) -> Option<Bar> {
    let stats = workload.seconds.as_ref()?;
    let speedup = ladder::speedup_label(report, workload);
    let check = if workload.check.passed {
        "check ok".to_string()
    } else {
        format!("check FAILED: {}", workload.check.message)
    };
    Some(Bar {
        label: workload.variant.clone(),
        value: stats.median,
        low: Some(stats.min),
        high: Some(stats.max),
        annotation: format!("{} s, {speedup}", ladder::seconds(Some(stats.median))),
        title: format!(
            "{}: median {} s (fastest {} s, slowest {} s), {speedup} vs naive, {check}",
            workload.id,
            ladder::seconds(Some(stats.median)),
            ladder::seconds(Some(stats.min)),
            ladder::seconds(Some(stats.max)),
        ),
        kind: if !workload.check.passed {
            BarKind::Failed
        } else if workload.rank == 0 {
            BarKind::Naive
        } else {
            BarKind::Variant
        },
    })
}

fn variant_table(out: &mut String, report: &RunReport, ladder: &Ladder<'_>) {
    let _ = write!(
        out,
        "<table class=\"variants\">\n<caption>{} variants, naive first</caption>\n<thead><tr>\
         <th scope=\"col\">variant</th><th scope=\"col\" class=\"num\">median s</th><th scope=\"col\" class=\"num\">min s</th>\
         <th scope=\"col\" class=\"num\">max s</th><th scope=\"col\" class=\"num\">vs naive</th>\
         <th scope=\"col\" class=\"num\">profiled s</th><th scope=\"col\" class=\"num\">overhead</th>\
         <th scope=\"col\" class=\"num\">peak heap</th><th scope=\"col\" class=\"num\">increment</th>\
         <th scope=\"col\" class=\"num\">allocations</th>\
         <th scope=\"col\" class=\"num\" title=\"minor page faults of the process while timed, median over the runs\">page faults</th>\
         <th scope=\"col\" title=\"the instruction-set path the SIMD or assembly kernel ran\">path</th>\
         <th scope=\"col\">check</th>\
         </tr></thead>\n<tbody>\n",
        escape(&ladder.id())
    );
    for workload in &ladder.variants {
        let stats = workload.seconds.as_ref();
        let memory = workload.memory.as_ref();
        let check = if workload.check.passed {
            "<td class=\"ok\">ok</td>".to_string()
        } else {
            let (class, status) = if workload.check.skipped {
                ("skipped", "SKIPPED")
            } else {
                ("failed", "FAILED")
            };
            format!(
                "<td class=\"{class}\" title=\"{message}\">{status}</td>",
                message = escape(&workload.check.message)
            )
        };
        let mut result = if workload.check.passed {
            inline(&workload.result)
        } else {
            format!(
                "{}: {}",
                workload.check.status(),
                inline(&workload.check.message)
            )
        };
        for note in ladder.own_notes(workload) {
            let _ = write!(result, "<div class=\"note\">Note: {}</div>", inline(note));
        }
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\"><code>{variant}</code><div class=\"description\">{description}</div>\
             <div class=\"result\">{result}</div></th>\
             <td class=\"num\">{median}</td><td class=\"num\">{min}</td><td class=\"num\">{max}</td>\
             <td class=\"num\">{speedup}</td><td class=\"num\">{profiled}</td>\
             <td class=\"num\">{overhead}</td><td class=\"num\">{peak}</td>\
             <td class=\"num\">{increment}</td><td class=\"num\">{allocations}</td>\
             <td class=\"num\">{faults}</td><td>{isa}</td>{check}</tr>",
            variant = escape(&workload.variant),
            description = inline(&workload.description),
            median = ladder::seconds(stats.map(|s| s.median)),
            min = ladder::seconds(stats.map(|s| s.min)),
            max = ladder::seconds(stats.map(|s| s.max)),
            speedup = escape(&ladder::speedup_label(report, workload)),
            profiled = ladder::seconds(workload.profiled_seconds),
            overhead = ladder::overhead(workload).map_or_else(|| "-".to_string(), ladder::ratio),
            peak = memory.map_or_else(|| "-".to_string(), |m| bytes(m.peak_bytes as f64)),
            increment = memory.map_or_else(|| "-".to_string(), |m| bytes(m.increment_bytes as f64)),
            allocations = memory.map_or_else(|| "-".to_string(), |m| m.allocations.to_string()),
            faults = workload
                .page_faults
                .map_or_else(|| "-".to_string(), |f| f.to_string()),
            isa = workload.isa.as_ref().map_or_else(
                || "-".to_string(),
                |isa| format!("<code>{}</code>", escape(isa))
            ),
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

/// The cited book-size Python figures of the ladder's variants and the `--vs-python` runs
/// compared with them.
fn python_rows(out: &mut String, supplement: &Supplement, ladder: &Ladder<'_>) {
    let cited: Vec<&WorkloadResult> = ladder
        .variants
        .iter()
        .copied()
        .filter(|w| w.python.is_some())
        .collect();
    let prefix = format!("{}/", ladder.id());
    let measured: Vec<&PythonRun> = supplement
        .python
        .iter()
        .flat_map(|p| &p.runs)
        .filter(|run| run.workload.starts_with(&prefix))
        .collect();
    if cited.is_empty() && measured.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<table class=\"python\">\n<caption>{} against Python</caption>\n<thead><tr>\
         <th scope=\"col\">Python</th><th scope=\"col\" class=\"num\">Python s</th>\
         <th scope=\"col\">Rust variant</th><th scope=\"col\" class=\"num\">Rust s</th>\
         <th scope=\"col\" class=\"num\">Rust speedup</th><th scope=\"col\">source</th></tr></thead>\n<tbody>\n",
        escape(&ladder.id())
    );
    for workload in cited {
        let Some(python) = &workload.python else {
            continue;
        };
        let rust = workload.seconds.as_ref().map(|s| s.median);
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\">book-size figure</th><td class=\"num\">{python_s}</td>\
             <td><code>{variant}</code></td><td class=\"num\">{rust_s}</td>\
             <td class=\"num\">{speedup}</td><td class=\"source\">{source}</td></tr>",
            python_s = ladder::seconds(Some(python.seconds)),
            variant = escape(&workload.variant),
            rust_s = ladder::seconds(rust),
            speedup = rust
                .filter(|r| *r > 0.0)
                .map_or_else(|| "-".to_string(), |r| ladder::ratio(python.seconds / r)),
            source = inline(&python.source),
        );
    }
    for run in measured {
        let variant = run.workload.strip_prefix(&prefix).unwrap_or(&run.workload);
        let source = if run.passed {
            format!("measured in this session, check: {}", run.result)
        } else {
            format!("FAILED: {}", run.message)
        };
        let note = if run.note.is_empty() {
            String::new()
        } else {
            format!("; {}", run.note)
        };
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\"><code>{program}</code></th><td class=\"num\">{python_s}</td>\
             <td><code>{variant}</code></td><td class=\"num\">{rust_s}</td>\
             <td class=\"num\">{speedup}</td><td class=\"source\">{source}{note}</td></tr>",
            program = escape(&run.program),
            python_s = ladder::seconds(run.seconds),
            variant = escape(variant),
            rust_s = ladder::seconds(run.rust_seconds),
            speedup = run
                .rust_speedup()
                .map_or_else(|| "-".to_string(), ladder::ratio),
            source = escape(&source),
            note = escape(&note),
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

/// The charts the ladder's variants drew from their own measurements.
fn workload_charts(out: &mut String, ladder: &Ladder<'_>) {
    for workload in &ladder.variants {
        for chart in &workload.charts {
            let _ = writeln!(
                out,
                "<figure class=\"xy\">\n{}\n<figcaption>{}: measured by <code>{}</code> in its \
                 last timed run; hover a point for its figures.</figcaption>\n</figure>",
                svg::xy_chart(
                    chart,
                    |x| format!("{x}"),
                    |y| { format!("{} s", ladder::seconds(Some(y))) }
                ),
                escape(&chart.title),
                escape(&workload.variant),
            );
        }
    }
}

fn memory_series(out: &mut String, ladder: &Ladder<'_>) {
    let charts: Vec<String> = ladder
        .variants
        .iter()
        .filter_map(|workload| {
            let memory = workload.memory.as_ref()?;
            if memory.series.len() < 2 {
                return None;
            }
            let largest_heap = memory.series.iter().map(|s| s.heap_bytes).max().unwrap_or(0);
            let largest_rss = memory.series.iter().filter_map(|s| s.rss_bytes).max();
            let heap = Series {
                name: format!("heap, max {}", bytes(largest_heap as f64)),
                class: "heap",
                points: memory
                    .series
                    .iter()
                    .map(|s| (s.seconds, s.heap_bytes as f64))
                    .collect(),
            };
            let rss = Series {
                name: largest_rss.map_or_else(
                    || "RSS".to_string(),
                    |largest| format!("RSS, max {}", bytes(largest as f64)),
                ),
                class: "rss",
                points: memory
                    .series
                    .iter()
                    .filter_map(|s| Some((s.seconds, s.rss_bytes? as f64)))
                    .collect(),
            };
            let title = format!(
                "{}: process heap and RSS over the run, {} samples",
                workload.id,
                memory.series.len()
            );
            Some(format!(
                "<figure class=\"series\">{}<figcaption><code>{}</code>, {} samples</figcaption></figure>",
                svg::line_chart(
                    &title,
                    &[heap, rss],
                    |s| format!("{} s", ladder::seconds(Some(s))),
                    bytes
                ),
                escape(&workload.variant),
                memory.series.len()
            ))
        })
        .collect();
    if charts.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<h4>Memory over time</h4>\n<p class=\"legend\">The process's live heap and resident set \
         size, sampled every 10 ms during the first run of each variant with at least two \
         samples.</p>\n<div class=\"series-grid\">\n{}\n</div>",
        charts.join("\n")
    );
}

fn profile_tables(out: &mut String, functions: &[&FunctionProfile]) {
    let idle: Vec<&&FunctionProfile> = functions.iter().filter(|f| f.calls == 0).collect();
    for function in functions.iter().filter(|f| f.calls > 0) {
        let _ = writeln!(
            out,
            "<details class=\"function\" open>\n<summary><code>{name}</code> \
             <span class=\"where\">{file}:{line}</span>{badges}</summary>",
            name = escape(&function.name),
            file = escape(&function.file),
            line = function.line,
            badges = match (function.measures_time, function.measures_memory) {
                (true, true) =>
                    " <span class=\"badge\">time</span> <span class=\"badge\">memory</span>",
                (true, false) => " <span class=\"badge\">time</span>",
                (false, true) => " <span class=\"badge\">memory</span>",
                (false, false) => "",
            }
        );
        if function.measures_time {
            time_table(out, function);
        }
        if function.measures_memory {
            memory_table(out, function);
        }
        out.push_str("</details>\n");
    }
    if !idle.is_empty() {
        let names: Vec<String> = idle
            .iter()
            .map(|f| format!("<code>{}</code>", escape(&f.name)))
            .collect();
        let _ = writeln!(
            out,
            "<p class=\"legend\">Annotated but not called in this run: {}.</p>",
            names.join(", ")
        );
    }
}

fn calls(function: &FunctionProfile) -> String {
    if function.primitive_calls == function.calls {
        function.calls.to_string()
    } else {
        format!("{}/{}", function.calls, function.primitive_calls)
    }
}

fn time_table(out: &mut String, function: &FunctionProfile) {
    let seconds = hiperf_runtime::report::seconds;
    // Sampled times (the sampled mode) are estimates: marked `~`, with the samples behind
    // each line.
    let approx = if function.sampled { "~" } else { "" };
    let _ = writeln!(
        out,
        "<p class=\"function-facts\">Total time {approx}{total} s; {calls} call{plural} in {threads} \
         thread{thread_plural}; cumulative {approx}{cumulative} s, self {approx}{self_time} s{longest}</p>",
        total = seconds(function.total_ns),
        calls = calls(function),
        plural = if function.calls == 1 { "" } else { "s" },
        threads = function.threads,
        thread_plural = if function.threads == 1 { "" } else { "s" },
        cumulative = seconds(function.cumulative_ns),
        self_time = seconds(function.self_ns),
        longest = if function.sampled {
            " (sampled: hits and calls exact, times from samples)".to_string()
        } else {
            format!(", longest call {} s", seconds(function.max_call_ns))
        },
    );
    let samples_header = if function.sampled {
        "<th scope=\"col\" class=\"num\">Samples</th>"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "<table class=\"lines\">\n<caption>{} line by line (line_profiler's columns; time in \
         seconds, per hit in nanoseconds)</caption>\n<thead><tr><th scope=\"col\" class=\"num\">Line #</th>\
         <th scope=\"col\" class=\"num\">Hits</th><th scope=\"col\" class=\"num\">Time s</th><th scope=\"col\" class=\"num\">Per hit ns</th>\
         <th scope=\"col\" class=\"num\">% Time</th>{samples_header}<th scope=\"col\">Line contents</th></tr></thead>\n<tbody>",
        escape(&function.name)
    );
    for line in &function.lines {
        let ran = line.probed && line.hits > 0;
        let share = if ran && function.total_ns > 0.0 {
            100.0 * line.time_ns / function.total_ns
        } else {
            0.0
        };
        let class = if share >= 10.0 {
            " class=\"hot\""
        } else if share >= 1.0 {
            " class=\"warm\""
        } else {
            ""
        };
        let samples_cell = match (function.sampled, ran) {
            (false, _) => String::new(),
            (true, true) => format!("<td class=\"num\">{}</td>", line.samples),
            (true, false) => "<td></td>".to_string(),
        };
        if ran {
            let _ = writeln!(
                out,
                "<tr{class}><td class=\"num\">{number}</td><td class=\"num\">{hits}</td>\
                 <td class=\"num\">{approx}{time}</td><td class=\"num\">{approx}{per_hit:.1}</td>\
                 <td class=\"num\">{approx}{share:.1}</td>{samples_cell}{source}</tr>",
                number = line.line,
                hits = line.hits,
                time = seconds(line.time_ns),
                per_hit = line.time_ns / line.hits as f64,
                source = source_cell(line, share),
            );
        } else {
            let _ = writeln!(
                out,
                "<tr class=\"idle\"><td class=\"num\">{}</td><td></td><td></td><td></td><td></td>{samples_cell}{}</tr>",
                line.line,
                source_cell(line, 0.0),
            );
        }
    }
    out.push_str("</tbody>\n</table>\n");
}

fn memory_table(out: &mut String, function: &FunctionProfile) {
    if let Some(memory) = &function.memory {
        let rss = |value: Option<u64>| value.map_or_else(|| "-".to_string(), |b| bytes(b as f64));
        let _ = writeln!(
            out,
            "<p class=\"function-facts\">{calls} call{plural}; over all calls: peak {peak} above \
             entry, increment {increment} (this thread). Process (every thread): heap {heap_entry} \
             at first entry, {heap_exit} at last exit; RSS {rss_entry} at first entry, {rss_exit} at \
             last exit.{warning}</p>",
            calls = calls(function),
            plural = if function.calls == 1 { "" } else { "s" },
            peak = bytes(memory.peak_bytes as f64),
            increment = bytes(memory.increment_bytes as f64),
            heap_entry = bytes(memory.process_heap_entry_bytes as f64),
            heap_exit = bytes(memory.process_heap_exit_bytes as f64),
            rss_entry = rss(memory.rss_entry_bytes),
            rss_exit = rss(memory.rss_exit_bytes),
            warning = if memory.allocator_installed {
                ""
            } else {
                " <strong>hiperf::Alloc was not the global allocator: heap figures are zero.</strong>"
            },
        );
    }
    let largest_peak = function
        .lines
        .iter()
        .filter_map(|l| l.memory.as_ref())
        .map(|m| m.peak_bytes)
        .max()
        .unwrap_or(0);
    let _ = writeln!(
        out,
        "<table class=\"lines memory\">\n<caption>{} line by line (memory_profiler's columns, \
         plus peak and allocations; the calling thread's heap, its usage above the outermost call's entry)</caption>\n<thead><tr>\
         <th scope=\"col\" class=\"num\">Line #</th><th scope=\"col\" class=\"num\">Mem usage</th>\
         <th scope=\"col\" class=\"num\">Increment</th><th scope=\"col\" class=\"num\">Peak</th>\
         <th scope=\"col\" class=\"num\">Allocs</th><th scope=\"col\" class=\"num\">Occurrences</th>\
         <th scope=\"col\">Line contents</th></tr></thead>\n<tbody>",
        escape(&function.name)
    );
    for line in &function.lines {
        match (&line.memory, line.probed && line.hits > 0) {
            (Some(memory), true) => {
                let share = if largest_peak > 0 {
                    100.0 * memory.peak_bytes as f64 / largest_peak as f64
                } else {
                    0.0
                };
                let class = if memory.increment_bytes > 0 || share >= 50.0 {
                    " class=\"hot\""
                } else if memory.allocations > 0 {
                    " class=\"warm\""
                } else {
                    ""
                };
                let _ = writeln!(
                    out,
                    "<tr{class}><td class=\"num\">{number}</td><td class=\"num\">{usage}</td>\
                     <td class=\"num\">{increment}</td><td class=\"num\">{peak}</td>\
                     <td class=\"num\">{allocations}</td><td class=\"num\">{hits}</td>{source}</tr>",
                    number = line.line,
                    usage = bytes(memory.usage_bytes as f64),
                    increment = bytes(memory.increment_bytes as f64),
                    peak = bytes(memory.peak_bytes as f64),
                    allocations = memory.allocations,
                    hits = line.hits,
                    source = source_cell(line, share),
                );
            }
            _ => {
                let _ = writeln!(
                    out,
                    "<tr class=\"idle\"><td class=\"num\">{}</td><td></td><td></td><td></td><td></td>\
                     <td></td>{}</tr>",
                    line.line,
                    source_cell(line, 0.0),
                );
            }
        }
    }
    out.push_str("</tbody>\n</table>\n");
}

/// The source text with a background bar `share` percent wide.
fn source_cell(line: &LineProfile, share: f64) -> String {
    let style = if share > 0.0 {
        format!(" style=\"background-size: {:.1}% 100%\"", share.min(100.0))
    } else {
        String::new()
    };
    format!(
        "<td class=\"source\"{style}><code>{}</code></td>",
        escape(&line.contents)
    )
}

fn python_section(out: &mut String, python: &PythonComparison) {
    let _ = writeln!(
        out,
        "<section id=\"vs-python\">\n<h2>Rust vs Python, measured in this session</h2>\n\
         <p>The project's own Python transcriptions of the book's programs (<code>python/</code>), \
         run by <code>cargo xtask report --vs-python</code> right after the Rust workloads. \
         Interpreter: {}; numpy: {}.</p>",
        python
            .interpreter
            .as_deref()
            .map_or_else(|| "not found".to_string(), escape),
        python
            .numpy
            .as_deref()
            .map_or_else(|| "not importable".to_string(), escape),
    );
    if !python.runs.is_empty() {
        out.push_str(
            "<table class=\"python\">\n<caption>Python median over Rust median; a size factor, \
             when the sizes differ, is in the note</caption>\n<thead><tr>\
             <th scope=\"col\">Python program</th><th scope=\"col\" class=\"num\">Python s</th>\
             <th scope=\"col\">Rust workload</th><th scope=\"col\" class=\"num\">Rust s</th>\
             <th scope=\"col\" class=\"num\">Rust speedup</th><th scope=\"col\">Python check</th>\
             <th scope=\"col\">note</th></tr></thead>\n<tbody>\n",
        );
        for run in &python.runs {
            let check = if run.passed {
                format!(
                    "<td><span class=\"ok\">ok</span> {}</td>",
                    inline(&run.result)
                )
            } else {
                format!("<td class=\"failed\">FAILED: {}</td>", escape(&run.message))
            };
            let _ = writeln!(
                out,
                "<tr><th scope=\"row\"><code>{program}</code></th><td class=\"num\">{python_s}</td>\
                 <td><code>{workload}</code></td><td class=\"num\">{rust_s}</td>\
                 <td class=\"num\">{speedup}</td>{check}<td>{note}</td></tr>",
                program = escape(&run.program),
                python_s = ladder::seconds(run.seconds),
                workload = escape(&run.workload_and_path()),
                rust_s = ladder::seconds(run.rust_seconds),
                speedup = run
                    .rust_speedup()
                    .map_or_else(|| "-".to_string(), ladder::ratio),
                note = escape(&run.note),
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    if !python.memory.is_empty() {
        memory_comparison(out, python);
    }
    if !python.notes.is_empty() {
        out.push_str("<ul class=\"notes\">\n");
        for note in &python.notes {
            let _ = writeln!(out, "<li>{}</li>", inline(note));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
}

/// Chapter 11's containers: the heap each holds in Python and in Rust, and their ratio.
fn memory_comparison(out: &mut String, python: &PythonComparison) {
    out.push_str(
        "<table class=\"python memory-comparison\">\n<caption>Heap held by the same containers of \
         the same word list: Python's <code>tracemalloc</code> against Rust's counting allocator, \
         and the build times</caption>\n<thead><tr>",
    );
    for (index, header) in crate::python::MEMORY_HEADERS.iter().enumerate() {
        let class = if matches!(index, 0 | 2 | 10) {
            ""
        } else {
            " class=\"num\""
        };
        let _ = write!(out, "<th scope=\"col\"{class}>{}</th>", escape(header));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for run in &python.memory {
        let cells = run.cells();
        let _ = write!(
            out,
            "<tr><th scope=\"row\"><code>{}</code></th>",
            escape(&cells[0])
        );
        for (index, cell) in cells.iter().enumerate().skip(1) {
            if index == 2 {
                let _ = write!(out, "<td><code>{}</code></td>", escape(cell));
            } else if index == 10 {
                let class = if run.passed { "" } else { " class=\"failed\"" };
                let _ = write!(out, "<td{class}>{}</td>", escape(cell));
            } else {
                let _ = write!(out, "<td class=\"num\">{}</td>", escape(cell));
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backtick_pairs_become_code() {
        assert_eq!(inline("a `<b>` c"), "a <code>&lt;b&gt;</code> c");
        assert_eq!(inline("`x` and `y"), "<code>x</code> and `y");
        assert_eq!(inline("plain"), "plain");
    }

    #[test]
    fn anchors_keep_letters_digits_and_single_dashes() {
        assert_eq!(anchor("ch06/norm-squared"), "ch06-norm-squared");
        assert_eq!(anchor("a//b  c"), "a-b-c");
    }
}
