//! The 3rd edition's word list, `bigger_words_from_mword10.txt` (354,984 words from the Moby
//! word lists), found in the shared book data beside the workspace, and the seeded probes the
//! containers are checked on.

use std::path::PathBuf;

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The word list's file name.
pub const WORD_LIST: &str = "bigger_words_from_mword10.txt";

/// Whitespace-separated tokens in the word list.
pub const WORD_LIST_TOKENS: usize = 354_984;

/// Distinct words in it ("animate" appears twice).
pub const WORD_LIST_DISTINCT: usize = 354_983;

/// The environment variable that names the folder holding the word list, when it is not the
/// shared book data beside the workspace (`../shared/book/data`).
pub const DATA_ENV: &str = "HIPERF_BOOK_DATA";

/// Where the word list is looked for: `$HIPERF_BOOK_DATA/bigger_words_from_mword10.txt`, else
/// `../shared/book/data/` next to the workspace's root.
pub fn word_list_path() -> PathBuf {
    let folder = std::env::var_os(DATA_ENV).map_or_else(
        || {
            let workspace = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
            let workspace = std::fs::canonicalize(workspace).unwrap_or_else(|_| workspace.into());
            workspace.join("../shared/book/data")
        },
        PathBuf::from,
    );
    folder.join(WORD_LIST)
}

/// The whole word list as text, or an error naming the path and what to do.
pub fn read_word_list() -> Result<String, String> {
    let path = word_list_path();
    std::fs::read_to_string(&path).map_err(|error| {
        format!(
            "cannot read the chapter 11 word list {}: {error}; it ships with the book data in \
             ../shared/book/data beside the workspace (or set {DATA_ENV} to the folder that holds \
             {WORD_LIST})",
            path.display()
        )
    })
}

/// The tokens of `text`, as the book's `text_example.read_words` streams them.
pub fn tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split_whitespace()
}

/// The seed of the probes.
pub const PROBE_SEED: u64 = 11;

/// `count` seeded probes: half words drawn from the list, half strings that are probably not
/// in it (a word with a letter appended or replaced, or random lowercase letters), plus the
/// book's two, `"and"` and `"Zwiebel"`, first.
pub fn probes(words: &[&str], count: usize) -> Vec<String> {
    let mut rng = ChaCha8Rng::seed_from_u64(PROBE_SEED);
    let mut probes = vec!["and".to_string(), "Zwiebel".to_string()];
    while probes.len() < count {
        let word = words.choose(&mut rng).copied().unwrap_or("word");
        let letter = char::from(rng.random_range(b'a'..=b'z'));
        let probe = match rng.random_range(0..4) {
            0 | 1 => word.to_string(),
            2 => format!("{word}{letter}"),
            _ => {
                let length = rng.random_range(3..9);
                (0..length)
                    .map(|_| char::from(rng.random_range(b'a'..=b'z')))
                    .collect()
            }
        };
        probes.push(probe);
    }
    probes
}
