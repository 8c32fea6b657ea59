//! hiperf's runtime: the counters the attribute macros write, the clock, the registry of
//! annotated functions, and the reports. Use it through the `hiperf` crate.
//!
//! ```
//! // Everything a report needs is read from the registry at any time:
//! let profile = hiperf_runtime::snapshot::take(Default::default());
//! println!("{}", hiperf_runtime::report::render_text(&profile, Default::default()));
//! ```
//!
//! Hot-path state is thread-local and `const`-initialised: a line mark is one clock read and
//! a few plain loads and stores, with no lock, allocation or atomic read-modify-write.

pub mod alloc;
pub mod budget;
pub mod calls;
pub mod clock;
pub mod exit;
pub mod future;
pub mod graph;
pub mod json;
pub mod lines;
pub mod memit;
pub mod merge;
pub mod output;
pub mod probe;
pub mod registry;
pub mod report;
pub mod sampler;
pub mod snapshot;

#[doc(hidden)]
pub mod __private;
