//! `compressing_text/`: the word list held in seven containers, from the book's list to a
//! finite-state transducer. Each variant builds its container from the file's text (the
//! timed region), records the heap the container holds, exact from the counting allocator,
//! per word too, and times 100,000 lookups of seeded probes; every container must answer the
//! probes as an ordered set of the words does.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::hint::black_box;
use std::time::Instant;

use patricia_tree::PatriciaSet;

use super::words::{
    WORD_LIST, WORD_LIST_DISTINCT, WORD_LIST_TOKENS, probes, read_word_list, tokens,
};
use crate::{Outcome, Run, Size, Unit, Workload, expect_eq};

/// A container of words that answers `word in container`.
pub trait WordContainer: Sized {
    /// Builds the container from the word list's text.
    fn build(text: &str) -> Self;
    /// Whether `word` is one of the words.
    fn contains(&self, word: &str) -> bool;
    /// How many entries it holds (every token for the lists, distinct words for the sets).
    fn entries(&self) -> usize;
}

/// The book's `text_example_list.py`, annotated with `#[hiperf::memit]`: one `String` per
/// token (its bytes on the heap) pushed into a `Vec` (24 bytes a `String`, grown by doubling).
#[hiperf::memit]
pub fn build_word_list(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    for token in tokens(text) {
        let word = token.to_string();
        words.push(word);
    }
    words
}

/// `list`: every token in a `Vec<String>`, looked up by a linear scan.
#[derive(Debug)]
pub struct WordList(pub Vec<String>);

impl WordContainer for WordList {
    fn build(text: &str) -> Self {
        WordList(build_word_list(text))
    }

    fn contains(&self, word: &str) -> bool {
        self.0.iter().any(|w| w == word)
    }

    fn entries(&self) -> usize {
        self.0.len()
    }
}

/// `list_bisect`: the list sorted, looked up by binary search (`bisect_left`).
#[derive(Debug)]
pub struct SortedWordList(pub Vec<String>);

impl WordContainer for SortedWordList {
    fn build(text: &str) -> Self {
        let mut words: Vec<String> = tokens(text).map(str::to_string).collect();
        words.sort_unstable();
        SortedWordList(words)
    }

    fn contains(&self, word: &str) -> bool {
        self.0.binary_search_by(|w| w.as_str().cmp(word)).is_ok()
    }

    fn entries(&self) -> usize {
        self.0.len()
    }
}

/// `set`: a `HashSet<String>` (std's SwissTable with SipHash, as CPython hashes strings with
/// SipHash).
#[derive(Debug)]
pub struct WordSet(pub HashSet<String>);

impl WordContainer for WordSet {
    fn build(text: &str) -> Self {
        WordSet(tokens(text).map(str::to_string).collect())
    }

    fn contains(&self, word: &str) -> bool {
        self.0.contains(word)
    }

    fn entries(&self) -> usize {
        self.0.len()
    }
}

/// The 3rd edition's `dict`: `{word: index}`, the last index of a repeated word.
#[derive(Debug)]
pub struct WordDict(pub HashMap<String, usize>);

impl WordContainer for WordDict {
    fn build(text: &str) -> Self {
        WordDict(
            tokens(text)
                .enumerate()
                .map(|(index, word)| (word.to_string(), index))
                .collect(),
        )
    }

    fn contains(&self, word: &str) -> bool {
        self.0.contains_key(word)
    }

    fn entries(&self) -> usize {
        self.0.len()
    }
}

/// The distinct words of `text`, sorted.
fn sorted_distinct(text: &str) -> Vec<&str> {
    let mut words: Vec<&str> = tokens(text).collect();
    words.sort_unstable();
    words.dedup();
    words
}

/// A compact arena: the distinct words' bytes, sorted and concatenated in one `String`, and
/// the offset where each starts (plus the end), `u32` each; looked up by binary search.
#[derive(Debug)]
pub struct WordArena {
    bytes: String,
    offsets: Vec<u32>,
}

impl WordArena {
    fn word(&self, index: usize) -> &str {
        &self.bytes[self.offsets[index] as usize..self.offsets[index + 1] as usize]
    }
}

impl WordContainer for WordArena {
    fn build(text: &str) -> Self {
        let words = sorted_distinct(text);
        let mut bytes = String::with_capacity(words.iter().map(|w| w.len()).sum());
        let mut offsets = Vec::with_capacity(words.len() + 1);
        for word in &words {
            offsets.push(bytes.len() as u32);
            bytes.push_str(word);
        }
        offsets.push(bytes.len() as u32);
        WordArena { bytes, offsets }
    }

    fn contains(&self, word: &str) -> bool {
        let (mut low, mut high) = (0, self.entries());
        while low < high {
            let middle = low + (high - low) / 2;
            match self.word(middle).cmp(word) {
                std::cmp::Ordering::Less => low = middle + 1,
                std::cmp::Ordering::Greater => high = middle,
                std::cmp::Ordering::Equal => return true,
            }
        }
        false
    }

    fn entries(&self) -> usize {
        self.offsets.len() - 1
    }
}

/// `fst::Set`: a minimal acyclic automaton of the sorted words in one byte buffer (the
/// DAWG's analogue, and like marisa's saved trie it could be memory-mapped).
#[derive(Debug)]
pub struct WordFst(pub fst::Set<Vec<u8>>);

impl WordContainer for WordFst {
    fn build(text: &str) -> Self {
        let set =
            fst::Set::from_iter(sorted_distinct(text)).expect("the words are sorted and distinct");
        WordFst(set)
    }

    fn contains(&self, word: &str) -> bool {
        self.0.contains(word)
    }

    fn entries(&self) -> usize {
        self.0.len()
    }
}

/// `patricia_tree::PatriciaSet`: a radix tree, shared prefixes stored once (the book's
/// `marisa_trie`/`pygtrie` analogue).
#[derive(Debug)]
pub struct WordTrie(pub PatriciaSet);

impl WordContainer for WordTrie {
    fn build(text: &str) -> Self {
        let mut set = PatriciaSet::new();
        for word in tokens(text) {
            set.insert(word);
        }
        WordTrie(set)
    }

    fn contains(&self, word: &str) -> bool {
        self.0.contains(word)
    }

    fn entries(&self) -> usize {
        self.0.len()
    }
}

/// Lookups timed per variant: the 3rd edition's `NUMBER_LOOKUPS`, or fewer at quick size;
/// the linear scan runs a hundredth of them (each miss scans every word) and is scaled up.
pub fn lookups(size: Size, linear: bool) -> usize {
    let lookups = match size {
        Size::Quick => 10_000,
        Size::Book => 100_000,
    };
    if linear { lookups / 100 } else { lookups }
}

/// The probes every container is checked on.
pub const PROBES: usize = 1000;

/// Figure names the report shows for every container.
pub mod figure {
    pub use hiperf_report::figures::containers::{HELD, LOOKUPS, PER_WORD};
}

/// Builds `C` from the word list (timed), measures what it holds and its lookups, and checks
/// it against the book's facts and an ordered set on the seeded probes.
pub fn run_container<C: WordContainer>(
    run: &mut Run,
    linear: bool,
    expected_entries: usize,
) -> Result<Outcome, String> {
    let text = read_word_list()?;
    let (container, memory) = run.time(|| hiperf_runtime::memit::measure(|| C::build(&text)));
    let words: Vec<&str> = tokens(&text).collect();
    expect_eq("tokens in the word list", words.len(), WORD_LIST_TOKENS)?;
    let reference: BTreeSet<&str> = words.iter().copied().collect();
    expect_eq("distinct words", reference.len(), WORD_LIST_DISTINCT)?;
    expect_eq(
        "entries in the container",
        container.entries(),
        expected_entries,
    )?;
    expect_eq("\"and\" in the container", container.contains("and"), true)?;
    expect_eq(
        "\"Zwiebel\" in the container",
        container.contains("Zwiebel"),
        false,
    )?;
    let probes = probes(&words, PROBES);
    for probe in &probes {
        expect_eq(
            &format!("{probe:?} in the container"),
            container.contains(probe),
            reference.contains(probe.as_str()),
        )?;
    }
    let found = probes
        .iter()
        .filter(|p| reference.contains(p.as_str()))
        .count();
    let lookups = lookups(run.size(), linear);
    let start = Instant::now();
    let mut hits = 0;
    for probe in probes.iter().cycle().take(lookups) {
        hits += usize::from(container.contains(black_box(probe)));
    }
    let seconds = start.elapsed().as_secs_f64() * 100_000.0 / lookups as f64;
    black_box(hits);
    let held = memory.net_bytes;
    // `alloc_figures::installed()` turns true once any thread asks for its figures, so the
    // allocator's own count of this build's allocations tells whether it counted.
    if memory.allocations > 0 && held <= 0 {
        return Err(format!("the container holds {held} bytes of heap"));
    }
    run.record(figure::HELD, held as f64, Unit::Bytes);
    run.record(
        figure::PER_WORD,
        held as f64 / WORD_LIST_TOKENS as f64,
        Unit::Bytes,
    );
    run.record(figure::LOOKUPS, seconds, Unit::Seconds);
    let scaled = if lookups == 100_000 {
        String::new()
    } else {
        format!(" (timed over {lookups}, scaled)")
    };
    Ok(Outcome {
        parameters: format!(
            "`{WORD_LIST}` ({WORD_LIST_TOKENS} tokens), build timed; 100,000 lookups{scaled} \
             cycling {PROBES} seeded probes"
        ),
        result: format!(
            "holds {} ({:.1} B/word), {} entries; \"and\" in, \"Zwiebel\" out, {found} of \
             {PROBES} probes found as the reference",
            hiperf_runtime::report::bytes(held as f64),
            held as f64 / WORD_LIST_TOKENS as f64,
            container.entries(),
        ),
    })
}

macro_rules! container {
    ($variant:literal, $rank:literal, $type:ty, $linear:literal, $entries:expr, $description:literal) => {
        inventory::submit! {
            Workload {
                chapter: 11,
                name: "text-containers",
                variant: $variant,
                rank: $rank,
                description: $description,
                run: |run| run_container::<$type>(run, $linear, $entries),
                python: None,
            }
        }
    };
}

container!(
    "vec-linear",
    0,
    WordList,
    true,
    WORD_LIST_TOKENS,
    "`Vec<String>`, one heap string per token; lookups scan the list (the book's list)"
);
container!(
    "sorted-vec",
    1,
    SortedWordList,
    false,
    WORD_LIST_TOKENS,
    "the `Vec<String>` sorted; lookups by binary search (the book's `list_bisect`)"
);
container!(
    "hash-set",
    2,
    WordSet,
    false,
    WORD_LIST_DISTINCT,
    "`HashSet<String>` (the book's `set`)"
);
container!(
    "hash-map",
    3,
    WordDict,
    false,
    WORD_LIST_DISTINCT,
    "`HashMap<String, usize>`, word to index (3e's `dict`)"
);
container!(
    "arena",
    4,
    WordArena,
    false,
    WORD_LIST_DISTINCT,
    "distinct words sorted into one byte arena with `u32` offsets; binary search"
);
container!(
    "fst",
    5,
    WordFst,
    false,
    WORD_LIST_DISTINCT,
    "`fst::Set`: a minimal automaton in one buffer (the book's DAWG)"
);
container!(
    "patricia-trie",
    6,
    WordTrie,
    false,
    WORD_LIST_DISTINCT,
    "`patricia_tree::PatriciaSet`, a radix tree (the book's tries)"
);
