//! Every case of the bench: its criterion group and id, and how the table reads it.
//!
//! The bench registers each case under `group/id`; criterion stores its estimates in
//! `target/criterion/<group>/<id>/new/estimates.json`, where the table step finds them.

use serde::Serialize;

/// The criterion group of the per-call cases: one iteration is one call of a ~1-2 ns function.
pub const PER_CALL: &str = "per_call";
/// The criterion group of the per-line cases: one iteration is one call of the loop function, or
/// one clock read for the floors.
pub const PER_LINE: &str = "per_line";
/// The criterion group of the allocator cases: one iteration is one `alloc` + `dealloc` pair.
pub const ALLOC_PAIR: &str = "alloc_pair";

/// The groups in table order.
pub const GROUPS: [&str; 3] = [PER_CALL, PER_LINE, ALLOC_PAIR];

/// The part a case plays in its group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The uninstrumented code every overhead is measured from.
    Baseline,
    /// hiperf itself.
    Hiperf,
    /// A peer profiler; `records_time` says whether it keeps a duration for every call, which
    /// is what hiperf's per-call target compares against.
    Peer { records_time: bool },
    /// A physical floor of a timed probe (one clock read).
    Floor,
}

/// One benchmarked configuration.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Case {
    /// Criterion group.
    pub group: &'static str,
    /// Criterion function id, unique in its group.
    pub id: &'static str,
    /// The tool (or `"baseline"`, `"clock"`).
    pub tool: &'static str,
    /// What is measured, for the table.
    pub label: &'static str,
    /// Its part in the group.
    pub role: Role,
    /// The cargo feature it waits behind, if any.
    pub feature: Option<&'static str>,
}

const fn case(
    group: &'static str,
    id: &'static str,
    tool: &'static str,
    label: &'static str,
    role: Role,
) -> Case {
    Case {
        group,
        id,
        tool,
        label,
        role,
        feature: None,
    }
}

const RECORDS: Role = Role::Peer { records_time: true };
const NO_TIME: Role = Role::Peer {
    records_time: false,
};

/// Per call: bare function.
pub const CALL_BARE: Case = case(
    PER_CALL,
    "bare",
    "baseline",
    "bare `#[inline(never)]` fn",
    Role::Baseline,
);
/// Per call: `#[hiperf::profile]`.
pub const CALL_HIPERF: Case = case(
    PER_CALL,
    "hiperf_profile",
    "hiperf",
    "hiperf `#[profile]`",
    Role::Hiperf,
);
/// Per call: `#[hiperf::profile]` in the sampled mode (`HIPERF_MODE=sampled`): calls and
/// hits counted, time sampled.
pub const CALL_HIPERF_SAMPLED: Case = case(
    PER_CALL,
    "hiperf_profile_sampled",
    "hiperf",
    "hiperf `#[profile]`, sampled mode",
    Role::Hiperf,
);
/// Per call: `#[hotpath::measure]` under a guard.
///
/// The bench builds exactly one of [`CALL_HOTPATH`] and [`CALL_HOTPATH_ALLOC`]: hotpath's
/// `hotpath-alloc` feature switches `#[measure]` for the whole binary.
pub const CALL_HOTPATH: Case = Case {
    feature: Some("no `hotpath-alloc`"),
    ..case(
        PER_CALL,
        "hotpath_measure",
        "hotpath",
        "hotpath `#[measure]`, time only (guard alive)",
        RECORDS,
    )
};
/// Per call: `#[hotpath::measure]` with `hotpath-alloc`, recording allocations beside the time.
pub const CALL_HOTPATH_ALLOC: Case = Case {
    feature: Some("hotpath-alloc"),
    ..case(
        PER_CALL,
        "hotpath_measure_alloc",
        "hotpath",
        "hotpath `#[measure]`, time + allocations (`hotpath-alloc`; guard alive)",
        RECORDS,
    )
};
/// Per call: puffin with scopes on.
pub const CALL_PUFFIN_ON: Case = case(
    PER_CALL,
    "puffin_scopes_on",
    "puffin",
    "puffin `profile_function!`, scopes on",
    RECORDS,
);
/// Per call: puffin with scopes off.
pub const CALL_PUFFIN_OFF: Case = case(
    PER_CALL,
    "puffin_scopes_off",
    "puffin",
    "puffin `profile_function!`, scopes off",
    NO_TIME,
);
/// Per call: tracy-client span with no viewer.
pub const CALL_TRACY: Case = case(
    PER_CALL,
    "tracy_span",
    "tracy-client",
    "tracy-client `span!`, no viewer (`enable`, `only-localhost`)",
    RECORDS,
);
/// Per call: tracing with no subscriber.
pub const CALL_TRACING_NONE: Case = case(
    PER_CALL,
    "tracing_no_subscriber",
    "tracing",
    "tracing `#[instrument]`, no subscriber",
    NO_TIME,
);
/// Per call: tracing with a bare registry.
pub const CALL_TRACING_REGISTRY: Case = case(
    PER_CALL,
    "tracing_registry",
    "tracing",
    "tracing `#[instrument]` + bare `tracing_subscriber::registry()`",
    NO_TIME,
);
/// Per call: coarse-prof.
pub const CALL_COARSE: Case = case(
    PER_CALL,
    "coarse_prof",
    "coarse-prof",
    "coarse-prof `profile!`",
    RECORDS,
);
/// Per call: firestorm.
pub const CALL_FIRESTORM: Case = case(
    PER_CALL,
    "firestorm",
    "firestorm",
    "firestorm `profile_fn!` (`enable_system_time`)",
    RECORDS,
);

/// Per line: the loop, bare.
pub const LINE_BARE: Case = case(
    PER_LINE,
    "bare_loop",
    "baseline",
    "bare loop (per call)",
    Role::Baseline,
);
/// Per line: the loop under `#[hiperf::profile]`.
pub const LINE_HIPERF: Case = case(
    PER_LINE,
    "hiperf_profile_loop",
    "hiperf",
    "hiperf `#[profile]`, per line hit",
    Role::Hiperf,
);
/// Per line: the loop under `#[hiperf::profile]` in the sampled mode.
pub const LINE_HIPERF_SAMPLED: Case = case(
    PER_LINE,
    "hiperf_profile_loop_sampled",
    "hiperf",
    "hiperf `#[profile]`, sampled mode, per line hit",
    Role::Hiperf,
);
/// Per line: the loop under `#[hiperf::memit]`.
pub const LINE_MEMIT: Case = Case {
    feature: Some("hiperf-memit"),
    ..case(
        PER_LINE,
        "hiperf_memit_loop",
        "hiperf",
        "hiperf `#[memit]`, per line hit",
        Role::Hiperf,
    )
};
/// Per line: one `rdtsc`.
pub const LINE_RDTSC: Case = case(PER_LINE, "rdtsc", "clock", "one `_rdtsc()`", Role::Floor);
/// Per line: one `Instant::now()`.
pub const LINE_INSTANT: Case = case(
    PER_LINE,
    "instant_now",
    "clock",
    "one `Instant::now()`",
    Role::Floor,
);

/// Allocator: `System`.
pub const ALLOC_SYSTEM: Case = case(
    ALLOC_PAIR,
    "system",
    "baseline",
    "`std::alloc::System`",
    Role::Baseline,
);
/// Allocator: divan's `AllocProfiler`.
pub const ALLOC_DIVAN: Case = case(
    ALLOC_PAIR,
    "divan",
    "divan",
    "divan `AllocProfiler::system()`",
    NO_TIME,
);
/// Allocator: hotpath's `CountingAllocator`.
pub const ALLOC_HOTPATH: Case = Case {
    feature: Some("hotpath-alloc"),
    ..case(
        ALLOC_PAIR,
        "hotpath",
        "hotpath",
        "hotpath `CountingAllocator` (`hotpath-alloc`, guard alive, inside `#[measure]`)",
        NO_TIME,
    )
};
/// Allocator: dhat's `Alloc`.
pub const ALLOC_DHAT: Case = case(
    ALLOC_PAIR,
    "dhat",
    "dhat",
    "dhat `Alloc` + `Profiler::new_heap()` running",
    NO_TIME,
);
/// Allocator: `hiperf::Alloc`.
pub const ALLOC_HIPERF: Case = Case {
    feature: Some("hiperf-alloc"),
    ..case(
        ALLOC_PAIR,
        "hiperf",
        "hiperf",
        "`hiperf::Alloc::system()`",
        Role::Hiperf,
    )
};

/// Every case, in table order.
pub const ALL: &[Case] = &[
    CALL_BARE,
    CALL_HIPERF,
    CALL_HIPERF_SAMPLED,
    CALL_TRACY,
    CALL_COARSE,
    CALL_HOTPATH,
    CALL_HOTPATH_ALLOC,
    CALL_FIRESTORM,
    CALL_PUFFIN_ON,
    CALL_PUFFIN_OFF,
    CALL_TRACING_NONE,
    CALL_TRACING_REGISTRY,
    LINE_BARE,
    LINE_HIPERF,
    LINE_HIPERF_SAMPLED,
    LINE_MEMIT,
    LINE_RDTSC,
    LINE_INSTANT,
    ALLOC_SYSTEM,
    ALLOC_HIPERF,
    ALLOC_DIVAN,
    ALLOC_HOTPATH,
    ALLOC_DHAT,
];

/// Peers named by the project that this bench does not run, with the reason.
///
/// Empty when every peer builds and runs here; a peer that stops building moves here.
pub const EXCLUDED: &[(&str, &str)] = &[];

/// The packages whose resolved versions the table reports (read from this crate's Cargo.lock).
pub const VERSIONED: &[&str] = &[
    "hiperf",
    "hotpath",
    "puffin",
    "tracy-client",
    "tracy-client-sys",
    "tracing",
    "tracing-subscriber",
    "coarse-prof",
    "firestorm",
    "dhat",
    "divan",
    "criterion",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_in_their_group() {
        for (index, case) in ALL.iter().enumerate() {
            for other in &ALL[index + 1..] {
                assert!(
                    case.group != other.group || case.id != other.id,
                    "{}/{}",
                    case.group,
                    case.id
                );
            }
        }
    }

    #[test]
    fn every_group_has_one_baseline_and_a_hiperf_case() {
        for group in GROUPS {
            let baselines = ALL
                .iter()
                .filter(|case| case.group == group && case.role == Role::Baseline)
                .count();
            assert_eq!(baselines, 1, "{group}");
            assert!(
                ALL.iter()
                    .any(|case| case.group == group && case.role == Role::Hiperf),
                "{group}"
            );
        }
    }
}
