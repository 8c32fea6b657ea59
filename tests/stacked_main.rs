//! `#[hiperf::main]` stacked over `#[hiperf::profile]` on `main`: the report written when
//! `main` returns counts `main`'s own call and keeps its lines.
//!
//! A test without the harness: the binary runs itself as a child with `HIPERF_JSON` set and
//! reads the child's report.

use std::process::Command;

const CHILD: &str = "HIPERF_STACKED_MAIN_CHILD";

#[hiperf::main]
#[hiperf::profile]
fn main() {
    let is_child = std::env::var_os(CHILD).is_some();
    if is_child {
        let mut total = 0_u64;
        for i in 0..3 {
            total += i;
        }
        assert_eq!(total, 3);
    } else if hiperf::ENABLED {
        check_the_childs_report();
    }
}

fn check_the_childs_report() {
    let path =
        std::env::temp_dir().join(format!("hiperf-stacked-main-{}.json", std::process::id()));
    let status = Command::new(std::env::current_exe().expect("the test binary"))
        .env(CHILD, "1")
        .env("HIPERF_JSON", &path)
        .env("HIPERF_REPORT", "off")
        .status()
        .expect("the child runs");
    assert!(status.success(), "the child failed: {status}");
    let text = std::fs::read_to_string(&path).expect("the child wrote its JSON report");
    let _ = std::fs::remove_file(&path);
    let profile: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let functions = profile["functions"].as_array().expect("functions");
    let main = functions
        .iter()
        .find(|f| f["name"] == "main")
        .expect("main is listed");
    assert_eq!(
        main["calls"], 1,
        "main's call is counted before the report is written"
    );
    let lines = main["lines"].as_array().expect("lines");
    let line = |text: &str| {
        lines
            .iter()
            .find(|l| l["contents"].as_str().is_some_and(|c| c.contains(text)))
            .unwrap_or_else(|| panic!("no line contains {text:?}"))
    };
    assert_eq!(line("total += i;")["hits"], 3);
    assert_eq!(line("for i in 0..3")["hits"], 4);
    println!("stacked_main: ok");
}
