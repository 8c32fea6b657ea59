//! The report's workloads grouped the way the book reads: by chapter, then by ladder (one
//! program's variants, naive first), with the figures every renderer shows per variant.
//!
//! ```
//! use hiperf_report::ladder;
//! use hiperf_report::model::RunReport;
//!
//! let report = RunReport::new("quick", 3);
//! assert!(ladder::chapters(&report).is_empty());
//! assert_eq!(ladder::chapter_title(2), "Profiling");
//! ```

use hiperf_runtime::snapshot::FunctionProfile;

use crate::model::{RunReport, WorkloadResult};

/// One chapter's ladders, in the report's order.
#[derive(Debug)]
pub struct Chapter<'a> {
    /// The book's chapter number.
    pub number: u8,
    /// Its ladders, in the order the report lists them.
    pub ladders: Vec<Ladder<'a>>,
}

/// One program's variants, naive first.
#[derive(Debug)]
pub struct Ladder<'a> {
    /// The book's chapter number.
    pub chapter: u8,
    /// The program (`julia`, `diffusion`, ...).
    pub name: &'a str,
    /// The variants, in rank order.
    pub variants: Vec<&'a WorkloadResult>,
}

impl<'a> Ladder<'a> {
    /// `chNN/name`, the ladder's identifier.
    pub fn id(&self) -> String {
        format!("ch{:02}/{}", self.chapter, self.name)
    }

    /// The notes every variant of the ladder carries, so that a page prints them once for
    /// the ladder; a ladder of one variant shares its notes.
    pub fn shared_notes(&self) -> Vec<&'a str> {
        let Some((first, rest)) = self.variants.split_first() else {
            return Vec::new();
        };
        first
            .notes
            .iter()
            .filter(|note| rest.iter().all(|w| w.notes.contains(note)))
            .map(String::as_str)
            .collect()
    }

    /// The notes of `workload` that are not [`shared`](Ladder::shared_notes) by the ladder.
    pub fn own_notes(&self, workload: &'a WorkloadResult) -> Vec<&'a str> {
        let shared = self.shared_notes();
        workload
            .notes
            .iter()
            .map(String::as_str)
            .filter(|note| !shared.contains(note))
            .collect()
    }
}

/// The workloads of `report`, by chapter and ladder, keeping the report's order of first
/// appearance and sorting each ladder's variants by rank.
pub fn chapters(report: &RunReport) -> Vec<Chapter<'_>> {
    let mut chapters: Vec<Chapter<'_>> = Vec::new();
    for workload in &report.workloads {
        let chapter = match chapters.iter().position(|c| c.number == workload.chapter) {
            Some(index) => &mut chapters[index],
            None => {
                chapters.push(Chapter {
                    number: workload.chapter,
                    ladders: Vec::new(),
                });
                chapters.last_mut().expect("just pushed")
            }
        };
        match chapter
            .ladders
            .iter_mut()
            .find(|ladder| ladder.name == workload.name)
        {
            Some(ladder) => ladder.variants.push(workload),
            None => chapter.ladders.push(Ladder {
                chapter: workload.chapter,
                name: &workload.name,
                variants: vec![workload],
            }),
        }
    }
    for chapter in &mut chapters {
        for ladder in &mut chapter.ladders {
            ladder.variants.sort_by_key(|w| w.rank);
        }
    }
    chapters
}

/// The title of the book's chapter `number` (2nd edition), or an empty string.
pub fn chapter_title(number: u8) -> &'static str {
    match number {
        1 => "Understanding performant Python",
        2 => "Profiling",
        3 => "Lists and tuples",
        4 => "Dictionaries and sets",
        5 => "Iterators and generators",
        6 => "Matrix and vector computation",
        7 => "Compiling to C",
        8 => "Asynchronous I/O",
        9 => "The multiprocessing module",
        10 => "Clusters and job queues",
        11 => "Using less RAM",
        _ => "",
    }
}

/// The chapter a profiled function belongs to, read from a `chNN` folder or file name in its
/// path (`crates/workloads/src/ch06_matrix/norm.rs` is chapter 6).
pub fn chapter_of(function: &FunctionProfile) -> Option<u8> {
    function.file.split(['/', '\\']).find_map(|component| {
        let digits = component.strip_prefix("ch")?.get(..2)?;
        digits
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| digits.parse().ok())
            .flatten()
    })
}

/// How many times slower the profiled build ran than the timing build (medians), when both ran.
pub fn overhead(workload: &WorkloadResult) -> Option<f64> {
    let median = workload.seconds.as_ref()?.median;
    let profiled = workload.profiled_seconds?;
    (median > 0.0).then(|| profiled / median)
}

/// The speedup over the naive variant as a label: `1x` for the naive variant itself, `-`
/// when it cannot be computed.
pub fn speedup_label(report: &RunReport, workload: &WorkloadResult) -> String {
    match (workload.rank, report.speedup(workload)) {
        (0, _) => "1x".to_string(),
        (_, Some(speedup)) => ratio(speedup),
        (_, None) => "-".to_string(),
    }
}

/// A speedup as words: `3.1x faster`, or for a speedup below 1 its inverse, `2.4x slower`.
pub fn faster_or_slower(speedup: f64) -> String {
    if speedup >= 1.0 {
        format!("{} faster", ratio(speedup))
    } else {
        format!("{} slower", ratio(1.0 / speedup))
    }
}

/// A ratio with a precision that suits its size: `0.42x`, `3.1x`, `611x`.
pub fn ratio(value: f64) -> String {
    if !value.is_finite() {
        "-".to_string()
    } else if value >= 100.0 {
        format!("{value:.0}x")
    } else if value >= 1.0 {
        format!("{value:.1}x")
    } else {
        format!("{value:.2}x")
    }
}

/// Seconds with six significant digits (line_profiler's style), or `-`.
pub fn seconds(value: Option<f64>) -> String {
    value.map_or_else(
        || "-".to_string(),
        |s| hiperf_runtime::report::seconds(s * 1e9),
    )
}

/// The profiled functions with a `#[profile]` or `#[memit]` table, in `chapter` (or, with
/// `None`, in no chapter).
pub fn functions_of(report: &RunReport, chapter: Option<u8>) -> Vec<&FunctionProfile> {
    report
        .profile
        .iter()
        .flat_map(|profile| &profile.functions)
        .filter(|f| chapter_of(f) == chapter)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_keep_two_or_three_significant_digits() {
        assert_eq!(ratio(0.4213), "0.42x");
        assert_eq!(ratio(3.06), "3.1x");
        assert_eq!(ratio(610.9), "611x");
        assert_eq!(ratio(f64::NAN), "-");
        assert_eq!(faster_or_slower(3.06), "3.1x faster");
        assert_eq!(faster_or_slower(0.25), "4.0x slower");
    }

    #[test]
    fn seconds_use_six_significant_digits() {
        assert_eq!(seconds(Some(0.008414432)), "0.00841443");
        assert_eq!(seconds(None), "-");
    }
}
