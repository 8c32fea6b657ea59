//! `cargo xtask compare` as a CI gate on two profiles (as `HIPERF_JSON` writes them): exit 0
//! when no rule is broken, 1 naming the broken rule, 2 for a bad rules file.

use std::path::{Path, PathBuf};
use std::process::Command;

fn profile(hits: u64, time_ns: f64, allocations: u64) -> serde_json::Value {
    let line = |number: u32, contents: &str, hits: u64, time_ns: f64, allocations: u64| {
        serde_json::json!({
            "line": number, "contents": contents, "probed": true, "hits": hits, "time_ns": time_ns,
            "memory": { "usage_bytes": 64, "increment_bytes": 0, "peak_bytes": 64,
                        "allocations": allocations, "allocated_bytes": 64 * allocations }
        })
    };
    serde_json::json!({
        "schema": "hiperf.profile/2",
        "clock": { "source": "tsc", "ticks_per_ns": 2.4, "invariant": true, "probe_line_ns": 10.0,
                   "probe_call_ns": 20.0, "probe_subtracted": false },
        "functions": [{
            "name": "parse", "module_path": "app", "file": "src/lib.rs", "line": 10, "is_async": false,
            "measures_time": true, "measures_memory": true, "calls": 5, "primitive_calls": 5, "threads": 1,
            "total_ns": 2e6 + time_ns, "cumulative_ns": 2e6 + time_ns, "self_ns": 2e6 + time_ns,
            "max_call_ns": 1e6, "entry_ns": 0.0, "memory": null,
            "lines": [line(11, "    let fields = split(text);", 5, 2e6, 5),
                      line(12, "    for field in fields {", hits, time_ns, allocations)]
        }]
    })
}

struct Folder(PathBuf);

impl Folder {
    fn new(name: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("hiperf-compare-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&path).unwrap();
        Folder(path)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `cargo xtask compare BASE NEW [--config RULES]` in `folder`: exit code and stdout.
fn compare(
    folder: &Folder,
    base: &Path,
    new: &Path,
    rules: Option<&Path>,
) -> (i32, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command
        .current_dir(&folder.0)
        .arg("compare")
        .arg(base)
        .arg(new);
    if let Some(rules) = rules {
        command.arg("--config").arg(rules);
    }
    let output = command.output().unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn the_same_figures_pass_and_time_within_noise_passes() {
    let folder = Folder::new("pass");
    let base = folder.write("base.json", &profile(101, 5e6, 3).to_string());
    let new = folder.write("new.json", &profile(101, 5.3e6, 3).to_string());
    let (code, out, _) = compare(&folder, &base, &new, None);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("PASSED: no change beyond noise."), "{out}");
}

#[test]
fn one_more_hit_or_allocation_fails_naming_the_rule() {
    let folder = Folder::new("fail");
    let base = folder.write("base.json", &profile(101, 5e6, 3).to_string());
    let new = folder.write("new.json", &profile(102, 5e6, 4).to_string());
    let (code, out, _) = compare(&folder, &base, &new, None);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL    exact.hits"), "{out}");
    assert!(
        out.contains("hits 101 -> 102  for field in fields {"),
        "{out}"
    );
    assert!(out.contains("FAIL    exact.allocations"), "{out}");
    assert!(out.contains("FAIL    exact.allocated_bytes"), "{out}");
    assert!(
        out.contains("FAILED: 3 change(s) break a rule: exact.hits (1), exact.allocations (1), exact.allocated_bytes (1)."),
        "{out}"
    );
}

#[test]
fn a_committed_rules_file_is_found_and_obeyed() {
    let folder = Folder::new("rules");
    let base = folder.write("base.json", &profile(101, 5e6, 3).to_string());
    let slower = folder.write("new.json", &profile(101, 9e6, 3).to_string());
    let (code, out, _) = compare(&folder, &base, &slower, None);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL    time"), "{out}");
    // The project's file in the current directory lists slower lines without failing.
    folder.write("hiperf-compare.toml", "[time]\nfail = false\n");
    let (code, out, _) = compare(&folder, &base, &slower, None);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("\nRules: hiperf-compare.toml\n"), "{out}");
    assert!(out.contains("worse   time"), "{out}");
}

#[test]
fn a_run_that_cannot_be_read_exits_2() {
    let folder = Folder::new("missing");
    let base = folder.write("base.json", &profile(101, 5e6, 3).to_string());
    let (code, _, err) = compare(&folder, &base, &folder.0.join("missing.json"), None);
    assert_eq!(code, 2);
    assert!(
        err.contains("cannot read") && err.contains("missing.json"),
        "{err}"
    );
    let other = folder.write("other.json", "{\"schema\": \"speedscope\"}");
    let (code, _, err) = compare(&folder, &base, &other, None);
    assert_eq!(code, 2);
    assert!(err.contains("unknown schema `speedscope`"), "{err}");
}

#[test]
fn a_bad_rules_file_exits_2_naming_the_key() {
    let folder = Folder::new("bad");
    let base = folder.write("base.json", &profile(101, 5e6, 3).to_string());
    let rules = folder.write("rules.toml", "[exact]\nhit = \"change\"\n");
    let (code, _, err) = compare(&folder, &base, &base, Some(&rules));
    assert_eq!(code, 2);
    assert!(
        err.contains("rules.toml") && err.contains("unknown field `hit`"),
        "{err}"
    );
}
