//! The rules `cargo xtask compare` judges by, read from `hiperf-compare.toml`: exact figures
//! strictly, times only past their noise floors.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The file a project commits; looked for in the current directory, then the workspace root.
pub const FILE_NAME: &str = "hiperf-compare.toml";

/// Every rule. Each key of the file is optional; a missing one keeps its default.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Rules {
    /// Figures that are exact (counts of the program's own events).
    pub exact: Exact,
    /// Line times.
    pub time: Time,
    /// Workloads of `cargo xtask report` (report.json).
    pub workloads: Workloads,
}

/// What a change in an exact figure does.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Fails when the figure grows (a drop is listed as better).
    Increase,
    /// Fails when the figure moves either way.
    Change,
    /// Lists the change without failing.
    Report,
}

/// Exact figures, compared strictly (no threshold: they do not vary from run to run).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Exact {
    /// Calls of a function.
    pub calls: Mode,
    /// Hits of a line.
    pub hits: Mode,
    /// Allocations of a line (`#[memit]`).
    pub allocations: Mode,
    /// Bytes a line allocated (`#[memit]`).
    pub allocated_bytes: Mode,
    /// A line's peak and net increment of the heap (`#[memit]`).
    pub heap: Mode,
}

impl Default for Exact {
    fn default() -> Self {
        Exact {
            calls: Mode::Increase,
            hits: Mode::Increase,
            allocations: Mode::Increase,
            allocated_bytes: Mode::Increase,
            heap: Mode::Increase,
        }
    }
}

/// Line times: a line is slower only past every floor.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Time {
    /// Relative change, in percent.
    pub threshold_percent: f64,
    /// Absolute change of more than this many probe costs per hit.
    pub probe_costs: f64,
    /// Absolute change of more than this share of the function's time, in percent.
    pub function_percent: f64,
    /// The function's median call must move by more than this, in percent (its histogram
    /// buckets are at most 12.5% wide: 25 is two buckets). The median is what a loaded
    /// machine leaves alone: preemptions inflate a few calls, and with them the totals.
    pub median_percent: f64,
    /// Whether a slower line fails (else it is listed only).
    pub fail: bool,
}

impl Default for Time {
    fn default() -> Self {
        Time {
            threshold_percent: 10.0,
            probe_costs: 3.0,
            function_percent: 1.0,
            median_percent: 25.0,
            fail: true,
        }
    }
}

/// Workload figures of `cargo xtask report`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Workloads {
    /// Relative change of the median time, in percent (also outside both runs' min..max).
    pub time_threshold_percent: f64,
    /// Relative change of the peak heap, in percent.
    pub peak_heap_percent: f64,
}

impl Default for Workloads {
    fn default() -> Self {
        Workloads {
            time_threshold_percent: 10.0,
            peak_heap_percent: 10.0,
        }
    }
}

impl Rules {
    /// Reads the rules from `path`, naming the file and the bad key on error.
    pub fn read(path: &Path) -> Result<Rules, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Rules::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses the rules from TOML text.
    pub fn parse(text: &str) -> Result<Rules, String> {
        let rules: Rules = toml::from_str(text).map_err(|e| e.to_string())?;
        for (name, value) in [
            ("time.threshold_percent", rules.time.threshold_percent),
            ("time.probe_costs", rules.time.probe_costs),
            ("time.function_percent", rules.time.function_percent),
            ("time.median_percent", rules.time.median_percent),
            (
                "workloads.time_threshold_percent",
                rules.workloads.time_threshold_percent,
            ),
            (
                "workloads.peak_heap_percent",
                rules.workloads.peak_heap_percent,
            ),
        ] {
            if !(value >= 0.0 && value.is_finite()) {
                return Err(format!("`{name}` is {value}; expected a number >= 0"));
            }
        }
        Ok(rules)
    }

    /// The rules from `explicit`, else the first `hiperf-compare.toml` found in `places`,
    /// else the defaults; with where they came from.
    pub fn find(explicit: Option<&Path>, places: &[PathBuf]) -> Result<(Rules, String), String> {
        if let Some(path) = explicit {
            return Ok((Rules::read(path)?, path.display().to_string()));
        }
        let current = std::env::current_dir().unwrap_or_default();
        for place in places {
            let path = place.join(FILE_NAME);
            if path.is_file() {
                // In the current directory the file is named as the user sees it there.
                let shown = match path.strip_prefix(&current) {
                    Ok(relative) => relative.display().to_string(),
                    Err(_) => path.display().to_string(),
                };
                return Ok((Rules::read(&path)?, shown));
            }
        }
        Ok((
            Rules::default(),
            format!("built-in defaults (no {FILE_NAME})"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_file_states_the_defaults() {
        let committed = crate::root().join(FILE_NAME);
        assert_eq!(Rules::read(&committed).unwrap(), Rules::default());
    }

    #[test]
    fn a_file_sets_only_what_it_names() {
        let rules = Rules::parse("[exact]\nhits = \"change\"\n[time]\nfail = false\n").unwrap();
        assert_eq!(rules.exact.hits, Mode::Change);
        assert_eq!(rules.exact.calls, Mode::Increase);
        assert!(!rules.time.fail);
        assert_eq!(rules.time.threshold_percent, 10.0);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let typo = Rules::parse("[exact]\nhit = \"change\"\n").unwrap_err();
        assert!(typo.contains("unknown field `hit`"), "{typo}");
        let mode = Rules::parse("[exact]\nhits = \"grow\"\n").unwrap_err();
        assert!(mode.contains("unknown variant `grow`"), "{mode}");
        let negative = Rules::parse("[time]\nthreshold_percent = -1.0\n").unwrap_err();
        assert!(
            negative.contains("`time.threshold_percent` is -1"),
            "{negative}"
        );
    }
}
