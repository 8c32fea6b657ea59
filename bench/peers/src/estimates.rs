//! Reading criterion's `estimates.json`: the median and its confidence interval, in nanoseconds.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

/// The median of one case, per iteration, in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Median {
    /// Point estimate.
    pub ns: f64,
    /// Lower bound of criterion's confidence interval (95% by default).
    pub low_ns: f64,
    /// Upper bound.
    pub high_ns: f64,
}

impl Median {
    /// Whether the two confidence intervals overlap: the difference is within criterion's noise.
    ///
    /// # Examples
    ///
    /// ```
    /// use hiperf_bench_peers::estimates::Median;
    /// let a = Median { ns: 10.0, low_ns: 9.8, high_ns: 10.2 };
    /// let b = Median { ns: 10.3, low_ns: 10.1, high_ns: 10.5 };
    /// assert!(a.overlaps(&b));
    /// ```
    pub fn overlaps(&self, other: &Median) -> bool {
        self.low_ns <= other.high_ns && other.low_ns <= self.high_ns
    }
}

#[derive(Deserialize)]
struct Estimates {
    median: Estimate,
}

#[derive(Deserialize)]
struct Estimate {
    point_estimate: f64,
    confidence_interval: Interval,
}

#[derive(Deserialize)]
struct Interval {
    lower_bound: f64,
    upper_bound: f64,
}

/// Where criterion keeps a case's latest estimates.
pub fn path(criterion_dir: &Path, group: &str, id: &str) -> PathBuf {
    criterion_dir
        .join(group)
        .join(id)
        .join("new")
        .join("estimates.json")
}

/// What reading a case's estimates found.
#[derive(Debug)]
pub enum Found {
    /// Estimates written by the run in question.
    Fresh(Median),
    /// No estimates file.
    Missing,
    /// An estimates file older than the run: left by an earlier run, not used.
    Stale,
}

/// Reads the median of `group/id`, accepting only a file modified at or after `not_before`.
pub fn read(
    criterion_dir: &Path,
    group: &str,
    id: &str,
    not_before: SystemTime,
) -> Result<Found, String> {
    let path = path(criterion_dir, group, id);
    let metadata = match fs::metadata(&path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Missing),
        Err(error) => return Err(format!("cannot read {}: {error}", path.display())),
    };
    let modified = metadata
        .modified()
        .map_err(|error| format!("{}: {error}", path.display()))?;
    if modified < not_before {
        return Ok(Found::Stale);
    }
    let text = fs::read_to_string(&path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    parse(&text)
        .map(Found::Fresh)
        .map_err(|error| format!("{}: {error}", path.display()))
}

/// Parses the text of an `estimates.json`.
///
/// # Examples
///
/// ```
/// let text = r#"{"median":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":3.0},"point_estimate":2.0,"standard_error":0.1}}"#;
/// let median = hiperf_bench_peers::estimates::parse(text).unwrap();
/// assert_eq!(median.ns, 2.0);
/// ```
pub fn parse(text: &str) -> Result<Median, serde_json::Error> {
    let estimates: Estimates = serde_json::from_str(text)?;
    let median = estimates.median;
    Ok(Median {
        ns: median.point_estimate,
        low_ns: median.confidence_interval.lower_bound,
        high_ns: median.confidence_interval.upper_bound,
    })
}
