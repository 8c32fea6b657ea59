//! Chapter 11, Using less RAM: the word list in seven containers (`compressing_text/`), the
//! Morris counter (`morris_counter_example/`), and the book's probabilistic data structures
//! (`probabilistic_datastructures/`) with the unique-items experiment.
//!
//! Memory is this chapter's measure: each variant records the heap its structure holds
//! (exact, from the counting allocator) with [`Run::record`](crate::Run::record), and the
//! report draws those bytes beside the times.

mod bloom;
mod containers;
mod hash;
mod kmv;
mod loglog;
mod morris;
mod unique;
mod words;

pub use bloom::*;
pub use containers::*;
pub use hash::*;
pub use kmv::*;
pub use loglog::*;
pub use morris::*;
pub use unique::{ITEMS, LOGLOG_4, SUPERLOGLOG_4};
pub use words::*;

#[cfg(test)]
mod tests {
    use crate::{Run, Size, Workload};

    fn ladder(name: &str) -> Vec<&'static Workload> {
        crate::workloads()
            .into_iter()
            .filter(|w| w.chapter == 11 && w.name == name)
            .collect()
    }

    #[test]
    fn the_variants_pass_at_quick_size_and_record_their_figures() {
        let names = |ladder: &[&Workload]| ladder.iter().map(|w| w.variant).collect::<Vec<_>>();
        let containers = ladder("text-containers");
        assert_eq!(
            names(&containers),
            [
                "vec-linear",
                "sorted-vec",
                "hash-set",
                "hash-map",
                "arena",
                "fst",
                "patricia-trie"
            ]
        );
        let unique = ladder("unique-items");
        assert_eq!(unique.len(), 16);
        let morris = ladder("morris-counter");
        let main = ladder("hyperloglog-main");
        // The slowest variants in a debug build (a scan per probe, a hash per member filter)
        // run in the registry test; the figures they record are the same as their ladders'.
        let slow = ["vec-linear", "scaling-bloom", "bloom"];
        for workload in containers
            .iter()
            .chain(&unique)
            .chain(&morris)
            .chain(&main)
            .filter(|w| !slow.contains(&w.variant))
        {
            let mut run = Run::new(Size::Quick);
            (workload.run)(&mut run).unwrap_or_else(|error| panic!("{}: {error}", workload.id()));
            assert!(run.elapsed().is_some(), "{}", workload.id());
            let recorded: Vec<&str> = run.figures().iter().map(|f| f.name).collect();
            let expected: &[&str] = match workload.name {
                "text-containers" => &[
                    super::figure::HELD,
                    super::figure::PER_WORD,
                    super::figure::LOOKUPS,
                ],
                "hyperloglog-main" => &["estimate", "exact"],
                _ => &["held bytes", "estimate", "exact"],
            };
            assert_eq!(recorded, expected, "{}", workload.id());
        }
    }
}
