//! `cargo xtask compare BASE.json [NEW.json]`: what changed between two runs, per workload,
//! per function and per line, flagged where beyond noise. Exits 1 when something got worse,
//! so that CI can catch a regression at line granularity.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use hiperf_report::model::{Profile, RunReport};
use hiperf_runtime::report::duration;
use hiperf_runtime::snapshot::{FunctionProfile, LineProfile};

use crate::root;

#[derive(clap::Args)]
pub struct Args {
    /// The earlier run: a `report.json` (hiperf.report/1) or a profile (hiperf.profile/1).
    base: PathBuf,
    /// The later run [default: target/hiperf/report.json].
    new: Option<PathBuf>,
    /// Relative change, in percent, below which a time is noise.
    #[arg(long, default_value_t = 10.0)]
    threshold: f64,
}

/// One run as read from disk.
pub(crate) struct Run {
    pub(crate) report: Option<RunReport>,
    pub(crate) profile: Option<Profile>,
}

pub(crate) fn read(path: &Path) -> Result<Run, String> {
    let text = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let value: serde_json::Value = serde_json::from_slice(&text)
        .map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
    let schema = value
        .get("schema")
        .and_then(|s| s.as_str())
        .unwrap_or_default()
        .to_string();
    let invalid =
        |e: serde_json::Error| format!("{} does not follow {schema}: {e}", path.display());
    match schema.as_str() {
        "hiperf.report/1" => {
            let report: RunReport = serde_json::from_value(value).map_err(invalid)?;
            Ok(Run {
                profile: report.profile.clone(),
                report: Some(report),
            })
        }
        "hiperf.profile/1" => Ok(Run {
            report: None,
            profile: Some(serde_json::from_value(value).map_err(invalid)?),
        }),
        other => Err(format!(
            "{}: unknown schema `{other}`; expected hiperf.report/1 or hiperf.profile/1",
            path.display()
        )),
    }
}

/// A finding: what, before, after, and whether it is worse.
struct Finding {
    place: String,
    what: String,
    worse: bool,
}

pub fn run(args: &Args) -> Result<ExitCode, String> {
    let new_path = args
        .new
        .clone()
        .unwrap_or_else(|| root().join("target/hiperf/report.json"));
    let worse = compare(&args.base, &new_path, args.threshold)?;
    Ok(if worse {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Prints what changed between two runs; returns whether something got worse.
pub fn compare(base_path: &Path, new_path: &Path, threshold_percent: f64) -> Result<bool, String> {
    let base = read(base_path)?;
    let new = read(new_path)?;
    let threshold = threshold_percent / 100.0;
    let mut findings = Vec::new();
    if let (Some(base), Some(new)) = (&base.report, &new.report) {
        compare_workloads(base, new, threshold, &mut findings);
    }
    if let (Some(base), Some(new)) = (&base.profile, &new.profile) {
        compare_profiles(base, new, threshold, &mut findings);
    }
    println!(
        "Comparing {} (base) with {} (new); time noise threshold {threshold_percent}%",
        base_path.display(),
        new_path.display()
    );
    if findings.is_empty() {
        println!("No change beyond noise.");
        return Ok(false);
    }
    let worse = findings.iter().filter(|f| f.worse).count();
    let width = findings
        .iter()
        .map(|f| f.place.chars().count())
        .max()
        .unwrap_or(0);
    for finding in &findings {
        let mark = if finding.worse { "WORSE " } else { "better" };
        println!("{mark}  {:width$}  {}", finding.place, finding.what);
    }
    println!(
        "\n{} change(s) beyond noise, {worse} of them worse.",
        findings.len()
    );
    Ok(worse > 0)
}

fn relative(base: f64, new: f64) -> f64 {
    if base == 0.0 {
        if new == 0.0 { 0.0 } else { f64::INFINITY }
    } else {
        (new - base) / base
    }
}

fn compare_workloads(
    base: &RunReport,
    new: &RunReport,
    threshold: f64,
    findings: &mut Vec<Finding>,
) {
    for workload in &new.workloads {
        let Some(before) = base.workloads.iter().find(|w| w.id == workload.id) else {
            continue;
        };
        if before.check.passed && !workload.check.passed {
            let what = if workload.check.skipped {
                "now skipped"
            } else {
                "check now fails"
            };
            findings.push(Finding {
                place: workload.id.clone(),
                what: format!("{what}: {}", workload.check.message),
                worse: !workload.check.skipped,
            });
        }
        let (Some(old), Some(now)) = (&before.seconds, &workload.seconds) else {
            continue;
        };
        // Beyond noise: past the threshold and outside the other run's min..max.
        let change = relative(old.median, now.median);
        let outside = now.median > old.max.max(now.min) || now.median < old.min.min(now.max);
        if change.abs() > threshold && outside && (now.max < old.min || now.min > old.max) {
            findings.push(Finding {
                place: workload.id.clone(),
                what: format!(
                    "median {:.4} s -> {:.4} s ({:+.1}%)",
                    old.median,
                    now.median,
                    change * 100.0
                ),
                worse: change > 0.0,
            });
        }
        if let (Some(old), Some(now)) = (&before.memory, &workload.memory)
            && now.peak_bytes != old.peak_bytes
            && relative(old.peak_bytes as f64, now.peak_bytes as f64).abs() > threshold
        {
            findings.push(Finding {
                place: workload.id.clone(),
                what: format!("peak heap {} B -> {} B", old.peak_bytes, now.peak_bytes),
                worse: now.peak_bytes > old.peak_bytes,
            });
        }
    }
}

/// Lines are matched by their text and its occurrence in the function, so that code moved
/// by an edit above it still compares with itself.
fn line_keys(function: &FunctionProfile) -> HashMap<(String, usize), &LineProfile> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut keys = HashMap::new();
    for line in function.lines.iter().filter(|l| l.probed) {
        let text = line.contents.trim().to_string();
        let occurrence = seen.entry(text.clone()).or_default();
        *occurrence += 1;
        keys.insert((text, *occurrence), line);
    }
    keys
}

fn compare_profiles(base: &Profile, new: &Profile, threshold: f64, findings: &mut Vec<Finding>) {
    let probe = base.clock.probe_line_ns.max(new.clock.probe_line_ns);
    for function in &new.functions {
        let Some(before) = base
            .functions
            .iter()
            .find(|f| f.module_path == function.module_path && f.name == function.name)
        else {
            continue;
        };
        let name = format!("{}::{}", function.module_path, function.name);
        if function.calls != before.calls {
            findings.push(Finding {
                place: name.clone(),
                what: format!("calls {} -> {}", before.calls, function.calls),
                worse: function.calls > before.calls,
            });
        }
        let old_lines = line_keys(before);
        for (key, line) in line_keys(function) {
            let Some(old) = old_lines.get(&key) else {
                continue;
            };
            let place = format!("{}:{}", function.file, line.line);
            let text = key.0.chars().take(50).collect::<String>();
            if line.hits != old.hits {
                findings.push(Finding {
                    place: place.clone(),
                    what: format!("hits {} -> {}  {text}", old.hits, line.hits),
                    worse: line.hits > old.hits,
                });
            }
            // Time: past the threshold, by more than three probe costs per hit, and by more
            // than 1% of the function's time (one profiled run cannot resolve less).
            let change = relative(old.time_ns, line.time_ns);
            let floor = (3.0 * probe * line.hits.max(old.hits) as f64)
                .max(0.01 * before.total_ns.max(function.total_ns));
            if change.abs() > threshold && (line.time_ns - old.time_ns).abs() > floor {
                findings.push(Finding {
                    place: place.clone(),
                    what: format!(
                        "time {} -> {} ({:+.1}%)  {text}",
                        duration(old.time_ns),
                        duration(line.time_ns),
                        change * 100.0
                    ),
                    worse: change > 0.0,
                });
            }
            if let (Some(old_memory), Some(memory)) = (&old.memory, &line.memory) {
                // Heap figures are exact: any change is real.
                if memory.increment_bytes != old_memory.increment_bytes
                    || memory.peak_bytes != old_memory.peak_bytes
                {
                    findings.push(Finding {
                        place,
                        what: format!(
                            "heap increment {} -> {} B, peak {} -> {} B  {text}",
                            old_memory.increment_bytes,
                            memory.increment_bytes,
                            old_memory.peak_bytes,
                            memory.peak_bytes
                        ),
                        worse: memory.peak_bytes > old_memory.peak_bytes
                            || memory.increment_bytes > old_memory.increment_bytes,
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(hits: u64, time_ns: f64, increment: i64) -> Profile {
        let line = |number: u32, contents: &str, hits: u64, time_ns: f64| {
            serde_json::json!({
                "line": number, "contents": contents, "probed": true, "hits": hits, "time_ns": time_ns,
                "memory": { "usage_bytes": 0, "increment_bytes": increment, "peak_bytes": increment.max(0),
                            "allocations": 1, "allocated_bytes": increment.max(0) }
            })
        };
        serde_json::from_value(serde_json::json!({
            "schema": "hiperf.profile/1",
            "clock": { "source": "tsc", "ticks_per_ns": 2.4, "invariant": true, "probe_line_ns": 10.0,
                       "probe_call_ns": 20.0, "probe_subtracted": false },
            "functions": [{
                "name": "work", "module_path": "app", "file": "src/main.rs", "line": 1, "is_async": false,
                "measures_time": true, "measures_memory": true, "calls": 1, "primitive_calls": 1, "threads": 1,
                "total_ns": 1e6 + time_ns, "cumulative_ns": 1e6 + time_ns, "self_ns": 1e6 + time_ns,
                "max_call_ns": 1e6 + time_ns, "entry_ns": 0.0, "memory": null,
                "lines": [line(2, "    let a = 1;", 1, 1e6), line(3, "    heavy(a);", hits, time_ns)]
            }]
        }))
        .unwrap()
    }

    fn findings(base: &Profile, new: &Profile) -> Vec<Finding> {
        let mut findings = Vec::new();
        compare_profiles(base, new, 0.10, &mut findings);
        findings
    }

    #[test]
    fn the_same_run_has_no_finding() {
        assert!(findings(&profile(100, 5e6, 8), &profile(100, 5e6, 8)).is_empty());
    }

    #[test]
    fn a_change_in_hits_is_always_flagged() {
        let found = findings(&profile(100, 5e6, 8), &profile(101, 5e6, 8));
        assert_eq!(found.len(), 1);
        assert!(found[0].worse && found[0].what.starts_with("hits 100 -> 101"));
    }

    #[test]
    fn time_is_flagged_only_beyond_the_threshold_and_the_floor() {
        assert!(
            findings(&profile(100, 5e6, 8), &profile(100, 5.2e6, 8)).is_empty(),
            "4% is noise"
        );
        let slower = findings(&profile(100, 5e6, 8), &profile(100, 7e6, 8));
        assert_eq!(slower.len(), 1);
        assert!(slower[0].worse && slower[0].place == "src/main.rs:3");
        let faster = findings(&profile(100, 5e6, 8), &profile(100, 3e6, 8));
        assert!(!faster[0].worse);
    }

    #[test]
    fn any_change_in_exact_heap_figures_is_flagged() {
        let found = findings(&profile(100, 5e6, 8), &profile(100, 5e6, 16));
        assert!(
            found
                .iter()
                .any(|f| f.worse && f.what.starts_with("heap increment 8 -> 16"))
        );
    }
}
