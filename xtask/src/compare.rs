//! `cargo xtask compare BASE.json [NEW.json]`: a CI gate between two runs, per workload, per
//! function and per line. Exact figures (calls, hits, allocations, bytes) are judged strictly,
//! times only past their noise floors, by the rules of `hiperf-compare.toml`; each change
//! names the rule it breaks, and the command exits 1 when any rule is broken.

mod rules;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use hiperf_report::model::{Profile, RunReport};
use hiperf_runtime::report::duration;
use hiperf_runtime::snapshot::{FunctionProfile, LineProfile};

use rules::Mode;
pub use rules::Rules;

use crate::root;

#[derive(clap::Args)]
pub struct Args {
    /// The earlier run: a `report.json` (hiperf.report/1) or a profile (hiperf.profile/3,
    /// as `HIPERF_JSON` writes it).
    base: PathBuf,
    /// The later run [default: target/hiperf/report.json].
    new: Option<PathBuf>,
    /// The rules [default: hiperf-compare.toml in the current directory, else in the
    /// workspace root, else built-in defaults].
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Overrides `[time] threshold_percent` and `[workloads] time_threshold_percent`.
    #[arg(long, value_name = "PERCENT")]
    threshold: Option<f64>,
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
    // `hiperf.profile/1` wrote call paths as whole stacks; the comparison reads functions only.
    let mut value = value;
    let forget_stacks = |profile: &mut serde_json::Value| {
        if profile.get("schema").and_then(|s| s.as_str()) == Some("hiperf.profile/1")
            && let Some(paths) = profile.get_mut("paths")
        {
            *paths = serde_json::Value::Array(Vec::new());
        }
    };
    if let Some(profile) = value.get_mut("profile") {
        forget_stacks(profile);
    }
    forget_stacks(&mut value);
    match schema.as_str() {
        "hiperf.report/1" => {
            let report: RunReport = serde_json::from_value(value).map_err(invalid)?;
            Ok(Run {
                profile: report.profile.clone(),
                report: Some(report),
            })
        }
        "hiperf.profile/1" | "hiperf.profile/2" | "hiperf.profile/3" => Ok(Run {
            report: None,
            profile: Some(serde_json::from_value(value).map_err(invalid)?),
        }),
        other => Err(format!(
            "{}: unknown schema `{other}`; expected hiperf.report/1 or hiperf.profile/3",
            path.display()
        )),
    }
}

/// What a change does to the gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    /// It breaks its rule: the gate fails.
    Fail,
    /// Worse, but its rule only reports it.
    Worse,
    /// Better.
    Better,
}

/// A change: the rule that judged it, where, what, and the verdict.
#[derive(Debug)]
struct Finding {
    rule: &'static str,
    place: String,
    what: String,
    verdict: Verdict,
}

/// The verdict of `mode` on an exact figure that went from `base` to `new`, if it moved.
fn judge<T: PartialOrd>(mode: Mode, base: T, new: T) -> Option<Verdict> {
    if base == new {
        return None;
    }
    let grew = new > base;
    Some(match mode {
        Mode::Change => Verdict::Fail,
        Mode::Increase if grew => Verdict::Fail,
        Mode::Report if grew => Verdict::Worse,
        Mode::Increase | Mode::Report => Verdict::Better,
    })
}

pub fn run(args: &Args) -> Result<ExitCode, String> {
    let new_path = args
        .new
        .clone()
        .unwrap_or_else(|| root().join("target/hiperf/report.json"));
    let current = std::env::current_dir().unwrap_or_default();
    let (mut rules, source) = match Rules::find(args.config.as_deref(), &[current, root()]) {
        Ok(found) => found,
        Err(message) => {
            eprintln!("error: {message}");
            return Ok(ExitCode::from(2));
        }
    };
    if let Some(threshold) = args.threshold {
        if !(threshold >= 0.0 && threshold.is_finite()) {
            eprintln!("error: --threshold {threshold}: expected a percentage >= 0");
            return Ok(ExitCode::from(2));
        }
        rules.time.threshold_percent = threshold;
        rules.workloads.time_threshold_percent = threshold;
    }
    // Exit 1 is for a broken rule only: a run that cannot be read is a usage error (2).
    match compare(&args.base, &new_path, &rules, &source) {
        Ok(true) => Ok(ExitCode::FAILURE),
        Ok(false) => Ok(ExitCode::SUCCESS),
        Err(message) => {
            eprintln!("error: {message}");
            Ok(ExitCode::from(2))
        }
    }
}

/// The rules `cargo xtask report --compare` uses: the same search as `cargo xtask compare`.
pub fn default_rules() -> Result<(Rules, String), String> {
    let current = std::env::current_dir().unwrap_or_default();
    Rules::find(None, &[current, root()])
}

/// Prints what changed between two runs, each change with the rule that judged it; returns
/// whether a rule is broken.
pub fn compare(
    base_path: &Path,
    new_path: &Path,
    rules: &Rules,
    source: &str,
) -> Result<bool, String> {
    let base = read(base_path)?;
    let new = read(new_path)?;
    let mut findings = Vec::new();
    let mut unmatched = Vec::new();
    if let (Some(base), Some(new)) = (&base.report, &new.report) {
        compare_workloads(base, new, rules, &mut findings);
    }
    if let (Some(base), Some(new)) = (&base.profile, &new.profile) {
        unmatched = compare_profiles(base, new, rules, &mut findings);
    }
    println!(
        "Comparing {} (base) with {} (new)\nRules: {source}",
        base_path.display(),
        new_path.display()
    );
    if !unmatched.is_empty() {
        println!(
            "Not in the base run (not compared): {}",
            unmatched.join(", ")
        );
    }
    print!("{}", render(&findings));
    Ok(findings.iter().any(|f| f.verdict == Verdict::Fail))
}

/// The findings, failures first, then a closing line naming the broken rules.
fn render(findings: &[Finding]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    if findings.is_empty() {
        out.push_str("PASSED: no change beyond noise.\n");
        return out;
    }
    let mut ordered: Vec<&Finding> = findings.iter().collect();
    ordered.sort_by_key(|f| match f.verdict {
        Verdict::Fail => 0,
        Verdict::Worse => 1,
        Verdict::Better => 2,
    });
    let rule_width = ordered.iter().map(|f| f.rule.len()).max().unwrap_or(0);
    let place_width = ordered
        .iter()
        .map(|f| f.place.chars().count())
        .max()
        .unwrap_or(0);
    for finding in &ordered {
        let mark = match finding.verdict {
            Verdict::Fail => "FAIL  ",
            Verdict::Worse => "worse ",
            Verdict::Better => "better",
        };
        let _ = writeln!(
            out,
            "{mark}  {:rule_width$}  {:place_width$}  {}",
            finding.rule, finding.place, finding.what
        );
    }
    let mut broken: Vec<(&str, usize)> = Vec::new();
    for finding in findings.iter().filter(|f| f.verdict == Verdict::Fail) {
        match broken.iter_mut().find(|(rule, _)| *rule == finding.rule) {
            Some((_, count)) => *count += 1,
            None => broken.push((finding.rule, 1)),
        }
    }
    let failures: usize = broken.iter().map(|(_, count)| count).sum();
    if broken.is_empty() {
        let _ = writeln!(
            out,
            "\nPASSED: {} change(s) listed, none breaks a rule.",
            findings.len()
        );
    } else {
        let rules: Vec<String> = broken
            .iter()
            .map(|(rule, count)| format!("{rule} ({count})"))
            .collect();
        let _ = writeln!(
            out,
            "\nFAILED: {failures} change(s) break a rule: {}.",
            rules.join(", ")
        );
    }
    out
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
    rules: &Rules,
    findings: &mut Vec<Finding>,
) {
    let time_threshold = rules.workloads.time_threshold_percent / 100.0;
    let heap_threshold = rules.workloads.peak_heap_percent / 100.0;
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
                rule: "check",
                place: workload.id.clone(),
                what: format!("{what}: {}", workload.check.message),
                verdict: if workload.check.skipped {
                    Verdict::Worse
                } else {
                    Verdict::Fail
                },
            });
        }
        if let (Some(old), Some(now)) = (&before.seconds, &workload.seconds) {
            // Beyond noise: past the threshold and outside the other run's min..max.
            let change = relative(old.median, now.median);
            if change.abs() > time_threshold && (now.max < old.min || now.min > old.max) {
                findings.push(Finding {
                    rule: "workloads.time_threshold_percent",
                    place: workload.id.clone(),
                    what: format!(
                        "median {:.4} s -> {:.4} s ({:+.1}%)",
                        old.median,
                        now.median,
                        change * 100.0
                    ),
                    verdict: if change > 0.0 {
                        Verdict::Fail
                    } else {
                        Verdict::Better
                    },
                });
            }
        }
        if let (Some(old), Some(now)) = (&before.memory, &workload.memory)
            && now.peak_bytes != old.peak_bytes
            && relative(old.peak_bytes as f64, now.peak_bytes as f64).abs() > heap_threshold
        {
            findings.push(Finding {
                rule: "workloads.peak_heap_percent",
                place: workload.id.clone(),
                what: format!("peak heap {} B -> {} B", old.peak_bytes, now.peak_bytes),
                verdict: if now.peak_bytes > old.peak_bytes {
                    Verdict::Fail
                } else {
                    Verdict::Better
                },
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

/// Compares every function of `new` with its namesake in `base`; returns the functions of
/// `new` that `base` does not have.
fn compare_profiles(
    base: &Profile,
    new: &Profile,
    rules: &Rules,
    findings: &mut Vec<Finding>,
) -> Vec<String> {
    let probe = base.clock.probe_line_ns.max(new.clock.probe_line_ns);
    let mut unmatched = Vec::new();
    for function in &new.functions {
        let name = format!("{}::{}", function.module_path, function.name);
        let Some(before) = base
            .functions
            .iter()
            .find(|f| f.module_path == function.module_path && f.name == function.name)
        else {
            unmatched.push(name);
            continue;
        };
        let mut push = |rule: &'static str, place: &str, what: String, verdict| {
            findings.push(Finding {
                rule,
                place: place.to_string(),
                what,
                verdict,
            });
        };
        if let Some(verdict) = judge(rules.exact.calls, before.calls, function.calls) {
            let what = format!("calls {} -> {}", before.calls, function.calls);
            push("exact.calls", &name, what, verdict);
        }
        if let (Some(old), Some(now)) = (&before.memory, &function.memory) {
            let peak = judge(rules.exact.heap, old.peak_bytes, now.peak_bytes);
            let increment = judge(rules.exact.heap, old.increment_bytes, now.increment_bytes);
            if let Some(verdict) = worst(peak, increment) {
                let what = format!(
                    "per call: heap peak {} -> {} B, increment {} -> {} B",
                    old.peak_bytes, now.peak_bytes, old.increment_bytes, now.increment_bytes
                );
                push("exact.heap", &name, what, verdict);
            }
        }
        // The median call: `None` when either run lacks it (no call ended), else whether
        // it is slower past its floor.
        let median_slower = match (&before.percentiles, &function.percentiles) {
            (Some(old), Some(now)) if function.measures_time => {
                let change = relative(old.p50_ns, now.p50_ns);
                let past = change.abs() > rules.time.median_percent / 100.0;
                if past {
                    let what = format!(
                        "median call {} -> {} ({:+.1}%)",
                        duration(old.p50_ns),
                        duration(now.p50_ns),
                        change * 100.0
                    );
                    push(
                        "time.median_percent",
                        &name,
                        what,
                        time_verdict(change, rules),
                    );
                }
                Some(past && change > 0.0)
            }
            _ => None,
        };
        let old_lines = line_keys(before);
        let mut new_lines: Vec<_> = line_keys(function).into_iter().collect();
        new_lines.sort_by_key(|(_, line)| line.line);
        for (key, line) in new_lines {
            let Some(old) = old_lines.get(&key) else {
                continue;
            };
            let place = format!("{}:{} ({name})", function.file, line.line);
            let text = key.0.chars().take(50).collect::<String>();
            if let Some(verdict) = judge(rules.exact.hits, old.hits, line.hits) {
                let what = format!("hits {} -> {}  {text}", old.hits, line.hits);
                push("exact.hits", &place, what, verdict);
            }
            // Time: past the threshold, by more than the probe costs per hit, and by more
            // than a share of the function's time (one profiled run cannot resolve less).
            let change = relative(old.time_ns, line.time_ns);
            let floor = (rules.time.probe_costs * probe * line.hits.max(old.hits) as f64)
                .max(rules.time.function_percent / 100.0 * before.total_ns.max(function.total_ns));
            // A slower line also needs a slower median call; a faster one is listed as is.
            let confirmed = change < 0.0 || median_slower.unwrap_or(true);
            if change.abs() > rules.time.threshold_percent / 100.0
                && (line.time_ns - old.time_ns).abs() > floor
                && confirmed
            {
                let what = format!(
                    "time {} -> {} ({:+.1}%)  {text}",
                    duration(old.time_ns),
                    duration(line.time_ns),
                    change * 100.0
                );
                push("time", &place, what, time_verdict(change, rules));
            }
            let (Some(old_memory), Some(memory)) = (&old.memory, &line.memory) else {
                continue;
            };
            if let Some(verdict) = judge(
                rules.exact.allocations,
                old_memory.allocations,
                memory.allocations,
            ) {
                let what = format!(
                    "allocations {} -> {}  {text}",
                    old_memory.allocations, memory.allocations
                );
                push("exact.allocations", &place, what, verdict);
            }
            if let Some(verdict) = judge(
                rules.exact.allocated_bytes,
                old_memory.allocated_bytes,
                memory.allocated_bytes,
            ) {
                let what = format!(
                    "allocated {} -> {} B  {text}",
                    old_memory.allocated_bytes, memory.allocated_bytes
                );
                push("exact.allocated_bytes", &place, what, verdict);
            }
            let peak = judge(rules.exact.heap, old_memory.peak_bytes, memory.peak_bytes);
            let increment = judge(
                rules.exact.heap,
                old_memory.increment_bytes,
                memory.increment_bytes,
            );
            if let Some(verdict) = worst(peak, increment) {
                let what = format!(
                    "heap increment {} -> {} B, peak {} -> {} B  {text}",
                    old_memory.increment_bytes,
                    memory.increment_bytes,
                    old_memory.peak_bytes,
                    memory.peak_bytes
                );
                push("exact.heap", &place, what, verdict);
            }
        }
    }
    unmatched
}

/// Faster is better; slower fails, or is listed when `[time] fail = false`.
fn time_verdict(change: f64, rules: &Rules) -> Verdict {
    match (change > 0.0, rules.time.fail) {
        (false, _) => Verdict::Better,
        (true, true) => Verdict::Fail,
        (true, false) => Verdict::Worse,
    }
}

/// The worse of two verdicts (a failure over a report over an improvement).
fn worst(a: Option<Verdict>, b: Option<Verdict>) -> Option<Verdict> {
    let rank = |v: &Verdict| match v {
        Verdict::Fail => 0,
        Verdict::Worse => 1,
        Verdict::Better => 2,
    };
    [a, b].into_iter().flatten().min_by_key(rank)
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

    fn findings_with(base: &Profile, new: &Profile, rules: &Rules) -> Vec<Finding> {
        let mut findings = Vec::new();
        compare_profiles(base, new, rules, &mut findings);
        findings
    }

    fn findings(base: &Profile, new: &Profile) -> Vec<Finding> {
        findings_with(base, new, &Rules::default())
    }

    #[test]
    fn the_same_run_has_no_finding() {
        assert!(findings(&profile(100, 5e6, 8), &profile(100, 5e6, 8)).is_empty());
        assert_eq!(render(&[]), "PASSED: no change beyond noise.\n");
    }

    #[test]
    fn a_change_in_hits_fails_by_its_rule() {
        let found = findings(&profile(100, 5e6, 8), &profile(101, 5e6, 8));
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].rule, found[0].verdict),
            ("exact.hits", Verdict::Fail)
        );
        assert!(found[0].what.starts_with("hits 100 -> 101"));
        let text = render(&found);
        assert!(
            text.starts_with(
                "FAIL    exact.hits  src/main.rs:3 (app::work)  hits 100 -> 101  heavy(a);"
            ),
            "{text}"
        );
        assert!(
            text.ends_with("\nFAILED: 1 change(s) break a rule: exact.hits (1).\n"),
            "{text}"
        );
        let fewer = findings(&profile(100, 5e6, 8), &profile(99, 5e6, 8));
        assert_eq!(fewer[0].verdict, Verdict::Better);
        assert!(render(&fewer).ends_with("PASSED: 1 change(s) listed, none breaks a rule.\n"));
    }

    #[test]
    fn modes_decide_what_an_exact_change_does() {
        let mut rules = Rules::default();
        rules.exact.hits = Mode::Change;
        let fewer = findings_with(&profile(100, 5e6, 8), &profile(99, 5e6, 8), &rules);
        assert_eq!(fewer[0].verdict, Verdict::Fail);
        rules.exact.hits = Mode::Report;
        let more = findings_with(&profile(100, 5e6, 8), &profile(101, 5e6, 8), &rules);
        assert_eq!(more[0].verdict, Verdict::Worse);
    }

    #[test]
    fn time_is_judged_only_beyond_the_threshold_and_the_floor() {
        assert!(
            findings(&profile(100, 5e6, 8), &profile(100, 5.2e6, 8)).is_empty(),
            "4% is noise"
        );
        let slower = findings(&profile(100, 5e6, 8), &profile(100, 7e6, 8));
        assert_eq!(slower.len(), 1);
        assert_eq!((slower[0].rule, slower[0].verdict), ("time", Verdict::Fail));
        assert_eq!(slower[0].place, "src/main.rs:3 (app::work)");
        let faster = findings(&profile(100, 5e6, 8), &profile(100, 3e6, 8));
        assert_eq!(faster[0].verdict, Verdict::Better);
        // A wider threshold, or a floor of many probe costs, makes the same change noise.
        let mut rules = Rules::default();
        rules.time.threshold_percent = 50.0;
        assert!(findings_with(&profile(100, 5e6, 8), &profile(100, 7e6, 8), &rules).is_empty());
        rules.time.threshold_percent = 10.0;
        rules.time.probe_costs = 3000.0;
        assert!(findings_with(&profile(100, 5e6, 8), &profile(100, 7e6, 8), &rules).is_empty());
        rules.time.probe_costs = 3.0;
        rules.time.fail = false;
        let listed = findings_with(&profile(100, 5e6, 8), &profile(100, 7e6, 8), &rules);
        assert_eq!(listed[0].verdict, Verdict::Worse);
    }

    fn with_median(mut profile: Profile, p50_ns: f64) -> Profile {
        profile.functions[0].percentiles = Some(hiperf_runtime::snapshot::Percentiles {
            p50_ns,
            p95_ns: p50_ns,
            p99_ns: p50_ns,
        });
        profile
    }

    #[test]
    fn a_slower_line_fails_only_when_the_median_call_is_slower_too() {
        let base = with_median(profile(100, 5e6, 8), 1e5);
        // Preemptions inflated the total, the median call is where it was: noise.
        let inflated = with_median(profile(100, 7e6, 8), 1.1e5);
        assert!(findings(&base, &inflated).is_empty());
        let slower = with_median(profile(100, 7e6, 8), 1.3e5);
        let found = findings(&base, &slower);
        let rules: Vec<(&str, Verdict)> = found.iter().map(|f| (f.rule, f.verdict)).collect();
        assert_eq!(
            rules,
            [
                ("time.median_percent", Verdict::Fail),
                ("time", Verdict::Fail)
            ]
        );
        assert_eq!(found[0].place, "app::work");
        assert!(
            found[0]
                .what
                .starts_with("median call 100.00 µs -> 130.00 µs (+30.0%)"),
            "{}",
            found[0].what
        );
    }

    #[test]
    fn any_growth_of_exact_heap_figures_fails() {
        let found = findings(&profile(100, 5e6, 8), &profile(100, 5e6, 16));
        let rules: Vec<(&str, Verdict)> = found.iter().map(|f| (f.rule, f.verdict)).collect();
        assert!(rules.contains(&("exact.heap", Verdict::Fail)), "{found:?}");
        assert!(
            rules.contains(&("exact.allocated_bytes", Verdict::Fail)),
            "{found:?}"
        );
        let heap = found.iter().find(|f| f.rule == "exact.heap").unwrap();
        assert!(heap.what.starts_with("heap increment 8 -> 16"));
    }
}
