//! Chapter 4, Dictionaries and sets: unique first names with a list and with a set
//! (`unique_lookup.py`), a bad and a good hash function (`timing_hash_function.py`), and
//! CPython's probe sequence (`dict_probing.py`).
//!
//! Rust's `HashSet` is a SwissTable (hashbrown), not CPython's table: it takes the bucket
//! from the low bits of the hash and a one-byte tag from the top seven bits. The book's
//! `GoodHash` (0 to 675) is perfect on the low bits but leaves every tag equal, so the
//! `good-hash-spread` variant multiplies it by an odd constant to fill the tag too. For the
//! book's key `"zz"` the two time alike: it hashes to 675, the last occupied bucket, so its
//! group holds no other key whose equal tag would cost a comparison.

use std::collections::{BTreeSet, HashSet};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::hint::black_box;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::{Baseline, Outcome, Run, Size, Workload, expect_eq};

// ---------------------------------------------------------------------------------------
// unique_lookup.py

/// `string.ascii_letters`: the alphabet the book's random names are drawn from.
pub const ASCII_LETTERS: &[u8; 52] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// The seed of the random phonebook (the book's is unseeded).
pub const PHONEBOOK_SEED: u64 = 3;

/// A phonebook entry: (`"first last"`, phone number).
pub type Entry = (String, String);

/// The book's two-entry phonebook, which has two unique first names.
pub fn small_phonebook() -> Vec<Entry> {
    vec![
        ("John Doe".to_string(), "555-555-5555".to_string()),
        ("Albert Einstein".to_string(), "212-555-5555".to_string()),
    ]
}

/// `random_name`: 8 distinct ASCII letters, a space, 8 more distinct letters.
pub fn random_name(rng: &mut ChaCha8Rng) -> String {
    let mut name = String::with_capacity(17);
    for part in 0..2 {
        if part == 1 {
            name.push(' ');
        }
        // `random.sample` draws without replacement, so no letter repeats within a part.
        for index in rand::seq::index::sample(rng, ASCII_LETTERS.len(), 8) {
            name.push(char::from(ASCII_LETTERS[index]));
        }
    }
    name
}

/// The book's `large_phonebook`: `entries` random names, all with the number 555-555-5555.
pub fn large_phonebook(entries: usize, seed: u64) -> Vec<Entry> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..entries)
        .map(|_| (random_name(&mut rng), "555-555-5555".to_string()))
        .collect()
}

/// `name.split(" ", 1)[0]`; a name without a space is all first name (the book would raise).
fn first_name(name: &str) -> &str {
    name.split_once(' ').map_or(name, |(first, _)| first)
}

/// `list_unique_names`: each first name is compared with every unique name kept so far,
/// O(n²).
///
/// ```
/// use hiperf_workloads::ch04_dict::{list_unique_names, small_phonebook};
///
/// assert_eq!(list_unique_names(&small_phonebook()), 2);
/// ```
#[hiperf::profile]
pub fn list_unique_names(phonebook: &[Entry]) -> usize {
    let mut unique_names: Vec<&str> = Vec::new();
    for (name, _phonenumber) in phonebook {
        let first_name = first_name(name);
        let mut seen = false;
        for &unique in &unique_names {
            if unique == first_name {
                seen = true;
                break;
            }
        }
        if !seen {
            unique_names.push(first_name);
        }
    }
    unique_names.len()
}

/// `set_unique_names`: one hash-set insertion per entry, O(n).
///
/// ```
/// use hiperf_workloads::ch04_dict::{set_unique_names, small_phonebook};
///
/// assert_eq!(set_unique_names(&small_phonebook()), 2);
/// ```
pub fn set_unique_names(phonebook: &[Entry]) -> usize {
    let mut unique_names = HashSet::new();
    for (name, _phonenumber) in phonebook {
        unique_names.insert(first_name(name));
    }
    unique_names.len()
}

/// Sort the first names and drop adjacent duplicates: O(n log n) with no hashing at all.
///
/// ```
/// use hiperf_workloads::ch04_dict::{small_phonebook, sorted_unique_names};
///
/// assert_eq!(sorted_unique_names(&small_phonebook()), 2);
/// ```
pub fn sorted_unique_names(phonebook: &[Entry]) -> usize {
    let mut names: Vec<&str> = phonebook.iter().map(|(name, _)| first_name(name)).collect();
    names.sort_unstable();
    names.dedup();
    names.len()
}

/// How many times the unique-name count is repeated: the book's `number=50`, or once.
pub fn unique_names_repeats(size: Size) -> usize {
    match size {
        Size::Quick => 1,
        Size::Book => 50,
    }
}

/// The number of random names in the large phonebook (the book's 1000 at both sizes: the
/// O(n²) list method takes milliseconds in Rust).
pub const LARGE_PHONEBOOK_ENTRIES: usize = 1000;

fn run_unique_names(run: &mut Run, count: fn(&[Entry]) -> usize) -> Result<Outcome, String> {
    expect_eq(
        "unique names in the two-entry phonebook",
        count(&small_phonebook()),
        2,
    )?;
    let phonebook = large_phonebook(LARGE_PHONEBOOK_ENTRIES, PHONEBOOK_SEED);
    let repeats = unique_names_repeats(run.size());
    let unique = run.time(|| {
        let mut unique = 0;
        for _ in 0..repeats {
            unique = black_box(count(black_box(&phonebook)));
        }
        unique
    });
    // The book's check is that the list and the set methods agree; an ordered set is a
    // third, independent count.
    let reference: BTreeSet<&str> = phonebook.iter().map(|(name, _)| first_name(name)).collect();
    expect_eq(
        "unique first names in the large phonebook",
        unique,
        reference.len(),
    )?;
    Ok(Outcome {
        parameters: format!(
            "{LARGE_PHONEBOOK_ENTRIES} random names (seed {PHONEBOOK_SEED}), counted {repeats}x"
        ),
        result: format!("{unique} unique first names; 2 in the two-entry phonebook"),
    })
}

inventory::submit! {
    Workload {
        chapter: 4,
        name: "unique-names",
        variant: "list",
        rank: 0,
        description: "list_unique_names: scan the unique names kept in a Vec, O(n^2)",
        run: |run| run_unique_names(run, list_unique_names),
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 4,
        name: "unique-names",
        variant: "hash-set",
        rank: 1,
        description: "set_unique_names: insert into a HashSet<&str>, O(n)",
        run: |run| run_unique_names(run, set_unique_names),
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 4,
        name: "unique-names",
        variant: "sort-dedup",
        rank: 2,
        description: "collect the first names, sort_unstable, dedup: no hashing",
        run: |run| run_unique_names(run, sorted_unique_names),
        python: None,
    }
}

// ---------------------------------------------------------------------------------------
// timing_hash_function.py

/// `BadHash.__hash__`: every key hashes to 42, so every lookup walks one long probe chain.
#[derive(Clone, Copy, Debug, Default)]
pub struct BadHasher;

impl Hasher for BadHasher {
    fn write(&mut self, _bytes: &[u8]) {}

    fn finish(&self) -> u64 {
        42
    }
}

/// `GoodHash.__hash__`: `ord(s[1]) + 26*ord(s[0]) - 2619`, which maps the 676 two-letter
/// lowercase strings one to one onto 0..676.
///
/// It reads the first two bytes written (a `str` writes its bytes, then a `0xff`
/// terminator, which is ignored here); missing bytes count as 0.
#[derive(Clone, Copy, Debug, Default)]
pub struct GoodHasher {
    bytes: [u8; 2],
    seen: usize,
}

impl GoodHasher {
    /// The book's formula, in wrapping arithmetic so that no key can overflow it.
    fn formula(&self) -> u64 {
        let [first, second] = self.bytes.map(u64::from);
        second.wrapping_add(26 * first).wrapping_sub(2619)
    }
}

impl Hasher for GoodHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            if let Some(slot) = self.bytes.get_mut(self.seen) {
                *slot = byte;
                self.seen += 1;
            }
        }
    }

    fn finish(&self) -> u64 {
        self.formula()
    }
}

/// `GoodHash` times 2^64/φ (Fibonacci hashing). An odd multiplier is a bijection on the low
/// bits, so the buckets stay perfect, and the product fills the top bits SwissTable uses
/// as its tag.
#[derive(Clone, Copy, Debug, Default)]
pub struct SpreadGoodHasher(GoodHasher);

impl Hasher for SpreadGoodHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.write(bytes);
    }

    fn finish(&self) -> u64 {
        self.0.formula().wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }
}

/// The hash of one key under a hasher type, as a `HashSet` computes it.
pub fn hash_of<H: Hasher + Default>(key: &str) -> u64 {
    BuildHasherDefault::<H>::default().hash_one(key)
}

/// The 676 two-letter lowercase strings, `"aa"` to `"zz"`, in the book's insertion order.
pub fn two_letter_keys() -> Vec<String> {
    let mut keys = Vec::with_capacity(676);
    for first in b'a'..=b'z' {
        for second in b'a'..=b'z' {
            keys.push(String::from_iter([char::from(first), char::from(second)]));
        }
    }
    keys
}

/// The set of the 676 two-letter strings under the hash `S` builds.
pub fn two_letter_set<S: BuildHasher + Default>() -> HashSet<String, S> {
    let mut set = HashSet::with_hasher(S::default());
    set.extend(two_letter_keys());
    set
}

/// The timed loop, `key in set` `lookups` times: how many lookups found the key.
#[hiperf::profile]
pub fn count_lookups<S: BuildHasher>(set: &HashSet<String, S>, key: &str, lookups: usize) -> usize {
    let mut found = 0;
    for _ in 0..lookups {
        if set.contains(black_box(key)) {
            found += 1;
        }
    }
    found
}

/// The lookups of `"zz"`: the book's `number=100_000` (one of its three repeats), or 1000.
pub fn lookups(size: Size) -> usize {
    match size {
        Size::Quick => 1_000,
        Size::Book => 100_000,
    }
}

fn run_hash_quality<S: BuildHasher + Default>(run: &mut Run) -> Result<Outcome, String> {
    let set = two_letter_set::<S>();
    expect_eq("entries in the set", set.len(), 676)?;
    let lookups = lookups(run.size());
    let found = run.time(|| count_lookups(&set, "zz", lookups));
    expect_eq("lookups of \"zz\" that found it", found, lookups)?;
    let misses = ["z{", "a", "zzz"]
        .iter()
        .filter(|key| set.contains(**key))
        .count();
    expect_eq("keys found that are not in the set", misses, 0)?;
    let every_key_found = two_letter_keys().iter().all(|key| set.contains(key));
    expect_eq("every two-letter key found", every_key_found, true)?;
    Ok(Outcome {
        parameters: format!("{lookups} lookups of \"zz\" in a set of the 676 two-letter strings"),
        result: format!("{found} of {lookups} found; 676 entries"),
    })
}

const PYTHON_BAD_HASH: Baseline = Baseline {
    seconds: 17.719,
    source: "book repository, authors' machine (timing_hash_function.py comment: min of 3 x 100000 lookups); not this machine class",
};

const PYTHON_GOOD_HASH: Baseline = Baseline {
    seconds: 0.424,
    source: "book repository, authors' machine (timing_hash_function.py comment: min of 3 x 100000 lookups); not this machine class",
};

inventory::submit! {
    Workload {
        chapter: 4,
        name: "hash-quality",
        variant: "bad-hash",
        rank: 0,
        description: "BadHash: every key hashes to 42, each lookup compares along one chain",
        run: run_hash_quality::<BuildHasherDefault<BadHasher>>,
        python: Some(PYTHON_BAD_HASH),
    }
}

inventory::submit! {
    Workload {
        chapter: 4,
        name: "hash-quality",
        variant: "good-hash",
        rank: 1,
        description: "GoodHash: ord(s[1]) + 26*ord(s[0]) - 2619, perfect buckets but one SwissTable tag",
        run: run_hash_quality::<BuildHasherDefault<GoodHasher>>,
        python: Some(PYTHON_GOOD_HASH),
    }
}

inventory::submit! {
    Workload {
        chapter: 4,
        name: "hash-quality",
        variant: "sip-hash",
        rank: 2,
        description: "std's default RandomState (SipHash-1-3): a general-purpose hash",
        run: run_hash_quality::<RandomState>,
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 4,
        name: "hash-quality",
        variant: "good-hash-spread",
        rank: 3,
        description: "GoodHash times 2^64/phi: perfect buckets and distinct SwissTable tags",
        run: run_hash_quality::<BuildHasherDefault<SpreadGoodHasher>>,
        python: None,
    }
}

// ---------------------------------------------------------------------------------------
// dict_probing.py

/// CPython's `PERTURB_SHIFT`.
pub const PERTURB_SHIFT: u32 = 5;

/// The book's mask, a table of 8 slots.
pub const MASK: u64 = 0b111;

/// `dict_probing.py`'s five forced hashes and the first 10 slots each probes.
pub const PROBES: [(u64, [u64; 10]); 5] = [
    (0b0000_0111, [7, 4, 5, 2, 3, 0, 1, 6, 7, 4]),
    (0b1110_0111, [7, 3, 0, 1, 6, 7, 4, 5, 2, 3]),
    (0b0111_0111, [7, 7, 4, 5, 2, 3, 0, 1, 6, 7]),
    (0b0111_0001, [1, 1, 6, 7, 4, 5, 2, 3, 0, 1]),
    (0b0111_0000, [0, 4, 5, 2, 3, 0, 1, 6, 7, 4]),
];

/// `index_sequence`: the slots CPython's dict probes for `hash` in a table of `mask + 1`
/// slots, without end. `perturb` starts as the whole hash and loses 5 bits before each
/// step after the first: `i = h & mask`, then `i = (5*i + perturb + 1) & mask`.
///
/// `mask` must be 2^k − 1, as a dict's is: the arithmetic wraps at 2^64, which leaves the
/// low k bits exactly as Python's unbounded integers would.
///
/// ```
/// use hiperf_workloads::ch04_dict::index_sequence;
///
/// let slots: Vec<u64> = index_sequence(0b1110_0111, 0b111).take(4).collect();
/// assert_eq!(slots, [7, 3, 0, 1]);
/// ```
pub fn index_sequence(hash: u64, mask: u64) -> impl Iterator<Item = u64> {
    let mut perturb = hash;
    let mut index = hash & mask;
    let mut first = true;
    std::iter::from_fn(move || {
        if first {
            first = false;
        } else {
            perturb >>= PERTURB_SHIFT;
            index = index.wrapping_mul(5).wrapping_add(perturb).wrapping_add(1) & mask;
        }
        Some(index)
    })
}

/// `sample_probe` for each of the book's five hashes: their first `samples` slots.
#[hiperf::profile]
pub fn sample_probes(samples: usize) -> Vec<Vec<u64>> {
    let mut sequences = Vec::with_capacity(PROBES.len());
    for (hash, _) in PROBES {
        let indexes = index_sequence(hash, MASK).take(samples);
        sequences.push(indexes.collect());
    }
    sequences
}

fn run_dict_probing(run: &mut Run) -> Result<Outcome, String> {
    let sequences = run.time(|| sample_probes(10));
    for ((hash, expected), actual) in PROBES.iter().zip(&sequences) {
        expect_eq(
            &format!("probes for hash {hash:#010b}"),
            actual.as_slice(),
            expected.as_slice(),
        )?;
    }
    expect_eq("sequences", sequences.len(), PROBES.len())?;
    Ok(Outcome {
        parameters: "mask 0b111, PERTURB_SHIFT 5, 10 samples for each of 5 hashes".to_string(),
        result: format!("0b00000111 -> {:?}, and 4 more as the book", PROBES[0].1),
    })
}

inventory::submit! {
    Workload {
        chapter: 4,
        name: "dict-probing",
        variant: "index-sequence",
        rank: 0,
        description: "dict_probing.py: CPython's perturbed probe sequence as a lazy iterator",
        run: run_dict_probing,
        python: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chapter_ladder(name: &str) -> Vec<&'static Workload> {
        crate::workloads()
            .into_iter()
            .filter(|w| w.chapter == 4 && w.name == name)
            .collect()
    }

    fn run_quick(workload: &Workload) -> Outcome {
        let mut run = Run::new(Size::Quick);
        let outcome =
            (workload.run)(&mut run).unwrap_or_else(|error| panic!("{}: {error}", workload.id()));
        assert!(
            run.elapsed().is_some(),
            "{} never timed its kernel",
            workload.id()
        );
        outcome
    }

    #[test]
    fn the_two_entry_phonebook_has_two_unique_names() {
        let phonebook = small_phonebook();
        assert_eq!(list_unique_names(&phonebook), 2);
        assert_eq!(set_unique_names(&phonebook), 2);
        assert_eq!(sorted_unique_names(&phonebook), 2);
    }

    #[test]
    fn repeated_first_names_are_counted_once() {
        let phonebook: Vec<Entry> = [
            "John Doe",
            "Jane Roe",
            "John Smith",
            "Albert Einstein",
            "Jane Doe",
            "Solo",
        ]
        .iter()
        .map(|name| (name.to_string(), String::new()))
        .collect();
        for count in [
            list_unique_names as fn(&[Entry]) -> usize,
            set_unique_names,
            sorted_unique_names,
        ] {
            assert_eq!(count(&phonebook), 4);
        }
    }

    #[test]
    fn list_and_set_agree_on_the_large_phonebook() {
        let phonebook = large_phonebook(LARGE_PHONEBOOK_ENTRIES, PHONEBOOK_SEED);
        assert_eq!(phonebook.len(), 1000);
        let unique = list_unique_names(&phonebook);
        assert_eq!(unique, set_unique_names(&phonebook));
        assert_eq!(unique, sorted_unique_names(&phonebook));
    }

    #[test]
    fn random_names_are_two_parts_of_eight_distinct_letters() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..50 {
            let name = random_name(&mut rng);
            let (first, last) = name.split_once(' ').unwrap();
            for part in [first, last] {
                assert_eq!(part.len(), 8);
                assert!(part.bytes().all(|byte| byte.is_ascii_alphabetic()));
                let distinct: BTreeSet<u8> = part.bytes().collect();
                assert_eq!(distinct.len(), 8, "{part}");
            }
        }
    }

    #[test]
    fn good_hash_maps_the_two_letter_strings_onto_0_to_675() {
        let hashes: Vec<u64> = two_letter_keys()
            .iter()
            .map(|key| hash_of::<GoodHasher>(key))
            .collect();
        assert_eq!(hashes, (0..676).collect::<Vec<u64>>());
        assert_eq!(hash_of::<GoodHasher>("zz"), 675);
    }

    #[test]
    fn bad_hash_is_42_for_every_key() {
        assert!(
            two_letter_keys()
                .iter()
                .all(|key| hash_of::<BadHasher>(key) == 42)
        );
    }

    #[test]
    fn spread_hash_keeps_perfect_buckets_and_varies_the_tag() {
        let hashes: Vec<u64> = two_letter_keys()
            .iter()
            .map(|key| hash_of::<SpreadGoodHasher>(key))
            .collect();
        let buckets: BTreeSet<u64> = hashes.iter().map(|hash| hash & 1023).collect();
        assert_eq!(buckets.len(), 676);
        let tags: BTreeSet<u64> = hashes.iter().map(|hash| hash >> 57).collect();
        assert_eq!(tags.len(), 128);
    }

    #[test]
    fn lookups_of_zz_succeed_under_every_hash() {
        assert_eq!(
            count_lookups(
                &two_letter_set::<BuildHasherDefault<BadHasher>>(),
                "zz",
                100
            ),
            100
        );
        assert_eq!(
            count_lookups(
                &two_letter_set::<BuildHasherDefault<GoodHasher>>(),
                "zz",
                100
            ),
            100
        );
        assert_eq!(
            count_lookups(
                &two_letter_set::<BuildHasherDefault<GoodHasher>>(),
                "zzz",
                100
            ),
            0
        );
    }

    #[test]
    fn probe_sequences_match_the_books_five_vectors() {
        for (hash, expected) in PROBES {
            let slots: Vec<u64> = index_sequence(hash, MASK).take(10).collect();
            assert_eq!(slots, expected, "hash {hash:#010b}");
        }
        assert_eq!(sample_probes(10), PROBES.map(|(_, slots)| slots.to_vec()));
    }

    #[test]
    fn probe_sequence_visits_every_slot_once_perturb_is_spent() {
        // With perturb at 0 the step is i = 5i + 1 mod 2^k, a full cycle for any k.
        let mask = (1 << 10) - 1;
        let slots: BTreeSet<u64> = index_sequence(u64::MAX, mask).skip(13).take(1024).collect();
        assert_eq!(slots.len(), 1024);
    }

    #[test]
    fn every_registered_variant_passes_at_quick_size() {
        let names = |ladder: &[&Workload]| ladder.iter().map(|w| w.variant).collect::<Vec<_>>();
        let unique = chapter_ladder("unique-names");
        assert_eq!(names(&unique), ["list", "hash-set", "sort-dedup"]);
        let hashes = chapter_ladder("hash-quality");
        assert_eq!(
            names(&hashes),
            ["bad-hash", "good-hash", "sip-hash", "good-hash-spread"]
        );
        let probing = chapter_ladder("dict-probing");
        assert_eq!(names(&probing), ["index-sequence"]);
        for workload in unique.iter().chain(&hashes).chain(&probing) {
            run_quick(workload);
        }
    }
}
