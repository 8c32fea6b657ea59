//! The figures a workload records beside its timed region reach every page: a table per
//! ladder, and in the HTML a bytes chart and an estimate-against-exact chart.

use hiperf_report::model::RunReport;

fn workload(variant: &str, rank: u8, figures: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "id": format!("ch11/unique-items/{variant}"),
        "chapter": 11,
        "name": "unique-items",
        "variant": variant,
        "rank": rank,
        "description": "a structure",
        "parameters": "`str(i)` for i < 100000",
        "result": "ok",
        "check": {"passed": true, "message": ""},
        "seconds": {"median": 0.01, "min": 0.01, "max": 0.01, "runs": [0.01]},
        "profiled_seconds": null,
        "memory": null,
        "python": null,
        "figures": figures,
    })
}

fn report() -> RunReport {
    let figures = |held: f64, estimate: f64| {
        serde_json::json!([
            {"name": "held bytes", "value": held, "unit": "bytes"},
            {"name": "estimate", "value": estimate, "unit": "count"},
            {"name": "exact", "value": 100000.0, "unit": "count"},
        ])
    };
    serde_json::from_value(serde_json::json!({
        "schema": "hiperf.report/1",
        "size": "quick",
        "runs": 1,
        "machine": {"cpu": "Test CPU", "cores": 2, "platform": "linux-x86_64"},
        "workloads": [
            workload("exact-set", 0, figures(3_765_000.0, 100000.0)),
            workload("hyperloglog", 1, figures(144.0, 80977.0)),
            workload("llregister", 2, figures(0.0, 1048576.0)),
        ],
        "profile": null,
    }))
    .expect("the report parses")
}

#[test]
fn a_report_without_figures_still_parses() {
    let mut document = serde_json::to_value(report()).unwrap();
    for workload in document["workloads"].as_array_mut().unwrap() {
        workload.as_object_mut().unwrap().remove("figures");
    }
    let report: RunReport = serde_json::from_value(document).unwrap();
    assert!(report.workloads.iter().all(|w| w.figures.is_empty()));
    let html = hiperf_report::html::render(&report);
    assert!(!html.contains("Measured beside the timed region"));
}

#[test]
fn the_html_draws_bytes_and_estimates_against_the_exact_count() {
    let html = hiperf_report::html::render(&report());
    assert!(html.contains("ch11/unique-items: held bytes per variant"));
    assert!(html.contains("ch11/unique-items: estimate against the exact count"));
    // The estimate 10x the exact count is cut at the axis's end and says so.
    assert!(html.contains("1048576 (+948.6%), beyond the axis"));
    assert!(html.contains("80977 (-19.0%)"));
    assert!(html.contains("144 B, 1/26146 of naive"));
    assert!(html.contains("<table class=\"figures\">"));
}

#[test]
fn text_and_markdown_tables_list_every_figure() {
    let report = report();
    let text = hiperf_report::text::render_summary(&report);
    assert!(text.contains("ch11/unique-items, measured beside the timed region:"));
    let row = text
        .lines()
        .find(|line| line.trim_start().starts_with("hyperloglog"))
        .expect("a row for hyperloglog");
    assert_eq!(
        row.split_whitespace().collect::<Vec<_>>(),
        ["hyperloglog", "144", "B", "80977", "100000"]
    );
    let markdown = hiperf_report::markdown::render(&report);
    assert!(markdown.contains("| variant | held bytes | estimate | exact |"));
    assert!(markdown.contains("| `llregister` | 0 B | 1048576 | 100000 |"));
}

#[test]
fn the_python_memory_comparison_gives_the_heap_ratio_on_every_page() {
    use hiperf_report::python::{MemoryRun, PythonComparison};
    use hiperf_report::supplement::Supplement;

    let row = |program: &str, python: Option<f64>, passed: bool| MemoryRun {
        program: program.to_string(),
        workload: "ch11/text-containers/hash-set".to_string(),
        python_bytes: python,
        rust_bytes: Some(15_000_000.0),
        python_seconds: Some(0.4),
        rust_seconds: Some(0.1),
        python_lookup_seconds: Some(0.09),
        rust_lookup_seconds: Some(0.004),
        message: if passed {
            "354983 entries"
        } else {
            "exited with 1"
        }
        .to_string(),
        passed,
    };
    let comparison = PythonComparison {
        interpreter: Some("Python 3.11.7".to_string()),
        memory: vec![
            row("text_containers.py set", Some(37_500_000.0), true),
            row("text_containers.py dict", None, false),
        ],
        ..PythonComparison::default()
    };
    assert_eq!(comparison.memory[0].bytes_ratio(), Some(2.5));
    assert_eq!(comparison.memory[1].bytes_ratio(), None);
    let supplement = Supplement {
        generated: None,
        python: Some(comparison.clone()),
    };
    let html = hiperf_report::html::render_with(&report(), &supplement);
    assert!(html.contains("<table class=\"python memory-comparison\">"));
    assert!(html.contains("<td class=\"num\">35.763 MiB</td>"));
    assert!(html.contains("<td class=\"failed\">FAILED: exited with 1</td>"));
    let markdown = hiperf_report::markdown::render_with(&report(), &supplement);
    assert!(markdown.contains(
        "| `text_containers.py set` | 35.763 MiB | `ch11/text-containers/hash-set` | 14.305 MiB |"
    ));
    let text = hiperf_report::python::render_text(&comparison);
    assert!(text.contains("Heap held, Python (tracemalloc) against Rust"));
    let set_row = text
        .lines()
        .find(|line| line.starts_with("text_containers.py set"))
        .unwrap();
    assert!(set_row.contains("2.5x"), "{set_row}");
    // A comparison written before the memory rows still reads.
    let old: PythonComparison =
        serde_json::from_str(r#"{"interpreter": null, "numpy": null, "runs": [], "notes": []}"#)
            .unwrap();
    assert!(old.memory.is_empty());
}
