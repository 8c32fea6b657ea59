//! The Markdown and HTML pages of a small hand-built report: they render, the HTML is
//! well-formed and self-contained, and source text is escaped.

use hiperf_report::model::RunReport;
use hiperf_report::python::{PythonComparison, PythonRun};
use hiperf_report::supplement::Supplement;

/// A source line that would run script if it reached the page unescaped.
const HOSTILE_LINE: &str = "    let tag = \"<script>alert('x')</script>\"; // a < b && c > d";

/// A report with a ladder of three variants (one failed), a cited Python figure, a memory
/// series, and a profile with a time table and a memory table. Built from JSON so that fields
/// added to the model later (always with defaults) do not break the test.
fn report() -> RunReport {
    let sample = |seconds: f64, heap: i64, rss: u64| serde_json::json!({"seconds": seconds, "heap_bytes": heap, "rss_bytes": rss});
    let workload = |variant: &str, rank: u8, median: f64, passed: bool| {
        serde_json::json!({
            "id": format!("ch02/julia/{variant}"),
            "chapter": 2,
            "name": "julia",
            "variant": variant,
            "rank": rank,
            "description": "`while n < maxiter && |z| < 2` on Vec<Complex64>",
            "parameters": "width 100, 300 iterations",
            "result": "sum 334236",
            "check": {"passed": passed, "message": if passed { "" } else { "sum 1 <> 334236" }},
            "seconds": {"median": median, "min": median * 0.9, "max": median * 1.2,
                        "runs": [median * 0.9, median, median * 1.2]},
            "profiled_seconds": median * 3.0,
            "memory": {
                "peak_bytes": 564_364, "increment_bytes": 52, "allocations": 41,
                "series": if rank == 0 {
                    vec![sample(0.0, 700_000, 4_366_336), sample(0.01, 900_000, 4_500_000),
                         sample(0.02, 135_264, 4_038_656)]
                } else {
                    vec![sample(0.0, 700_000, 4_366_336)]
                },
            },
            "isa": if variant == "simd" { serde_json::json!("avx2+fma") } else { serde_json::Value::Null },
            "python": if rank == 0 {
                serde_json::json!({"seconds": 3.6439, "source": "CPython 3.11 `julia_pure.py 1000 300` (PYTHON_BASELINES.md §A)"})
            } else {
                serde_json::Value::Null
            },
        })
    };
    let line = |line: u32, contents: &str, hits: u64, time_ns: f64| {
        serde_json::json!({
            "line": line, "contents": contents, "probed": hits > 0, "hits": hits,
            "time_ns": time_ns,
            "memory": if hits > 0 {
                serde_json::json!({"usage_bytes": 1024, "increment_bytes": 512, "peak_bytes": 2048,
                                   "allocations": 3, "allocated_bytes": 4096})
            } else {
                serde_json::Value::Null
            },
        })
    };
    let document = serde_json::json!({
        "schema": "hiperf.report/1",
        "size": "quick",
        "runs": 3,
        "machine": {"cpu": "Test CPU <fast> & cheap", "cores": 2, "platform": "linux-x86_64"},
        "workloads": [
            workload("naive", 0, 0.0084, true),
            workload("simd", 2, 0.0004, true),
            workload("broken", 1, 0.002, false),
        ],
        "profile": {
            "schema": "hiperf.profile/1",
            "clock": {"source": "tsc", "ticks_per_ns": 2.445, "invariant": true,
                      "probe_line_ns": 12.3, "probe_call_ns": 25.5, "probe_subtracted": false},
            "functions": [{
                "name": "calculate_z_serial",
                "module_path": "hiperf_workloads::ch02_julia",
                "file": "crates/workloads/src/ch02_julia.rs",
                "line": 82,
                "is_async": false,
                "measures_time": true,
                "measures_memory": true,
                "calls": 3,
                "primitive_calls": 3,
                "threads": 1,
                "total_ns": 1000.0,
                "cumulative_ns": 1100.0,
                "self_ns": 1100.0,
                "max_call_ns": 400.0,
                "entry_ns": 10.0,
                "memory": {"peak_bytes": 2048, "increment_bytes": 512, "rss_entry_bytes": 4_000_000,
                           "rss_exit_bytes": 4_100_000, "process_heap_entry_bytes": 1000,
                           "process_heap_exit_bytes": 1512, "allocator_installed": true},
                "lines": [
                    line(82, "pub fn calculate_z_serial(maxiter: i32) -> Vec<i32> {", 0, 0.0),
                    line(83, HOSTILE_LINE, 3, 900.0),
                    line(84, "    output", 3, 100.0),
                    line(85, "}", 0, 0.0),
                ],
            }, {
                "name": "never_called",
                "module_path": "hiperf_workloads::ch02_julia",
                "file": "crates/workloads/src/ch02_julia.rs",
                "line": 120, "is_async": false, "measures_time": true, "measures_memory": false,
                "calls": 0, "primitive_calls": 0, "threads": 0, "total_ns": 0.0,
                "cumulative_ns": 0.0, "self_ns": 0.0, "max_call_ns": 0.0, "entry_ns": 0.0,
                "memory": null, "lines": [],
            }],
        },
    });
    serde_json::from_value(document).expect("the hand-built report matches the model")
}

fn supplement() -> Supplement {
    Supplement {
        generated: Some("2025-01-02 03:04 UTC".to_string()),
        python: Some(PythonComparison {
            schema: hiperf_report::python::SCHEMA.to_string(),
            interpreter: Some("Python 3.11.7".to_string()),
            numpy: None,
            runs: vec![PythonRun {
                program: "julia_pure.py 100 300".to_string(),
                workload: "ch02/julia/naive".to_string(),
                seconds: Some(0.05),
                runs: vec![0.05, 0.051],
                result: "sum 334236".to_string(),
                passed: true,
                message: String::new(),
                rust_seconds: Some(0.0084),
                rust_isa: Some("avx512f+avx512bw".to_string()),
                scale: 1.0,
                note: String::new(),
            }],
            notes: vec!["numpy does not import, so diffusion_numpy.py 64 100 did not run".into()],
            ..PythonComparison::default()
        }),
    }
}

/// Checks that every element opened is closed in order (void elements and `/>` aside),
/// skipping the raw text of `<style>`. Returns the first problem.
fn check_balanced(html: &str) -> Result<usize, String> {
    const VOID: [&str; 8] = ["meta", "link", "br", "hr", "img", "input", "col", "wbr"];
    let mut stack: Vec<String> = Vec::new();
    let mut elements = 0;
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start..];
        if rest.starts_with("<!") {
            let end = rest.find('>').ok_or("unclosed declaration")?;
            rest = &rest[end + 1..];
            continue;
        }
        let end = rest.find('>').ok_or("unclosed tag")?;
        let tag = &rest[1..end];
        if tag.contains('<') {
            return Err(format!("'<' inside a tag: {tag}"));
        }
        let self_closing = tag.ends_with('/');
        if let Some(name) = tag.strip_prefix('/') {
            let name = name.trim();
            match stack.pop() {
                Some(open) if open == name => {}
                other => return Err(format!("</{name}> closes {other:?}")),
            }
        } else {
            let name: String = tag
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            if name.is_empty() {
                return Err(format!("a bare '<' in text: <{tag}>"));
            }
            elements += 1;
            if !self_closing && !VOID.contains(&name.as_str()) {
                stack.push(name.clone());
            }
            if name == "style" {
                let close = rest.find("</style>").ok_or("unclosed <style>")?;
                rest = &rest[close..];
                continue;
            }
        }
        rest = &rest[end + 1..];
    }
    if stack.is_empty() {
        Ok(elements)
    } else {
        Err(format!("left open: {stack:?}"))
    }
}

#[test]
fn markdown_renders_the_summary_python_figures_and_line_tables() {
    let markdown = hiperf_report::markdown::render_with(&report(), &supplement());
    assert!(markdown.starts_with("# hiperf report\n"));
    assert!(markdown.contains("## Chapter 2: Profiling"));
    assert!(markdown.contains("| variant | median s | min s | max s | vs naive |"));
    // The pipe inside the description's code span is escaped so the table keeps its columns.
    assert!(markdown.contains("`while n < maxiter && \\|z\\| < 2` on Vec&lt;Complex64&gt;"));
    assert!(markdown.contains("| `simd` | 0.0004 |"), "{markdown}");
    assert!(markdown.contains("21.0x"), "speedup of simd over naive");
    assert!(markdown.contains("**FAILED**"));
    assert!(markdown.contains("Python beside `naive`: 3.6439 s, CPython 3.11"));
    // Line tables are verbatim in fences, like the terminal's.
    assert!(markdown.contains("```text\nTotal time:"));
    assert!(markdown.contains(HOSTILE_LINE));
    assert!(markdown.contains("Mem usage"));
    assert!(markdown.contains("Annotated but not called in this run: `never_called`."));
    assert!(markdown.contains("## Rust vs Python, measured in this session"));
    assert!(markdown.contains(
        "| `julia_pure.py 100 300` | 0.05 | `ch02/julia/naive [avx512f+avx512bw]` | 0.0084 | 6.0x |"
    ));
    assert_eq!(markdown.matches("```").count() % 2, 0, "fences are paired");
}

#[test]
fn text_summary_keeps_six_significant_digits() {
    let mut report = report();
    report.workloads[1].seconds.as_mut().expect("timed").median = 0.000_001_833;
    let text = hiperf_report::text::render_summary(&report);
    assert!(text.contains("ch02/julia/simd"), "{text}");
    assert!(text.contains("0.000001833"), "{text}");
    assert!(!text.contains("0.0000 "), "{text}");
    assert!(text.contains("0.0084 "), "{text}");
}

#[test]
fn markdown_renders_a_report_without_profile_or_supplement() {
    let mut report = report();
    report.profile = None;
    let markdown = hiperf_report::markdown::render(&report);
    assert!(!markdown.contains("```"));
    assert!(!markdown.contains("Rust vs Python"));
}

#[test]
fn html_is_balanced_and_self_contained() {
    let html = hiperf_report::html::render_with(&report(), &supplement());
    let elements = check_balanced(&html).unwrap_or_else(|problem| panic!("{problem}"));
    assert!(elements > 100, "only {elements} elements");
    for scheme in ["http://", "https://"] {
        for (index, _) in html.match_indices(scheme) {
            let before = &html[index.saturating_sub(7)..index];
            assert_eq!(before, "xmlns=\"", "an external URL at byte {index}");
        }
    }
    for external in ["<script", "<link", "<img", "<iframe", "@import", "url("] {
        assert!(!html.contains(external), "{external} in the page");
    }
}

#[test]
fn html_escapes_source_lines_and_report_text() {
    let html = hiperf_report::html::render_with(&report(), &supplement());
    assert!(!html.contains("<script>"));
    assert!(html.contains(
        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;; // a &lt; b &amp;&amp; c &gt; d"
    ));
    assert!(html.contains("Test CPU &lt;fast&gt; &amp; cheap"));
}

#[test]
fn html_shows_charts_checks_tables_and_python_rows() {
    let html = hiperf_report::html::render_with(&report(), &supplement());
    // One bar per variant, each with a tooltip naming its speedup.
    assert_eq!(html.matches("<rect class=\"bar ").count(), 3);
    assert!(html.contains("ch02/julia/simd: median 0.0004 s"));
    assert!(html.contains("21.0x vs naive"));
    assert!(html.contains("<rect class=\"bar failed\""));
    // A memory chart only where the series has two points or more: the naive variant here.
    assert_eq!(html.matches("class=\"chart lines\"").count(), 1);
    // The hot line's bar is 90% wide (900 of 1000 ns).
    assert!(html.contains("style=\"background-size: 90.0% 100%\""));
    assert!(html.contains("<th scope=\"col\" class=\"num\">% Time</th>"));
    assert!(html.contains("<th scope=\"col\" class=\"num\">Mem usage</th>"));
    assert!(html.contains("Date</dt><dd>2025-01-02 03:04 UTC"));
    assert!(html.contains("book-size figure"));
    assert!(html.contains("<code>julia_pure.py 100 300</code>"));
    assert!(html.contains("numpy does not import"));
    assert!(html.contains("1 of 3 failed") || html.contains("2 of 3 ok"));
}

#[test]
fn html_renders_an_empty_report() {
    let html = hiperf_report::html::render(&RunReport::new("quick", 1));
    check_balanced(&html).unwrap_or_else(|problem| panic!("{problem}"));
    assert!(!html.contains("<svg"));
}

#[test]
fn every_page_names_the_instruction_set_path_a_simd_variant_ran() {
    let report = report();
    let text = hiperf_report::text::render_summary(&report);
    let simd_row = text
        .lines()
        .find(|line| line.starts_with("ch02/julia/simd"))
        .expect("a row for the simd variant");
    assert!(simd_row.contains("avx2+fma"), "{simd_row}");
    let naive_row = text
        .lines()
        .find(|line| line.starts_with("ch02/julia/naive"))
        .expect("a row for the naive variant");
    assert!(!naive_row.contains("avx"), "{naive_row}");
    assert!(text.lines().next().is_some_and(|_| text.contains("path")));

    let markdown = hiperf_report::markdown::render_with(&report, &supplement());
    assert!(markdown.contains("| path |"), "{markdown}");
    assert!(markdown.contains("| `avx2+fma` |"), "{markdown}");
    assert!(
        markdown.contains("`ch02/julia/naive [avx512f+avx512bw]`"),
        "{markdown}"
    );

    let html = hiperf_report::html::render_with(&report, &supplement());
    assert!(html.contains("<td><code>avx2+fma</code></td>"), "{html}");
    assert!(html.contains("<code>ch02/julia/naive [avx512f+avx512bw]</code>"));

    let json = serde_json::to_value(&report).expect("the report serialises");
    assert_eq!(json["workloads"][1]["isa"], "avx2+fma");
    assert!(json["workloads"][0]["isa"].is_null());
}
