//! A chart a workload drew from its measurements (chapter 8's sweep of concurrency against
//! delay) reaches every page: drawn in the HTML under its ladder, tabulated in the Markdown,
//! and carried through the JSON; so does a workload's note (a book parameter run smaller),
//! printed by the terminal summary too. Reports without either read as before.

use hiperf_report::model::{Chart, ChartSeries, RunReport};

fn sweep_report() -> RunReport {
    let document = serde_json::json!({
        "schema": "hiperf.report/1",
        "size": "book",
        "runs": 3,
        "machine": {"cpu": "Test CPU", "cores": 2, "platform": "linux-x86_64"},
        "workloads": [{
            "id": "ch08/parallel-requests/async-sweep",
            "chapter": 8,
            "name": "parallel-requests",
            "variant": "async-sweep",
            "rank": 0,
            "description": "parallel_requests.py",
            "parameters": "500 requests per point",
            "result": "40 points, every request answered",
            "check": {"passed": true, "message": ""},
            "seconds": {"median": 4.2, "min": 4.1, "max": 4.4, "runs": [4.1, 4.2, 4.4]},
            "profiled_seconds": null,
            "memory": null,
            "python": null,
            "notes": ["sweeps delays of [1, 5] ms in place of the book's <50 to 800> ms"],
            "charts": [{
                "title": "Wall time of 500 requests <by> concurrency",
                "x_label": "requests in flight at most (concurrency)",
                "y_label": "wall seconds",
                "log_y": true,
                "series": [
                    {"name": "delay 1 ms", "points": [[1.0, 0.61], [26.0, 0.031], [476.0, 0.012]]},
                    {"name": "delay 5 ms", "points": [[1.0, 2.58], [26.0, 0.104], [476.0, 0.015]]}
                ]
            }]
        }],
        "profile": null
    });
    serde_json::from_value(document).expect("the document matches the model")
}

#[test]
fn the_html_draws_the_chart_under_its_ladder_with_a_point_per_measurement() {
    let html = hiperf_report::html::render(&sweep_report());
    let ladder = html
        .find("id=\"ch08-parallel-requests\"")
        .expect("the ladder's section");
    let chart = html.find("class=\"chart xy\"").expect("the chart");
    assert!(chart > ladder, "the chart is in the ladder's section");
    assert_eq!(html.matches("<circle class=\"dot\"").count(), 6);
    assert!(html.contains("delay 1 ms") && html.contains("delay 5 ms"));
    assert!(html.contains("Wall time of 500 requests &lt;by&gt; concurrency"));
    assert!(html.contains("wall seconds (log scale)"));
    // Decade ticks from 0.01 s to 10 s cover 0.012 to 2.58 s.
    assert!(
        html.contains(">0.01 s<") && html.contains(">10 s<"),
        "{html}"
    );
    assert!(html.contains("measured by <code>async-sweep</code>"));
}

#[test]
fn the_markdown_tabulates_the_chart_one_row_per_concurrency() {
    let markdown = hiperf_report::markdown::render(&sweep_report());
    assert!(
        markdown.contains("| requests in flight at most (concurrency) | delay 1 ms | delay 5 ms |")
    );
    assert!(markdown.contains("| 1 | 0.61 | 2.58 |"), "{markdown}");
    assert!(markdown.contains("| 476 | 0.012 | 0.015 |"));
}

#[test]
fn charts_survive_the_json_and_reports_without_them_omit_the_field() {
    let report = sweep_report();
    let json = serde_json::to_string(&report).unwrap();
    let back: RunReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, report);
    assert_eq!(
        back.workloads[0].charts[0].series[1],
        ChartSeries {
            name: "delay 5 ms".into(),
            points: vec![(1.0, 2.58), (26.0, 0.104), (476.0, 0.015)],
        }
    );
    let mut plain = report;
    plain.workloads[0].charts = Vec::<Chart>::new();
    let json = serde_json::to_string(&plain).unwrap();
    assert!(!json.contains("charts"));
    let html = hiperf_report::html::render(&plain);
    assert!(!html.contains("chart xy"));
}

#[test]
fn every_page_prints_a_note_once_for_the_ladder_that_shares_it() {
    let mut report = sweep_report();
    let mut second = report.workloads[0].clone();
    second.id = "ch08/parallel-requests/threads-sweep".into();
    second.variant = "threads-sweep".into();
    second.rank = 1;
    second.charts.clear();
    second.notes.push("uses 476 threads".into());
    report.workloads.push(second);

    let text = hiperf_report::text::render_summary(&report);
    assert!(
        text.contains("Notes:\n  ch08/parallel-requests: sweeps delays of [1, 5] ms"),
        "{text}"
    );
    assert!(text.contains("  ch08/parallel-requests/threads-sweep: uses 476 threads"));
    assert_eq!(text.matches("sweeps delays").count(), 1, "{text}");

    let markdown = hiperf_report::markdown::render(&report);
    assert!(
        markdown.contains("Note: sweeps delays of [1, 5] ms"),
        "{markdown}"
    );
    assert!(markdown.contains("- `threads-sweep`, note: uses 476 threads"));
    assert_eq!(markdown.matches("sweeps delays").count(), 1);

    let html = hiperf_report::html::render(&report);
    assert!(html.contains(
        "<p class=\"note\">Note: sweeps delays of [1, 5] ms in place of the book&#39;s &lt;50 to 800&gt; ms</p>"
    ), "{html}");
    assert!(html.contains("<div class=\"note\">Note: uses 476 threads</div>"));
    assert_eq!(html.matches("sweeps delays").count(), 1);

    let mut plain = sweep_report();
    plain.workloads[0].notes.clear();
    assert!(!hiperf_report::text::render_summary(&plain).contains("Notes:"));
    assert!(!serde_json::to_string(&plain).unwrap().contains("notes"));
}
