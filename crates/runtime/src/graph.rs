//! The call graph as data: every distinct call path with its calls, inclusive and self time
//! (from the per-thread call trees), the caller/callee edges derived from them, and the
//! timeline of logged calls.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::calls::{self, OVERFLOW, ROOT};
use crate::clock::Calibration;
use crate::registry::Site;

/// Stands for "[call tree full]" in a path: calls past a thread's 1,048,576 distinct paths.
pub const TRUNCATED: u32 = u32::MAX;

/// One distinct call path, summed over threads: `function` called along the path `parent`.
///
/// `Profile::paths` lists each path after its parent, depth first, so that a reader builds
/// every stack in one pass; the list grows with the number of paths, not with their depth.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallPath {
    /// The path this one extends (an index into `Profile::paths`); `None` for an outermost call.
    pub parent: Option<u32>,
    /// The function called: an index into `Profile::functions` ([`TRUNCATED`] for calls past
    /// a full call tree).
    pub function: u32,
    /// Calls that ended along this path.
    pub calls: u64,
    /// Their inclusive time, in nanoseconds (an `async fn`'s time polled).
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

/// A merged path while it is built: figures in ticks, and its children.
#[derive(Default)]
struct Merged {
    parent: Option<u32>,
    function: u32,
    calls: u64,
    total: u64,
    self_ticks: u64,
}

/// Every call path of every thread, merged by path, depth first (children by function):
/// time and memory linear in the number of tree nodes.
pub(crate) fn paths(sites: &[&'static Site], calibration: &Calibration) -> Vec<CallPath> {
    let index: HashMap<*const Site, u32> = sites
        .iter()
        .enumerate()
        .map(|(i, site)| (*site as *const Site, i as u32))
        .collect();
    let mut merged: Vec<Merged> = Vec::new();
    let mut by_key: HashMap<(Option<u32>, u32), u32> = HashMap::new();
    for tree in calls::trees() {
        let len = tree.len();
        // Each node's merged path; parents come before their children in a tree.
        let mut at: Vec<Option<u32>> = Vec::with_capacity(len as usize);
        for node_index in 0..len {
            let node = tree.node(node_index);
            let (parent, function) = match node_index {
                ROOT => {
                    at.push(None);
                    continue;
                }
                OVERFLOW => (None, TRUNCATED),
                _ => {
                    let site = node.site().map(|s| s as *const Site);
                    let function = site
                        .and_then(|s| index.get(&s).copied())
                        .unwrap_or(TRUNCATED);
                    (at.get(node.parent() as usize).copied().flatten(), function)
                }
            };
            let calls = node.calls.get();
            // Clock-timed calls (the exact mode) and sampled ones (the sampled mode) add up.
            let total = node.total_ticks.get() + node.sampled_total_ticks.get();
            let self_ticks = node.self_ticks.get() + node.sampled_self_ticks.get();
            if node_index == OVERFLOW && calls == 0 && total == 0 {
                at.push(None);
                continue;
            }
            let position = *by_key.entry((parent, function)).or_insert_with(|| {
                merged.push(Merged {
                    parent,
                    function,
                    ..Merged::default()
                });
                (merged.len() - 1) as u32
            });
            let path = &mut merged[position as usize];
            path.calls += calls;
            path.total += total;
            path.self_ticks += self_ticks;
            at.push(Some(position));
        }
    }
    drop(by_key);
    // Each path was created after its parent: list them depth first.
    depth_first(
        merged
            .iter()
            .map(|path| CallPath {
                parent: path.parent,
                function: path.function,
                calls: path.calls,
                total_ns: calibration.to_ns(path.total),
                self_ns: calibration.to_ns(path.self_ticks),
            })
            .collect(),
    )
}

/// `paths` (each after its parent) listed depth first, children by function, as a snapshot
/// lists them; without recursion, since paths may be 10^6 deep.
pub(crate) fn depth_first(paths: Vec<CallPath>) -> Vec<CallPath> {
    let mut children: Vec<Vec<u32>> = vec![Vec::new(); paths.len()];
    let mut pending: Vec<u32> = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        match path.parent {
            Some(parent) => children[parent as usize].push(i as u32),
            None => pending.push(i as u32),
        }
    }
    let by_function = |list: &mut Vec<u32>| {
        list.sort_by_key(|&child| std::cmp::Reverse(paths[child as usize].function));
    };
    by_function(&mut pending);
    let mut new_index = vec![0u32; paths.len()];
    let mut order: Vec<u32> = Vec::with_capacity(paths.len());
    while let Some(position) = pending.pop() {
        new_index[position as usize] = order.len() as u32;
        order.push(position);
        let mut list = std::mem::take(&mut children[position as usize]);
        by_function(&mut list);
        pending.extend(list);
    }
    order
        .iter()
        .map(|&position| {
            let path = &paths[position as usize];
            CallPath {
                parent: path.parent.map(|parent| new_index[parent as usize]),
                ..*path
            }
        })
        .collect()
}

/// Calls `visit(index, ancestors)` for each path in order, with the indices of its ancestors,
/// outermost first. Linear for paths listed depth first (as `Profile::paths` is); any order
/// where each path comes after its parent works.
///
/// # Examples
///
/// ```
/// use hiperf_runtime::graph::{CallPath, walk};
///
/// let path = |parent, function| CallPath { parent, function, calls: 1, total_ns: 1.0, self_ns: 1.0 };
/// let paths = vec![path(None, 0), path(Some(0), 1), path(Some(1), 2), path(Some(0), 3)];
/// let mut depths = Vec::new();
/// walk(&paths, |_, ancestors| depths.push(ancestors.len()));
/// assert_eq!(depths, [0, 1, 2, 1]);
/// ```
pub fn walk(paths: &[CallPath], mut visit: impl FnMut(usize, &[u32])) {
    let mut chain = Chain::default();
    for index in 0..paths.len() {
        chain.move_to(paths, index, |_, _| {});
        visit(index, &chain.indices);
        chain.indices.push(index as u32);
    }
}

/// The ancestors of the path being visited, outermost first.
#[derive(Default)]
struct Chain {
    indices: Vec<u32>,
}

impl Chain {
    /// Makes the chain that of path `index`, reporting each path left (`false`) and entered
    /// (`true`).
    fn move_to(&mut self, paths: &[CallPath], index: usize, mut change: impl FnMut(u32, bool)) {
        let parent = paths[index].parent;
        while let Some(&top) = self.indices.last() {
            if Some(top) == parent {
                return;
            }
            change(top, false);
            self.indices.pop();
        }
        // Not depth first (or a root): rebuild the chain from the parent links.
        let mut at = parent;
        while let Some(step) = at.filter(|&step| (step as usize) < index) {
            self.indices.push(step);
            at = paths[step as usize].parent;
        }
        self.indices.reverse();
        for &step in &self.indices {
            change(step, true);
        }
    }
}

/// The caller/callee edges of `paths`, by (caller, callee).
///
/// # Examples
///
/// ```
/// use hiperf_runtime::graph::{CallPath, edges};
///
/// let paths = vec![
///     CallPath { parent: None, function: 0, calls: 1, total_ns: 10.0, self_ns: 4.0 },
///     CallPath { parent: Some(0), function: 1, calls: 3, total_ns: 6.0, self_ns: 6.0 },
/// ];
/// let edges = edges(&paths);
/// assert_eq!(edges.len(), 2);
/// assert_eq!((edges[1].caller, edges[1].callee, edges[1].calls), (Some(0), 1, 3));
/// ```
pub fn edges(paths: &[CallPath]) -> Vec<Edge> {
    let mut merged: HashMap<(Option<u32>, u32), Edge> = HashMap::new();
    // How many paths of the current chain call each function: a path whose function is
    // already on its chain is a recursive call, whose time is inside its outer call's.
    let mut open: HashMap<u32, u32> = HashMap::new();
    let mut chain = Chain::default();
    for (index, path) in paths.iter().enumerate() {
        chain.move_to(paths, index, |step, entered| {
            let count = open.entry(paths[step as usize].function).or_default();
            *count = if entered {
                *count + 1
            } else {
                count.saturating_sub(1)
            };
        });
        let callee = path.function;
        let caller = path.parent.map(|parent| paths[parent as usize].function);
        let edge = merged.entry((caller, callee)).or_insert(Edge {
            caller,
            callee,
            calls: 0,
            self_ns: 0.0,
            total_ns: 0.0,
        });
        edge.calls += path.calls;
        edge.self_ns += path.self_ns;
        let count = open.entry(callee).or_default();
        if *count == 0 {
            edge.total_ns += path.total_ns;
        }
        *count += 1;
        chain.indices.push(index as u32);
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
