//! `bloomfilter.py` and `scalingbloomfilter.py`: a Bloom filter sized for a capacity and an
//! error rate, and the scalable Bloom filter that appends tighter filters as each fills.
//!
//! The sizing is the book's float floor division, reproduced as Python computes it; the
//! indexes are `(h1 + i*h2) % num_bits` on `mmh3.hash64`'s signed halves in big-integer
//! arithmetic with a non-negative `%` (i128 and `rem_euclid` here). The bits are a
//! [`BitStore`]: `Vec<bool>` (a byte per bit) in the naive port, a `Vec<u64>` bitset in the
//! optimized one, as `bitarray` packs them.

use super::hash::mmh3_hash64;

/// Python's `a // b` for floats (CPython's `float_floor_div`): from `fmod`, so that it
/// rounds exactly as the book's sizing does.
///
/// ```
/// use hiperf_workloads::ch11_less_ram::python_floor_div;
///
/// assert_eq!(python_floor_div(7.5, 2.0), 3.0);
/// assert_eq!(python_floor_div(-7.5, 2.0), -4.0);
/// ```
pub fn python_floor_div(a: f64, b: f64) -> f64 {
    let modulo = a % b;
    let mut division = (a - modulo) / b;
    if modulo != 0.0 && (b < 0.0) != (modulo < 0.0) {
        division -= 1.0;
    }
    if division != 0.0 {
        let mut floor = division.floor();
        if division - floor > 0.5 {
            floor += 1.0;
        }
        floor
    } else {
        0.0_f64.copysign(a / b)
    }
}

/// `BloomFilter.__init__`'s sizing: `(num_bits, num_hashes)` for a capacity and an error rate.
///
/// ```
/// use hiperf_workloads::ch11_less_ram::bloom_sizing;
///
/// assert_eq!(bloom_sizing(2048, 0.005), (22585, 8));
/// assert_eq!(bloom_sizing(1_048_576, 0.005), (11_563_438, 8));
/// ```
pub fn bloom_sizing(capacity: u64, error: f64) -> (u64, u32) {
    let ln2 = 2_f64.ln();
    let bits = python_floor_div(-(capacity as f64) * error.ln(), ln2.powf(2.0)) + 1.0;
    let num_bits = bits as u64;
    let hashes = python_floor_div(num_bits as f64 * ln2, capacity as f64) + 1.0;
    (num_bits, hashes as u32)
}

/// Where a Bloom filter keeps its bits.
pub trait BitStore: std::fmt::Debug {
    /// `bits` bits, all clear (`bitarray(n)` is not zeroed in old versions; here it is).
    fn zeroed(bits: u64) -> Self;
    /// Sets bit `index`.
    fn set(&mut self, index: u64);
    /// Whether bit `index` is set.
    fn get(&self, index: u64) -> bool;
    /// `data.count(True)`.
    fn count_ones(&self) -> u64;
    /// The bitwise OR of two stores of one size.
    fn or(&self, other: &Self) -> Self;
}

impl BitStore for Vec<bool> {
    fn zeroed(bits: u64) -> Self {
        vec![false; bits as usize]
    }

    fn set(&mut self, index: u64) {
        self[index as usize] = true;
    }

    fn get(&self, index: u64) -> bool {
        self[index as usize]
    }

    fn count_ones(&self) -> u64 {
        self.iter().filter(|&&bit| bit).count() as u64
    }

    fn or(&self, other: &Self) -> Self {
        self.iter().zip(other).map(|(a, b)| *a || *b).collect()
    }
}

/// A bitset of 64-bit words: one bit per bit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BitSet(Vec<u64>);

impl BitStore for BitSet {
    fn zeroed(bits: u64) -> Self {
        BitSet(vec![0; bits.div_ceil(64) as usize])
    }

    fn set(&mut self, index: u64) {
        self.0[(index / 64) as usize] |= 1 << (index % 64);
    }

    fn get(&self, index: u64) -> bool {
        self.0[(index / 64) as usize] & (1 << (index % 64)) != 0
    }

    fn count_ones(&self) -> u64 {
        self.0.iter().map(|word| u64::from(word.count_ones())).sum()
    }

    fn or(&self, other: &Self) -> Self {
        BitSet(self.0.iter().zip(&other.0).map(|(a, b)| a | b).collect())
    }
}

/// `bloomfilter.BloomFilter` over the bit store `B`.
#[derive(Clone, Debug)]
pub struct BloomFilter<B: BitStore> {
    /// The capacity it was sized for.
    pub capacity: u64,
    /// The error rate it was sized for.
    pub error: f64,
    /// `num_bits`.
    pub num_bits: u64,
    /// `num_hashes`.
    pub num_hashes: u32,
    data: B,
}

impl<B: BitStore> BloomFilter<B> {
    /// `BloomFilter(capacity, error)`.
    pub fn new(capacity: u64, error: f64) -> Self {
        let (num_bits, num_hashes) = bloom_sizing(capacity, error);
        BloomFilter {
            capacity,
            error,
            num_bits,
            num_hashes,
            data: B::zeroed(num_bits),
        }
    }

    /// `_indexes` from the two halves of `mmh3.hash64(key)`.
    fn indexes(&self, (h1, h2): (i64, i64)) -> impl Iterator<Item = u64> + use<B> {
        let bits = i128::from(self.num_bits);
        (0..self.num_hashes)
            .map(move |i| (i128::from(h1) + i128::from(i) * i128::from(h2)).rem_euclid(bits) as u64)
    }

    /// `add`.
    pub fn add(&mut self, key: &str) {
        self.add_hashed(mmh3_hash64(key));
    }

    /// `add` with `mmh3.hash64(key)` already computed.
    pub fn add_hashed(&mut self, hashes: (i64, i64)) {
        for index in self.indexes(hashes) {
            self.data.set(index);
        }
    }

    /// `key in filter`.
    pub fn contains(&self, key: &str) -> bool {
        self.contains_hashed(mmh3_hash64(key))
    }

    /// `key in filter` with `mmh3.hash64(key)` already computed.
    pub fn contains_hashed(&self, hashes: (i64, i64)) -> bool {
        self.indexes(hashes).all(|index| self.data.get(index))
    }

    /// `len`: `int(-num_bits * ln(1 - set_bits / num_bits) / num_hashes)`.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> u64 {
        let set_bits = self.data.count_ones();
        let clear_share = 1.0 - set_bits as f64 / self.num_bits as f64;
        (-(self.num_bits as f64) * clear_share.ln() / f64::from(self.num_hashes)) as u64
    }

    /// `BloomFilter.union`: the OR of two filters of the same capacity and error.
    pub fn union(&self, other: &Self) -> Result<Self, String> {
        if self.capacity != other.capacity {
            return Err("Capacities must be equal".to_string());
        }
        if self.error != other.error {
            return Err("Error rates must be equal".to_string());
        }
        Ok(BloomFilter {
            data: self.data.or(&other.data),
            ..BloomFilter::new(self.capacity, self.error)
        })
    }
}

/// `ScalingBloomFilter(capacity, error=0.005, max_fill=0.8, error_tightening_ratio=0.5)`.
#[derive(Clone, Debug)]
pub struct ScalingBloomFilter<B: BitStore> {
    capacity: u64,
    base_error: f64,
    max_fill: f64,
    items_until_scale: i64,
    error_tightening_ratio: f64,
    /// The member filters, oldest first; the last is the one added to.
    pub filters: Vec<BloomFilter<B>>,
    hash_once: bool,
}

impl<B: BitStore> ScalingBloomFilter<B> {
    /// The book's defaults; with `hash_once`, `add` hashes the key once for every filter
    /// instead of once per filter (the answers are the same: the indexes depend only on the
    /// two hashes and each filter's size).
    pub fn new(capacity: u64, hash_once: bool) -> Self {
        let max_fill = 0.8;
        let mut filter = ScalingBloomFilter {
            capacity,
            base_error: 0.005,
            max_fill,
            items_until_scale: (capacity as f64 * max_fill) as i64,
            error_tightening_ratio: 0.5,
            filters: Vec::new(),
            hash_once,
        };
        filter.add_bloom();
        filter
    }

    fn add_bloom(&mut self) {
        let error = self.base_error * self.error_tightening_ratio.powf(self.filters.len() as f64);
        self.filters.push(BloomFilter::new(self.capacity, error));
    }

    /// `__contains__`: any member filter holds the key.
    pub fn contains(&self, key: &str) -> bool {
        if self.hash_once {
            let hashes = mmh3_hash64(key);
            self.filters.iter().any(|f| f.contains_hashed(hashes))
        } else {
            self.filters.iter().any(|f| f.contains(key))
        }
    }

    /// `add`: `true` if the key was (probably) present already; otherwise adds it to the
    /// newest filter and, every `int(capacity * max_fill)` new keys, appends a filter if the
    /// newest is full.
    pub fn add(&mut self, key: &str) -> bool {
        let hashes = self.hash_once.then(|| mmh3_hash64(key));
        let present = match hashes {
            Some(hashes) => self.filters.iter().any(|f| f.contains_hashed(hashes)),
            None => self.contains(key),
        };
        if present {
            return true;
        }
        let current = self.filters.last_mut().expect("there is always one filter");
        match hashes {
            Some(hashes) => current.add_hashed(hashes),
            None => current.add(key),
        }
        self.items_until_scale -= 1;
        if self.items_until_scale == 0 {
            let bloom_size = current.len() as i64;
            let bloom_max_capacity = (current.capacity as f64 * self.max_fill) as i64;
            if bloom_size >= bloom_max_capacity {
                self.add_bloom();
                self.items_until_scale = bloom_max_capacity;
            } else {
                self.items_until_scale = bloom_max_capacity - bloom_size;
            }
        }
        false
    }

    /// `len`: the sum of the member filters' estimates.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> u64 {
        self.filters.iter().map(BloomFilter::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizings_match_the_book() {
        assert_eq!(bloom_sizing(2048, 0.005), (22_585, 8));
        assert_eq!(bloom_sizing(1_048_576, 0.005), (11_563_438, 8));
        assert_eq!(bloom_sizing(2048, 0.0025), (25_540, 9));
        assert_eq!(bloom_sizing(2048, 0.00125), (28_495, 10));
    }

    #[test]
    fn floor_division_follows_python() {
        assert_eq!(python_floor_div(1.0, 0.1), 9.0);
        assert_eq!(python_floor_div(-1.0, 3.0), -1.0);
        assert_eq!(python_floor_div(6.0, 3.0), 2.0);
        assert!(python_floor_div(-0.0, 3.0).is_sign_negative());
    }

    #[test]
    fn indexes_are_never_negative() {
        let filter = BloomFilter::<BitSet>::new(2048, 0.005);
        let indexes: Vec<u64> = filter.indexes((-5, -7)).collect();
        // (-5 - 7i) mod 22585
        assert_eq!(indexes[..3], [22_580, 22_573, 22_566]);
        assert!(indexes.iter().all(|&i| i < 22_585));
    }

    fn scaling<B: BitStore>(hash_once: bool) -> ScalingBloomFilter<B> {
        let mut filter = ScalingBloomFilter::<B>::new(2048, hash_once);
        for i in 0..100_000 {
            filter.add(&i.to_string());
        }
        filter
    }

    #[test]
    fn scaling_bloom_2048_over_100000_items_gives_99694_in_61_filters_every_way() {
        for filter in [scaling::<Vec<bool>>(false), scaling::<Vec<bool>>(true)] {
            assert_eq!(filter.len(), 99_694);
            assert_eq!(filter.filters.len(), 61);
        }
        let bitset = scaling::<BitSet>(true);
        assert_eq!(bitset.len(), 99_694);
        let sizes: Vec<(u64, u32, f64)> = bitset.filters[..3]
            .iter()
            .map(|f| (f.num_bits, f.num_hashes, f.error))
            .collect();
        assert_eq!(
            sizes,
            [
                (22_585, 8, 0.005),
                (25_540, 9, 0.0025),
                (28_495, 10, 0.00125)
            ]
        );
    }

    #[test]
    fn a_bloom_filter_holds_what_was_added_and_union_is_or() {
        let mut a = BloomFilter::<BitSet>::new(1000, 0.01);
        let mut b = BloomFilter::<BitSet>::new(1000, 0.01);
        a.add("apple");
        b.add("pear");
        assert!(a.contains("apple") && !a.contains("pear"));
        let both = a.union(&b).unwrap();
        assert!(both.contains("apple") && both.contains("pear"));
        assert_eq!(both.len(), 2);
        assert!(a.union(&BloomFilter::new(1000, 0.02)).is_err());
    }
}
