//! Chapter 5, Iterators and generators: Fibonacci numbers built into a list or yielded one
//! at a time (`fibonacci.py`), and the lazy anomaly-detection pipeline
//! (`lazy_data_analysis.py`).
//!
//! The Fibonacci numbers outgrow `u64` at F(94), so they are `BigUint`s, as Python's are.
//! The pipeline reads an endless stream of one reading per second, groups it by day, and
//! keeps the days that D'Agostino's K² test (scipy's `normaltest`, reimplemented here)
//! finds far from normal: with the stream lazy, only one day is ever held in memory.

mod anomalies;
mod fibonacci;

pub use anomalies::*;
pub use fibonacci::*;

#[cfg(test)]
mod tests {
    use crate::{Run, Size, Workload};

    #[test]
    fn every_registered_variant_passes_at_quick_size() {
        let ladder = |name: &str| -> Vec<&'static Workload> {
            crate::workloads()
                .into_iter()
                .filter(|w| w.chapter == 5 && w.name == name)
                .collect()
        };
        let fibonacci = ladder("fibonacci");
        let anomalies = ladder("anomalies");
        assert_eq!(
            fibonacci.iter().map(|w| w.variant).collect::<Vec<_>>(),
            ["list", "iterator", "in-place"]
        );
        assert_eq!(
            anomalies.iter().map(|w| w.variant).collect::<Vec<_>>(),
            ["collect-day", "streaming"]
        );
        for workload in fibonacci.iter().chain(&anomalies) {
            let mut run = Run::new(Size::Quick);
            (workload.run)(&mut run).unwrap_or_else(|error| panic!("{}: {error}", workload.id()));
            assert!(run.elapsed().is_some());
        }
    }
}
