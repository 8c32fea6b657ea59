//! The profile as pprof's `profile.proto`, gzip-compressed: the format `go tool pprof`,
//! speedscope, Pyroscope and Grafana share. Pure: data in, bytes out.
//!
//! Each probed source line of an annotated function is a location of its own (function, file,
//! line). A sample is one line along one call path: its stack is the line, then the `fn` line
//! of each annotated caller out to the outermost (past 256 callers, the callers between the
//! outermost 255 and the line are one `[deeper calls]` frame, so that a stack stays bounded
//! under deep recursion). Values, in order: `wall` (nanoseconds: the line's time outside
//! annotated callees, whose own lines carry the rest, so that a caller's cumulative time is
//! its inclusive time), `hits` (count) and, when a `#[memit]` function is in the profile,
//! `alloc_objects` (count) and `alloc_space` (bytes).
//!
//! `alloc_objects` and `alloc_space` are a line's own figures as the memory table shows them,
//! which include what annotated callees allocated (memory_profiler counts a line the same
//! way): where one `#[memit]` function calls another, the callee's allocations are in both
//! and pprof's totals count them twice.
//!
//! hiperf counts lines per function, not per call path: a function reached along several
//! paths has each line's figures split over those paths in proportion to the calls along
//! each (largest remainders, so that each line's totals stay exact).

pub mod proto;

use std::collections::HashMap;
use std::io::{Read, Write};

use prost::Message;

use super::export::FOLDED_DEPTH;
use crate::graph::walk;
use crate::snapshot::Profile;

/// Stands for the frames of a call path deeper than [`FOLDED_DEPTH`] in its stacks.
const DEEPER: u32 = u32::MAX - 1;

/// The sample types hiperf writes, by the name pprof's `-sample_index` takes.
pub const WALL: &str = "wall";
/// Line hits.
pub const HITS: &str = "hits";
/// Allocations (where `#[memit]` ran).
pub const ALLOC_OBJECTS: &str = "alloc_objects";
/// Bytes allocated (where `#[memit]` ran).
pub const ALLOC_SPACE: &str = "alloc_space";

/// The profile as a gzip-compressed `profile.proto`, ready for a `.pb.gz` file.
///
/// # Examples
///
/// ```
/// let profile = hiperf_runtime::snapshot::take(Default::default());
/// let bytes = hiperf_runtime::report::render_pprof(&profile);
/// let decoded = hiperf_runtime::report::pprof::decode(&bytes).unwrap();
/// assert_eq!(decoded.string_table[0], "");
/// ```
pub fn render_pprof(profile: &Profile) -> Vec<u8> {
    let message = build(profile).encode_to_vec();
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing into a `Vec` cannot fail.
    let _ = encoder.write_all(&message);
    encoder.finish().unwrap_or_default()
}

/// Reads a `.pb.gz` (or an uncompressed `.pb`) profile.
///
/// # Examples
///
/// ```
/// let bytes = hiperf_runtime::report::render_pprof(&hiperf_runtime::snapshot::take(Default::default()));
/// assert!(hiperf_runtime::report::pprof::decode(&bytes).is_ok());
/// ```
pub fn decode(bytes: &[u8]) -> std::io::Result<proto::Profile> {
    let mut message = Vec::new();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        flate2::read::GzDecoder::new(bytes).read_to_end(&mut message)?;
    } else {
        message.extend_from_slice(bytes);
    }
    proto::Profile::decode(message.as_slice()).map_err(std::io::Error::other)
}

/// The profile as a `profile.proto` message.
pub fn build(profile: &Profile) -> proto::Profile {
    let mut out = Builder::default();
    out.string("");
    let memory = profile.functions.iter().any(|f| f.measures_memory);
    let mut types = vec![(WALL, "nanoseconds"), (HITS, "count")];
    if memory {
        types.extend([(ALLOC_OBJECTS, "count"), (ALLOC_SPACE, "bytes")]);
    }
    out.message.sample_type = types
        .iter()
        .map(|&(kind, unit)| proto::ValueType {
            r#type: out.string(kind),
            unit: out.string(unit),
        })
        .collect();
    out.message.default_sample_type = out.string(WALL);
    out.message.period_type = Some(proto::ValueType {
        r#type: out.string(HITS),
        unit: out.string("count"),
    });
    out.message.period = 1;
    let comment = format!(
        "hiperf {}; clock {}; probe cost {:.1} ns per line hit{}",
        profile.schema,
        profile.clock.source,
        profile.clock.probe_line_ns,
        if profile.clock.probe_subtracted {
            ", subtracted"
        } else {
            ""
        }
    );
    let comment = out.string(&comment);
    out.message.comment.push(comment);
    let program = std::env::current_exe()
        .ok()
        .and_then(|path| {
            path.file_name()
                .map(|name| name.to_string_lossy().into_owned())
        })
        .unwrap_or_default();
    let filename = out.string(&program);
    out.message.mapping.push(proto::Mapping {
        id: 1,
        filename,
        has_functions: true,
        has_filenames: true,
        has_line_numbers: true,
        ..Default::default()
    });

    // The call paths that end in each function, with their calls: the callers' frames,
    // innermost first, at most `FOLDED_DEPTH` of them (deeper ones become one frame).
    let mut callers: HashMap<u32, Vec<(Vec<u32>, u64)>> = HashMap::new();
    walk(&profile.paths, |index, ancestors| {
        let path = &profile.paths[index];
        if path.calls == 0 {
            return;
        }
        let functions = ancestors
            .iter()
            .map(|&a| profile.paths[a as usize].function);
        let frames: Vec<u32> = if ancestors.len() > FOLDED_DEPTH {
            let mut kept: Vec<u32> = functions.take(FOLDED_DEPTH - 1).collect();
            kept.push(DEEPER);
            kept.into_iter().rev().collect()
        } else {
            functions.rev().collect()
        };
        callers
            .entry(path.function)
            .or_default()
            .push((frames, path.calls));
    });
    for (index, function) in profile.functions.iter().enumerate() {
        let index = index as u32;
        let paths = callers.remove(&index).unwrap_or_default();
        let weights: Vec<u64> = paths.iter().map(|&(_, calls)| calls).collect();
        let stacks: Vec<Vec<u64>> = paths
            .iter()
            .map(|(frames, _)| {
                frames
                    .iter()
                    .map(|&caller| out.entry_location(profile, caller))
                    .collect()
            })
            .collect();
        for line in function.lines.iter().filter(|line| line.probed) {
            let mut values = vec![
                if function.measures_time {
                    (line.time_ns - line.callee_ns).max(0.0).round() as u64
                } else {
                    0
                },
                line.hits,
            ];
            if memory {
                let figures = line.memory.as_ref();
                values.push(figures.map_or(0, |m| m.allocations));
                values.push(figures.map_or(0, |m| m.allocated_bytes));
            }
            if values.iter().all(|&value| value == 0) {
                continue;
            }
            let leaf = out.location(profile, index, line.line);
            if stacks.is_empty() {
                out.sample(vec![leaf], &values);
                continue;
            }
            let shares: Vec<Vec<u64>> = values.iter().map(|&v| split(v, &weights)).collect();
            for (path, stack) in stacks.iter().enumerate() {
                let path_values: Vec<u64> = shares.iter().map(|share| share[path]).collect();
                if path_values.iter().all(|&value| value == 0) {
                    continue;
                }
                let mut location_ids = Vec::with_capacity(stack.len() + 1);
                location_ids.push(leaf);
                location_ids.extend(stack);
                out.sample(location_ids, &path_values);
            }
        }
    }
    out.message
}

/// `total` split over `weights` in proportion, by largest remainders: the parts sum to `total`.
fn split(total: u64, weights: &[u64]) -> Vec<u64> {
    let sum: u128 = weights.iter().map(|&w| u128::from(w)).sum();
    if sum == 0 {
        let mut parts = vec![0; weights.len()];
        if let Some(first) = parts.first_mut() {
            *first = total;
        }
        return parts;
    }
    let exact: Vec<(u64, u128)> = weights
        .iter()
        .map(|&w| {
            let product = u128::from(total) * u128::from(w);
            ((product / sum) as u64, product % sum)
        })
        .collect();
    let mut parts: Vec<u64> = exact.iter().map(|&(part, _)| part).collect();
    let left = total - parts.iter().sum::<u64>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| exact[b].1.cmp(&exact[a].1).then(a.cmp(&b)));
    for &index in order.iter().take(left as usize) {
        parts[index] += 1;
    }
    parts
}

#[derive(Default)]
struct Builder {
    message: proto::Profile,
    strings: HashMap<String, i64>,
    functions: HashMap<u32, u64>,
    locations: HashMap<(u32, u32), u64>,
}

impl Builder {
    fn string(&mut self, text: &str) -> i64 {
        if let Some(&index) = self.strings.get(text) {
            return index;
        }
        let index = self.message.string_table.len() as i64;
        self.message.string_table.push(text.to_string());
        self.strings.insert(text.to_string(), index);
        index
    }

    /// The pprof function of `profile.functions[index]` ([`TRUNCATED`](crate::graph::TRUNCATED): "[call tree full]",
    /// [`DEEPER`]: "[deeper calls]").
    fn function(&mut self, profile: &Profile, index: u32) -> u64 {
        if let Some(&id) = self.functions.get(&index) {
            return id;
        }
        let (name, file, line) = match profile.functions.get(index as usize) {
            Some(function) => (
                format!("{}::{}", function.module_path, function.name),
                function.file.as_str(),
                function.line,
            ),
            None if index == DEEPER => ("[deeper calls]".to_string(), "", 0),
            None => ("[call tree full]".to_string(), "", 0),
        };
        let id = self.message.function.len() as u64 + 1;
        let name = self.string(&name);
        let filename = self.string(file);
        self.message.function.push(proto::Function {
            id,
            name,
            system_name: name,
            filename,
            start_line: i64::from(line),
        });
        self.functions.insert(index, id);
        id
    }

    /// The location of one line of `profile.functions[index]`.
    fn location(&mut self, profile: &Profile, index: u32, line: u32) -> u64 {
        if let Some(&id) = self.locations.get(&(index, line)) {
            return id;
        }
        let function_id = self.function(profile, index);
        let id = self.message.location.len() as u64 + 1;
        self.message.location.push(proto::Location {
            id,
            mapping_id: 1,
            line: vec![proto::Line {
                function_id,
                line: i64::from(line),
            }],
            ..Default::default()
        });
        self.locations.insert((index, line), id);
        id
    }

    /// A caller's frame: the line of its `fn` keyword.
    fn entry_location(&mut self, profile: &Profile, index: u32) -> u64 {
        let line = profile.functions.get(index as usize).map_or(0, |f| f.line);
        self.location(profile, index, line)
    }

    fn sample(&mut self, location_id: Vec<u64>, values: &[u64]) {
        self.message.sample.push(proto::Sample {
            location_id,
            value: values
                .iter()
                .map(|&v| v.min(i64::MAX as u64) as i64)
                .collect(),
            label: Vec::new(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_split_keeps_the_total_and_the_proportions() {
        assert_eq!(split(11, &[10, 1]), [10, 1]);
        assert_eq!(split(10, &[1, 1, 1]), [4, 3, 3]);
        assert_eq!(split(7, &[0, 5]), [0, 7]);
        assert_eq!(split(5, &[]), Vec::<u64>::new());
        assert_eq!(split(5, &[0, 0]), [5, 0]);
        assert_eq!(
            split(u64::MAX, &[u64::MAX, 1]).iter().sum::<u64>(),
            u64::MAX
        );
    }

    #[test]
    fn strings_are_stored_once_after_the_empty_string() {
        let profile = crate::snapshot::take(Default::default());
        let message = build(&profile);
        assert_eq!(message.string_table[0], "");
        let mut seen = std::collections::HashSet::new();
        assert!(message.string_table.iter().all(|s| seen.insert(s)));
        assert_eq!(decode(&render_pprof(&profile)).unwrap(), message);
    }
}
