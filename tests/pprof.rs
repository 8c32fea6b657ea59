//! The pprof export, read back with the protobuf crate: a location per annotated line, every
//! line's hits and allocations equal to the profile's, call paths as stacks, and
//! `HIPERF_PPROF` writing the file at the end of a run.

#![cfg(feature = "enable")]

use std::collections::HashMap;
use std::io::Read;

use hiperf::report::pprof::proto;
use prost::Message;

#[global_allocator]
static ALLOC: hiperf::Alloc = hiperf::Alloc::system();

#[hiperf::profile]
fn square(x: u64) -> u64 {
    x * x
}

#[hiperf::profile]
fn sum_of_squares(n: u64) -> u64 {
    let mut total = 0;
    for i in 0..n {
        total += square(i);
    }
    total
}

#[hiperf::profile]
fn twice_squared(x: u64) -> u64 {
    square(x) * 2
}

#[hiperf::memit]
fn buffers(count: usize) -> usize {
    let mut kept = Vec::with_capacity(count);
    for _ in 0..count {
        kept.push(Vec::<u8>::with_capacity(1000));
    }
    kept.len()
}

/// The profile's file, decoded as any pprof reader does: gunzip, then the protobuf message.
fn decode(bytes: &[u8]) -> proto::Profile {
    assert_eq!(&bytes[..2], &[0x1f, 0x8b], "gzip-compressed");
    let mut message = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut message)
        .unwrap();
    proto::Profile::decode(message.as_slice()).unwrap()
}

/// Per (function name, file, line) of the leaf location: the summed values of the samples.
fn flat(profile: &proto::Profile) -> HashMap<(String, String, i64), Vec<i64>> {
    let text = |index: i64| profile.string_table[index as usize].clone();
    let mut flat: HashMap<(String, String, i64), Vec<i64>> = HashMap::new();
    for sample in &profile.sample {
        let leaf = &profile.location[sample.location_id[0] as usize - 1];
        assert_eq!(leaf.id, sample.location_id[0]);
        assert_eq!(leaf.line.len(), 1);
        let function = &profile.function[leaf.line[0].function_id as usize - 1];
        let key = (
            text(function.name),
            text(function.filename),
            leaf.line[0].line,
        );
        let sums = flat
            .entry(key)
            .or_insert_with(|| vec![0; profile.sample_type.len()]);
        for (sum, value) in sums.iter_mut().zip(&sample.value) {
            *sum += value;
        }
    }
    flat
}

/// The stacks (function names, leaf first) of the samples whose leaf is in `function`.
fn stacks(profile: &proto::Profile, function: &str) -> HashMap<Vec<String>, i64> {
    let hits = sample_index(profile, "hits");
    let name = |location_id: u64| {
        let location = &profile.location[location_id as usize - 1];
        let function = &profile.function[location.line[0].function_id as usize - 1];
        profile.string_table[function.name as usize].clone()
    };
    let mut stacks = HashMap::new();
    for sample in &profile.sample {
        let names: Vec<String> = sample.location_id.iter().map(|&id| name(id)).collect();
        if names[0].ends_with(&format!("::{function}")) {
            *stacks.entry(names).or_default() += sample.value[hits];
        }
    }
    stacks
}

fn sample_index(profile: &proto::Profile, kind: &str) -> usize {
    profile
        .sample_type
        .iter()
        .position(|t| profile.string_table[t.r#type as usize] == kind)
        .unwrap_or_else(|| panic!("no sample type {kind}"))
}

#[test]
fn every_line_is_a_location_with_the_profiles_exact_figures() {
    assert_eq!(sum_of_squares(10), 285);
    assert_eq!(twice_squared(3), 18);
    assert_eq!(buffers(5), 5);
    let profile = hiperf::take(Default::default());
    let pprof = decode(&hiperf::report::render_pprof(&profile));

    assert_eq!(pprof.string_table[0], "");
    let types: Vec<(&str, &str)> = pprof
        .sample_type
        .iter()
        .map(|t| {
            (
                pprof.string_table[t.r#type as usize].as_str(),
                pprof.string_table[t.unit as usize].as_str(),
            )
        })
        .collect();
    assert_eq!(
        types,
        [
            ("wall", "nanoseconds"),
            ("hits", "count"),
            ("alloc_objects", "count"),
            ("alloc_space", "bytes")
        ]
    );
    assert_eq!(
        pprof.string_table[pprof.default_sample_type as usize],
        "wall"
    );

    // Every line that ran is a location with the profile's hits and allocations, exactly.
    let flat = flat(&pprof);
    let mut checked = 0;
    for function in &profile.functions {
        let name = format!("{}::{}", function.module_path, function.name);
        for line in function.lines.iter().filter(|l| l.probed && l.hits > 0) {
            let values = &flat[&(name.clone(), function.file.clone(), i64::from(line.line))];
            assert_eq!(values[1], line.hits as i64, "{name}:{}", line.line);
            let memory = line.memory.as_ref();
            assert_eq!(values[2], memory.map_or(0, |m| m.allocations) as i64);
            assert_eq!(values[3], memory.map_or(0, |m| m.allocated_bytes) as i64);
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} lines checked");
    let file = file!().to_string();
    let line_of = |text: &str| {
        include_str!("pprof.rs")
            .lines()
            .position(|line| line.trim() == text)
            .unwrap() as i64
            + 1
    };
    let at = |function: &str, text: &str| {
        flat[&(format!("pprof::{function}"), file.clone(), line_of(text))].clone()
    };
    // A `for` header is hit once per iteration and once for the exit.
    assert_eq!(at("sum_of_squares", "for i in 0..n {")[1], 11);
    assert_eq!(at("sum_of_squares", "total += square(i);")[1], 10);
    assert_eq!(at("square", "x * x")[1], 11);
    let pushes = at("buffers", "kept.push(Vec::<u8>::with_capacity(1000));");
    assert_eq!(
        (pushes[2], pushes[3]),
        (5, 5 * 1000),
        "five buffers of 1000 bytes"
    );

    // Call paths are stacks: square's lines under each caller, hits split by calls (10 and 1).
    let square = stacks(&pprof, "square");
    let under =
        |caller: &str| square[&vec!["pprof::square".to_string(), format!("pprof::{caller}")]];
    assert_eq!(under("sum_of_squares"), 10);
    assert_eq!(under("twice_squared"), 1);
    assert_eq!(square.len(), 2);
}

#[hiperf::profile]
fn countdown(n: u32) -> u32 {
    if n == 0 {
        return 0;
    }
    1 + countdown(n - 1)
}

#[test]
fn deep_recursion_keeps_every_hit_and_bounded_stacks() {
    assert_eq!(countdown(600), 600);
    let profile = hiperf::take(Default::default());
    let pprof = decode(&hiperf::report::render_pprof(&profile));
    let deepest = pprof
        .sample
        .iter()
        .map(|s| s.location_id.len())
        .max()
        .unwrap();
    assert!(deepest <= 258, "a stack of {deepest} frames");
    let flat = flat(&pprof);
    let hits = |text: &str| {
        let line = include_str!("pprof.rs")
            .lines()
            .position(|line| line.trim() == text)
            .unwrap() as i64
            + 1;
        flat[&("pprof::countdown".to_string(), file!().to_string(), line)][1]
    };
    assert_eq!(hits("if n == 0 {"), 601);
    assert_eq!(hits("1 + countdown(n - 1)"), 600);
    let names: std::collections::HashSet<&str> = pprof
        .function
        .iter()
        .map(|f| pprof.string_table[f.name as usize].as_str())
        .collect();
    assert!(names.contains("[deeper calls]"), "{names:?}");
}

#[test]
fn hiperf_pprof_writes_the_file_at_the_end_of_the_run() {
    let directory = std::env::temp_dir().join(format!("hiperf-pprof-{}", std::process::id()));
    let path = directory.join("profile.pb.gz");
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_run_that_writes_its_profile",
            "--nocapture",
        ])
        .env("HIPERF_PPROF_TEST_CHILD", "1")
        .env("HIPERF_PPROF", &path)
        .env("HIPERF_REPORT", "off")
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let pprof = decode(&std::fs::read(&path).unwrap());
    let _ = std::fs::remove_dir_all(&directory);
    let flat = flat(&pprof);
    let hits: i64 = flat
        .iter()
        .filter(|((name, _, _), _)| name == "pprof::square")
        .map(|(_, values)| values[1])
        .sum();
    assert_eq!(hits, 7, "the child's seven calls of square, one line each");
}

/// Runs only as the child of the test above.
#[test]
fn child_run_that_writes_its_profile() {
    if std::env::var_os("HIPERF_PPROF_TEST_CHILD").is_none() {
        return;
    }
    assert_eq!(sum_of_squares(7), 91);
    hiperf::finish().unwrap();
}
