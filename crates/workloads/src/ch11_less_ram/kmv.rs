//! `kminvalues.py`: K-minimum values over signed 32-bit hashes.
//!
//! The book keeps a `blist.sortedset` (sorted, no duplicates) and drops the largest hash
//! once it holds more than k; its estimate reads the **second-largest** kept hash, shifted to
//! be positive. [`KMinValues`] keeps a `BTreeSet`, [`HeapKMinValues`] a `BinaryHeap` of at
//! most k + 1 hashes in one allocation; both give the same estimate.

use std::collections::{BTreeSet, BinaryHeap};

use super::hash::mmh3_hash;

/// `len`: `int((k - 1) * (2**32 - 1) / (second_largest + 2**31 - 1))`, 0 with two hashes or
/// fewer. Both operands are integers below 2^53, so the `f64` division rounds as Python's
/// true division of integers does.
fn estimate(k: usize, kept: usize, second_largest: Option<i32>) -> u64 {
    match second_largest {
        Some(second) if kept > 2 => {
            let numerator = (k as i64 - 1) * (u32::MAX as i64);
            let denominator = i64::from(second) + i64::from(i32::MAX);
            (numerator as f64 / denominator as f64) as u64
        }
        _ => 0,
    }
}

/// The book's structure: a sorted set of the k smallest hashes (plus, between adds, none).
#[derive(Clone, Debug)]
pub struct KMinValues {
    k: usize,
    data: BTreeSet<i32>,
}

impl KMinValues {
    /// `KMinValues(num_hashes)`.
    pub fn new(k: usize) -> Self {
        KMinValues {
            k,
            data: BTreeSet::new(),
        }
    }

    /// `add`: insert `mmh3.hash(item)`; past k hashes, pop the largest.
    pub fn add(&mut self, item: &str) {
        self.data.insert(mmh3_hash(item));
        if self.data.len() > self.k {
            self.data.pop_last();
        }
    }

    /// `len`.
    ///
    /// ```
    /// use hiperf_workloads::ch11_less_ram::KMinValues;
    ///
    /// let mut kmv = KMinValues::new(32);
    /// for i in 0..100_000 {
    ///     kmv.add(&i.to_string());
    /// }
    /// assert_eq!(kmv.len(), 112235);
    /// ```
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> u64 {
        estimate(
            self.k,
            self.data.len(),
            self.data.iter().nth_back(1).copied(),
        )
    }
}

/// The optimized rung: a max-heap of at most k distinct hashes in one buffer.
#[derive(Clone, Debug)]
pub struct HeapKMinValues {
    k: usize,
    heap: BinaryHeap<i32>,
}

impl HeapKMinValues {
    /// Room for k + 1 hashes, allocated once.
    pub fn new(k: usize) -> Self {
        HeapKMinValues {
            k,
            heap: BinaryHeap::with_capacity(k + 1),
        }
    }

    /// The same update as [`KMinValues::add`]; a hash at least the largest kept one, once k
    /// are kept, cannot stay and is not inserted.
    pub fn add(&mut self, item: &str) {
        let hash = mmh3_hash(item);
        if self.heap.len() == self.k && self.heap.peek().is_some_and(|&top| hash >= top) {
            return;
        }
        if self.heap.iter().any(|&kept| kept == hash) {
            return;
        }
        self.heap.push(hash);
        if self.heap.len() > self.k {
            self.heap.pop();
        }
    }

    /// The same estimate as [`KMinValues::len`]: the second largest is the larger child of
    /// the heap's root.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> u64 {
        let slice = self.heap.as_slice();
        let second = slice
            .get(1..3)
            .and_then(|children| children.iter().max().copied());
        estimate(self.k, slice.len(), second)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kmv_32_over_100000_items_gives_112235_both_ways() {
        let mut sorted = KMinValues::new(32);
        let mut heap = HeapKMinValues::new(32);
        for i in 0..100_000 {
            sorted.add(&i.to_string());
            heap.add(&i.to_string());
        }
        assert_eq!(sorted.len(), 112_235);
        assert_eq!(heap.len(), 112_235);
    }

    #[test]
    fn duplicates_are_kept_once_and_small_sets_estimate_zero() {
        let mut sorted = KMinValues::new(4);
        let mut heap = HeapKMinValues::new(4);
        for item in ["a", "a", "b"] {
            sorted.add(item);
            heap.add(item);
        }
        assert_eq!((sorted.len(), heap.len()), (0, 0));
        for i in 0..50 {
            sorted.add(&i.to_string());
            heap.add(&i.to_string());
            sorted.add("a");
            heap.add("a");
            assert_eq!(sorted.len(), heap.len(), "after {i}");
        }
    }
}
