//! The call graph as data: every distinct call path with its calls, inclusive and self time
//! (from the per-thread call trees), the caller/callee edges derived from them, and the
//! timeline of logged calls.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::calls::{self, OVERFLOW, ROOT};
use crate::clock::Calibration;
use crate::registry::Site;

/// Stands for "[call tree full]" in a path: calls past a thread's 65,536 distinct paths.
pub const TRUNCATED: u32 = u32::MAX;

/// One distinct call path, summed over threads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallPath {
    /// Indices into `Profile::functions`, outermost first ([`TRUNCATED`] for the overflow).
    pub stack: Vec<u32>,
    /// Calls that ended along this path.
    pub calls: u64,
    /// Their inclusive time, in nanoseconds.
    pub total_ns: f64,
    /// Their time outside profiled callees, in nanoseconds.
    pub self_ns: f64,
}

/// A caller/callee pair (pstats' `print_callers` / `print_callees` rows).
#[derive(Clone, Debug, PartialEq)]
pub struct Edge {
    /// The calling function (`None`: not a profiled function, e.g. `main` unannotated).
    pub caller: Option<u32>,
    /// The called function.
    pub callee: u32,
    /// Calls from `caller` to `callee`.
    pub calls: u64,
    /// The callee's self time in those calls, in nanoseconds (tottime).
    pub self_ns: f64,
    /// The callee's inclusive time in those calls, in nanoseconds (cumtime).
    pub total_ns: f64,
}

/// Every call path of every thread, merged by path, in a stable order.
pub(crate) fn paths(sites: &[&'static Site], calibration: &Calibration) -> Vec<CallPath> {
    let index: HashMap<*const Site, u32> = sites
        .iter()
        .enumerate()
        .map(|(i, site)| (*site as *const Site, i as u32))
        .collect();
    let mut merged: HashMap<Vec<u32>, (u64, u64, u64)> = HashMap::new();
    for tree in calls::trees() {
        let len = tree.len();
        // Parents come before their children, so each stack extends an earlier one.
        let mut stacks: Vec<Vec<u32>> = Vec::with_capacity(len as usize);
        for node_index in 0..len {
            let node = tree.node(node_index);
            let stack = match node_index {
                ROOT => Vec::new(),
                OVERFLOW => vec![TRUNCATED],
                _ => {
                    let mut stack = stacks[node.parent() as usize].clone();
                    let site = node.site().map(|s| s as *const Site);
                    stack.push(
                        site.and_then(|s| index.get(&s).copied())
                            .unwrap_or(TRUNCATED),
                    );
                    stack
                }
            };
            let calls = node.calls.get();
            if calls > 0 {
                let entry = merged.entry(stack.clone()).or_default();
                entry.0 += calls;
                entry.1 += node.total_ticks.get();
                entry.2 += node.self_ticks.get();
            }
            stacks.push(stack);
        }
    }
    let mut paths: Vec<CallPath> = merged
        .into_iter()
        .map(|(stack, (calls, total, self_ticks))| CallPath {
            stack,
            calls,
            total_ns: calibration.to_ns(total),
            self_ns: calibration.to_ns(self_ticks),
        })
        .collect();
    paths.sort_by(|a, b| a.stack.cmp(&b.stack));
    paths
}

/// The caller/callee edges of `paths`, by (caller, callee).
///
/// # Examples
///
/// ```
/// use hiperf_runtime::graph::{CallPath, edges};
///
/// let paths = vec![
///     CallPath { stack: vec![0], calls: 1, total_ns: 10.0, self_ns: 4.0 },
///     CallPath { stack: vec![0, 1], calls: 3, total_ns: 6.0, self_ns: 6.0 },
/// ];
/// let edges = edges(&paths);
/// assert_eq!(edges.len(), 2);
/// assert_eq!((edges[1].caller, edges[1].callee, edges[1].calls), (Some(0), 1, 3));
/// ```
pub fn edges(paths: &[CallPath]) -> Vec<Edge> {
    let mut merged: HashMap<(Option<u32>, u32), Edge> = HashMap::new();
    for path in paths {
        let Some(&callee) = path.stack.last() else {
            continue;
        };
        let caller = path.stack.len().checked_sub(2).map(|i| path.stack[i]);
        let edge = merged.entry((caller, callee)).or_insert(Edge {
            caller,
            callee,
            calls: 0,
            self_ns: 0.0,
            total_ns: 0.0,
        });
        edge.calls += path.calls;
        edge.self_ns += path.self_ns;
        // A recursive path's time is already inside its outer call's: count it once.
        if !path.stack[..path.stack.len() - 1].contains(&callee) {
            edge.total_ns += path.total_ns;
        }
    }
    let mut edges: Vec<Edge> = merged.into_values().collect();
    edges.sort_by_key(|edge| (edge.caller.map_or(-1, i64::from), edge.callee));
    edges
}

/// The logged calls of every thread, for timelines (Chrome trace / Perfetto).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    /// One track per thread tree.
    pub tracks: Vec<Track>,
    /// Calls not logged because a thread's log was full (65,536 calls per thread).
    pub dropped_events: u64,
}

/// One thread's logged calls.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Track {
    /// The track's number ("thread N").
    pub track: u64,
    /// Calls in the order they ended.
    pub events: Vec<TimelineEvent>,
}

/// One logged call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimelineEvent {
    /// Index into `Profile::functions`.
    pub function: u32,
    /// Start, in nanoseconds since the earliest logged call.
    pub start_ns: f64,
    /// Duration in nanoseconds.
    pub duration_ns: f64,
}

/// Reads every thread's call log.
pub(crate) fn timeline(sites: &[&'static Site], calibration: &Calibration) -> Timeline {
    let index: HashMap<*const Site, u32> = sites
        .iter()
        .enumerate()
        .map(|(i, site)| (*site as *const Site, i as u32))
        .collect();
    let origin = calls::trees()
        .flat_map(|tree| {
            tree.events()
                .map(|e| e.start.load(std::sync::atomic::Ordering::Relaxed))
        })
        .min()
        .unwrap_or(0);
    let mut dropped_events = 0;
    let mut tracks = Vec::new();
    for tree in calls::trees() {
        dropped_events += tree.dropped_events.get();
        let events: Vec<TimelineEvent> = tree
            .events()
            .filter_map(|event| {
                let function = *index.get(&(event.site()? as *const Site))?;
                let start = event.start.load(std::sync::atomic::Ordering::Relaxed);
                Some(TimelineEvent {
                    function,
                    start_ns: calibration.to_ns(start.wrapping_sub(origin)),
                    duration_ns: calibration
                        .to_ns(event.duration.load(std::sync::atomic::Ordering::Relaxed)),
                })
            })
            .collect();
        if !events.is_empty() {
            tracks.push(Track {
                track: tree.track,
                events,
            });
        }
    }
    tracks.sort_by_key(|track| track.track);
    Timeline {
        tracks,
        dropped_events,
    }
}
