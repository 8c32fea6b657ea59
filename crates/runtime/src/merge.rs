//! One profile across processes: saved profiles (`hiperf.profile/3` JSON) merged into one,
//! and the profiles of worker processes folded into this process's snapshots.
//!
//! A program that spawns workers gives each one a path in `HIPERF_JSON` (and
//! `HIPERF_REPORT=off`), waits for it, and calls [`absorb_file`]: from then on every
//! [`take`](crate::snapshot::take) of the parent, and so the report it prints at exit, holds
//! the workers' line tables, memory tables and call statistics added to its own.
//!
//! ```
//! use hiperf_runtime::merge;
//!
//! let parent = hiperf_runtime::snapshot::take(Default::default());
//! let worker = parent.clone();
//! let merged = merge::merged([&parent, &worker]);
//! for (one, both) in parent.functions.iter().zip(&merged.functions) {
//!     assert_eq!(both.calls, 2 * one.calls);
//! }
//! ```
//!
//! Functions are the same function when their module path, name, file and line agree; lines
//! when their numbers agree; call paths when their parents and functions agree. Counts and
//! times add up (hits, calls, nanoseconds, allocations, bytes allocated, increments); maxima
//! stay maxima (longest call, peaks); a line's usage, a level, comes from the profiles where
//! the line ran (the highest of them when it ran in several). Per-call percentiles cannot be merged from
//! percentiles: a merged function keeps, per percentile, the largest of its parts', an upper
//! bound of the merged one (exact when only one part called it). The clock and the process
//! figures (RSS, whole-process heap at entry and exit) stay those of the profile merged into.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use crate::graph::{CallPath, TRUNCATED};
use crate::snapshot::{CallMemory, FunctionProfile, LineMemory, LineProfile, Percentiles, Profile};

/// Adds `other` to `into`: every function, line and call path of `other` is added to the
/// matching one of `into`, or appended when `into` has none.
///
/// # Examples
///
/// ```
/// let mut total = hiperf_runtime::snapshot::take(Default::default());
/// let part = total.clone();
/// hiperf_runtime::merge::merge_into(&mut total, &part);
/// assert_eq!(total.functions.len(), part.functions.len());
/// ```
pub fn merge_into(into: &mut Profile, other: &Profile) {
    // Samples add up; a profile with any sampled part reads as sampled.
    into.clock.samples += other.clock.samples;
    if other.clock.mode == "sampled" {
        into.clock.mode = other.clock.mode.clone();
        into.clock.sample_period_ns = other.clock.sample_period_ns;
    }
    let mut index: HashMap<FunctionKey, u32> = into
        .functions
        .iter()
        .enumerate()
        .map(|(i, f)| (FunctionKey::of(f), i as u32))
        .collect();
    // Where each of `other`'s functions lands in `into`.
    let mut mapping = Vec::with_capacity(other.functions.len());
    for function in &other.functions {
        let key = FunctionKey::of(function);
        let target = match index.get(&key) {
            Some(&target) => {
                add_function(&mut into.functions[target as usize], function);
                target
            }
            None => {
                let target = into.functions.len() as u32;
                into.functions.push(function.clone());
                index.insert(key, target);
                target
            }
        };
        mapping.push(target);
    }
    // A path is the same path when its parent (already merged: parents come first) and its
    // function are.
    let mut paths: HashMap<(Option<u32>, u32), u32> = into
        .paths
        .iter()
        .enumerate()
        .map(|(i, path)| ((path.parent, path.function), i as u32))
        .collect();
    // Where each of `other`'s paths lands in `into`.
    let mut landed: Vec<Option<u32>> = Vec::with_capacity(other.paths.len());
    for path in &other.paths {
        let function = match path.function {
            TRUNCATED => TRUNCATED,
            f => mapping.get(f as usize).copied().unwrap_or(TRUNCATED),
        };
        let parent = path
            .parent
            .and_then(|parent| landed.get(parent as usize).copied().flatten());
        let target = *paths.entry((parent, function)).or_insert_with(|| {
            into.paths.push(CallPath {
                parent,
                function,
                calls: 0,
                total_ns: 0.0,
                self_ns: 0.0,
            });
            (into.paths.len() - 1) as u32
        });
        let existing = &mut into.paths[target as usize];
        existing.calls += path.calls;
        existing.total_ns += path.total_ns;
        existing.self_ns += path.self_ns;
        landed.push(Some(target));
    }
    into.paths = crate::graph::depth_first(std::mem::take(&mut into.paths));
}

/// The merge of `profiles`, the first one's clock and order first; `None`'s profile is empty.
///
/// # Examples
///
/// ```
/// let profile = hiperf_runtime::snapshot::take(Default::default());
/// let merged = hiperf_runtime::merge::merged([&profile]);
/// assert_eq!(merged, profile);
/// ```
pub fn merged<'a>(profiles: impl IntoIterator<Item = &'a Profile>) -> Profile {
    let mut profiles = profiles.into_iter();
    let Some(first) = profiles.next() else {
        return empty();
    };
    let mut total = first.clone();
    for profile in profiles {
        merge_into(&mut total, profile);
    }
    total
}

/// Reads a saved profile (`HIPERF_JSON`, schema `hiperf.profile/3`).
///
/// # Errors
///
/// When the file cannot be read or is not a profile; the message names the file.
pub fn read(path: &Path) -> Result<Profile, String> {
    let text = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let profile: Profile = crate::json::from_slice(&text)
        .map_err(|e| format!("{} is not a hiperf profile: {e}", path.display()))?;
    if profile.schema != crate::snapshot::SCHEMA {
        return Err(format!(
            "{} has schema `{}`, expected `{}`",
            path.display(),
            profile.schema,
            crate::snapshot::SCHEMA
        ));
    }
    Ok(profile)
}

/// Profiles absorbed from other processes, added to every later snapshot of this process.
static ABSORBED: Mutex<Vec<Profile>> = Mutex::new(Vec::new());

/// Adds `profile` (a worker process's) to every later [`take`](crate::snapshot::take) of this
/// process: its calls, lines and memory are summed with this process's own.
///
/// # Examples
///
/// ```
/// let worker = hiperf_runtime::snapshot::take(Default::default());
/// hiperf_runtime::merge::absorb(worker);
/// ```
pub fn absorb(profile: Profile) {
    let mut absorbed = ABSORBED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    // Kept merged, so that many workers cost one profile's memory.
    match absorbed.first_mut() {
        Some(total) => merge_into(total, &profile),
        None => absorbed.push(profile),
    }
}

/// Reads the profile a worker process saved at `path` (its `HIPERF_JSON`) and [`absorb`]s it.
///
/// # Errors
///
/// As [`read`]; nothing is absorbed then.
pub fn absorb_file(path: &Path) -> Result<(), String> {
    absorb(read(path)?);
    Ok(())
}

/// Adds every absorbed profile to `profile` (called by [`take`](crate::snapshot::take)).
pub(crate) fn add_absorbed(profile: &mut Profile) {
    let absorbed = ABSORBED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    for other in absorbed.iter() {
        merge_into(profile, other);
    }
}

/// A profile with no function, on this process's clock.
fn empty() -> Profile {
    let mut profile = crate::snapshot::take(Default::default());
    profile.functions.clear();
    profile.paths.clear();
    profile
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct FunctionKey {
    module_path: String,
    name: String,
    file: String,
    line: u32,
}

impl FunctionKey {
    fn of(function: &FunctionProfile) -> Self {
        FunctionKey {
            module_path: function.module_path.clone(),
            name: function.name.clone(),
            file: function.file.clone(),
            line: function.line,
        }
    }
}

fn add_function(into: &mut FunctionProfile, other: &FunctionProfile) {
    into.percentiles = match (into.percentiles.take(), &other.percentiles) {
        (Some(a), Some(b)) if into.calls > 0 && other.calls > 0 => Some(Percentiles {
            p50_ns: a.p50_ns.max(b.p50_ns),
            p95_ns: a.p95_ns.max(b.p95_ns),
            p99_ns: a.p99_ns.max(b.p99_ns),
        }),
        (Some(a), _) if other.calls == 0 => Some(a),
        (_, b) => b.clone(),
    };
    into.measures_time |= other.measures_time;
    into.measures_memory |= other.measures_memory;
    into.sampled |= other.sampled;
    into.calls += other.calls;
    into.primitive_calls += other.primitive_calls;
    into.threads += other.threads;
    into.total_ns += other.total_ns;
    into.cumulative_ns += other.cumulative_ns;
    into.self_ns += other.self_ns;
    into.max_call_ns = into.max_call_ns.max(other.max_call_ns);
    into.entry_ns += other.entry_ns;
    into.suspended_ns += other.suspended_ns;
    into.memory = match (into.memory.take(), &other.memory) {
        (Some(mut a), Some(b)) => {
            add_call_memory(&mut a, b);
            Some(a)
        }
        (a, b) => a.or_else(|| b.clone()),
    };
    let mut rows: HashMap<u32, usize> = into
        .lines
        .iter()
        .enumerate()
        .map(|(i, line)| (line.line, i))
        .collect();
    for line in &other.lines {
        match rows.get(&line.line) {
            Some(&row) => add_line(&mut into.lines[row], line),
            None => {
                rows.insert(line.line, into.lines.len());
                into.lines.push(line.clone());
            }
        }
    }
    into.lines.sort_by_key(|line| line.line);
}

fn add_call_memory(into: &mut CallMemory, other: &CallMemory) {
    into.peak_bytes = into.peak_bytes.max(other.peak_bytes);
    into.increment_bytes += other.increment_bytes;
    into.rss_entry_bytes = into.rss_entry_bytes.or(other.rss_entry_bytes);
    into.rss_exit_bytes = into.rss_exit_bytes.or(other.rss_exit_bytes);
    into.allocator_installed |= other.allocator_installed;
}

fn add_line(into: &mut LineProfile, other: &LineProfile) {
    let ran = (into.hits > 0, other.hits > 0);
    into.probed |= other.probed;
    into.hits += other.hits;
    into.time_ns += other.time_ns;
    into.callee_ns += other.callee_ns;
    into.suspended_ns += other.suspended_ns;
    into.samples += other.samples;
    into.memory = match (into.memory.take(), &other.memory) {
        (Some(mut a), Some(b)) => {
            add_line_memory(&mut a, b, ran);
            Some(a)
        }
        (a, b) => a.or_else(|| b.clone()),
    };
}

/// Adds `other`'s figures to `into`'s; `ran` says in which of the two the line ran.
fn add_line_memory(into: &mut LineMemory, other: &LineMemory, ran: (bool, bool)) {
    // A level comes from the profiles where the line ran (elsewhere it reads 0), the highest
    // of them.
    into.usage_bytes = match ran {
        (true, true) => into.usage_bytes.max(other.usage_bytes),
        (false, true) => other.usage_bytes,
        _ => into.usage_bytes,
    };
    into.increment_bytes += other.increment_bytes;
    into.peak_bytes = into.peak_bytes.max(other.peak_bytes);
    into.allocations += other.allocations;
    into.allocated_bytes += other.allocated_bytes;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::ClockInfo;

    fn line(number: u32, hits: u64, allocations: u64) -> LineProfile {
        LineProfile {
            line: number,
            contents: format!("line {number}"),
            probed: true,
            hits,
            time_ns: hits as f64 * 10.0,
            callee_ns: 0.0,
            suspended_ns: 0.0,
            samples: 0,
            memory: Some(LineMemory {
                usage_bytes: allocations as i64 * 8,
                increment_bytes: allocations as i64,
                peak_bytes: allocations * 16,
                allocations,
                allocated_bytes: allocations * 100,
            }),
        }
    }

    #[test]
    fn a_lines_level_comes_from_the_profiles_where_it_ran() {
        let mut ran = line(11, 1, 0);
        ran.memory.as_mut().unwrap().usage_bytes = -8000;
        let mut idle = line(11, 0, 0);
        idle.memory.as_mut().unwrap().usage_bytes = 0;
        for (first, second) in [(&idle, &ran), (&ran, &idle)] {
            let mut into = first.clone();
            add_line(&mut into, second);
            assert_eq!(into.memory.unwrap().usage_bytes, -8000);
        }
        let mut both = ran.clone();
        let mut higher = ran.clone();
        higher.memory.as_mut().unwrap().usage_bytes = 64;
        add_line(&mut both, &higher);
        assert_eq!((both.hits, both.memory.unwrap().usage_bytes), (2, 64));
    }

    fn function(name: &str, calls: u64, lines: Vec<LineProfile>) -> FunctionProfile {
        FunctionProfile {
            name: name.to_string(),
            module_path: "crate::m".to_string(),
            file: "src/m.rs".to_string(),
            line: 10,
            is_async: false,
            measures_time: true,
            measures_memory: true,
            sampled: false,
            calls,
            primitive_calls: calls,
            threads: 1,
            total_ns: 100.0,
            cumulative_ns: 200.0,
            self_ns: 50.0,
            max_call_ns: calls as f64,
            entry_ns: 1.0,
            suspended_ns: 0.0,
            percentiles: (calls > 0).then_some(Percentiles {
                p50_ns: calls as f64,
                p95_ns: 2.0 * calls as f64,
                p99_ns: 3.0 * calls as f64,
            }),
            memory: None,
            lines,
        }
    }

    fn profile(functions: Vec<FunctionProfile>, paths: Vec<CallPath>) -> Profile {
        Profile {
            schema: crate::snapshot::SCHEMA.to_string(),
            clock: ClockInfo {
                source: "tsc".to_string(),
                ticks_per_ns: 1.0,
                invariant: true,
                probe_line_ns: 1.0,
                probe_call_ns: 2.0,
                probe_subtracted: false,
                mode: "exact".to_string(),
                sample_period_ns: 0.0,
                samples: 0,
            },
            functions,
            paths,
        }
    }

    fn path(parent: Option<u32>, function: u32, calls: u64) -> CallPath {
        CallPath {
            parent,
            function,
            calls,
            total_ns: calls as f64 * 3.0,
            self_ns: calls as f64,
        }
    }

    #[test]
    fn counts_add_up_and_maxima_stay_maxima() {
        let parent = profile(
            vec![function("f", 3, vec![line(11, 3, 2), line(12, 30, 0)])],
            vec![path(None, 0, 3)],
        );
        let worker = profile(
            vec![function("f", 5, vec![line(11, 5, 1), line(13, 7, 4)])],
            vec![path(None, 0, 5)],
        );
        let merged = merged([&parent, &worker]);
        let f = &merged.functions[0];
        assert_eq!((f.calls, f.primitive_calls, f.threads), (8, 8, 2));
        assert_eq!(
            (f.total_ns, f.cumulative_ns, f.self_ns),
            (200.0, 400.0, 100.0)
        );
        assert_eq!(f.max_call_ns, 5.0);
        let hits: Vec<(u32, u64)> = f.lines.iter().map(|l| (l.line, l.hits)).collect();
        assert_eq!(hits, [(11, 8), (12, 30), (13, 7)]);
        let memory = f.lines[0].memory.as_ref().unwrap();
        assert_eq!(
            (
                memory.allocations,
                memory.allocated_bytes,
                memory.increment_bytes
            ),
            (3, 300, 3)
        );
        assert_eq!((memory.usage_bytes, memory.peak_bytes), (16, 32));
        assert_eq!(
            merged.paths,
            vec![CallPath {
                parent: None,
                function: 0,
                calls: 8,
                total_ns: 24.0,
                self_ns: 8.0
            }]
        );
        let percentiles = f.percentiles.as_ref().unwrap();
        assert_eq!((percentiles.p50_ns, percentiles.p99_ns), (5.0, 15.0));
    }

    #[test]
    fn functions_only_in_the_other_profile_are_appended_and_paths_renumbered() {
        let parent = profile(vec![function("a", 1, vec![])], vec![path(None, 0, 1)]);
        let mut b = function("b", 2, vec![line(11, 2, 0)]);
        b.line = 20;
        // In the worker, `b` comes first and calls `a`.
        let worker = profile(
            vec![b, function("a", 4, vec![])],
            vec![
                path(None, 0, 2),
                path(Some(0), 1, 4),
                path(None, TRUNCATED, 9),
            ],
        );
        let merged = merged([&parent, &worker]);
        let names: Vec<&str> = merged.functions.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(merged.functions[0].calls, 5);
        let mut stacks: Vec<(Vec<u32>, u64)> = Vec::new();
        crate::graph::walk(&merged.paths, |index, ancestors| {
            let mut stack: Vec<u32> = ancestors
                .iter()
                .map(|&a| merged.paths[a as usize].function)
                .collect();
            stack.push(merged.paths[index].function);
            stacks.push((stack, merged.paths[index].calls));
        });
        assert_eq!(
            stacks,
            [
                (vec![0], 1),
                (vec![1], 2),
                (vec![1, 0], 4),
                (vec![TRUNCATED], 9)
            ]
        );
    }

    #[test]
    fn a_part_without_calls_keeps_the_other_parts_percentiles() {
        let called = profile(vec![function("f", 4, vec![])], vec![]);
        let idle = profile(vec![function("f", 0, vec![])], vec![]);
        for merged in [merged([&called, &idle]), merged([&idle, &called])] {
            assert_eq!(
                merged.functions[0].percentiles,
                called.functions[0].percentiles
            );
        }
    }

    #[test]
    fn a_saved_profile_reads_back_equal() {
        let mut saved = profile(
            vec![function("f", 3, vec![line(11, 3, 2), line(12, 30, 0)])],
            vec![path(None, 0, 3), path(Some(0), TRUNCATED, 1)],
        );
        saved.functions[0].name = "<&T as \"Q\"\u{e9}>::f".to_string();
        let directory = std::env::temp_dir().join(format!("hiperf-read-{}", std::process::id()));
        std::fs::create_dir_all(&directory).unwrap();
        let file = directory.join("profile.json");
        crate::output::write_json(&file, &saved).unwrap();
        let read_back = read(&file).unwrap();
        let _ = std::fs::remove_dir_all(&directory);
        assert_eq!(read_back, saved);
    }

    #[test]
    fn a_file_that_is_not_a_profile_is_named_in_the_error() {
        let directory = std::env::temp_dir().join(format!("hiperf-merge-{}", std::process::id()));
        std::fs::create_dir_all(&directory).unwrap();
        let path = directory.join("not-a-profile.json");
        std::fs::write(&path, b"{\"schema\": 1}").unwrap();
        let error = read(&path).unwrap_err();
        assert!(error.contains("not-a-profile.json"), "{error}");
        let missing = read(&directory.join("missing.json")).unwrap_err();
        assert!(missing.contains("cannot read"), "{missing}");
        std::fs::remove_dir_all(&directory).unwrap();
    }
}
