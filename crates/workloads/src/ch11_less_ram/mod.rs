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
pub use unique::ITEMS;
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
    fn every_registered_variant_passes_at_quick_size_and_records_its_figures() {
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
        assert_eq!(unique.len(), 14);
        let morris = ladder("morris-counter");
        let main = ladder("hyperloglog-main");
        for workload in containers.iter().chain(&unique).chain(&morris).chain(&main) {
            let mut run = Run::new(Size::Quick);
            (workload.run)(&mut run).unwrap_or_else(|error| panic!("{}: {error}", workload.id()));
            assert!(run.elapsed().is_some(), "{}", workload.id());
            let recorded: Vec<&str> = run.figures().iter().map(|f| f.name).collect();
            let expected: &[&str] = match workload.name {
                "text-containers" => &["held bytes", "bytes per word", "100,000 lookups s"],
                "hyperloglog-main" => &["estimate", "exact"],
                _ => &["held bytes", "estimate", "exact"],
            };
            assert_eq!(recorded, expected, "{}", workload.id());
        }
    }
}
