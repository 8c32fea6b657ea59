//! Chapter 11's heap figures equal the bytes the containers and structures ask for, and the
//! seven text containers agree on the seeded probes.

use hiperf_workloads::ch11_less_ram::{
    Estimator, LogLog, MorrisCounter, PackedLogLog, SortedWordList, WordArena, WordContainer,
    WordDict, WordFst, WordList, WordSet, WordTrie, build_word_list, probes, read_word_list,
    tokens,
};

#[global_allocator]
static ALLOC: hiperf_runtime::alloc::Alloc = hiperf_runtime::alloc::Alloc::system();

const STRING_BYTES: i64 = 24;

#[test]
fn the_word_list_holds_each_words_bytes_and_24_bytes_a_slot() {
    let text = read_word_list().expect("the word list is in ../shared/book/data");
    let letters: i64 = tokens(&text).map(|t| t.len() as i64).sum();
    let (words, figures) = hiperf_runtime::memit::measure(|| build_word_list(&text));
    assert_eq!(words.len(), 354_984);
    let kept = letters + words.capacity() as i64 * STRING_BYTES;
    assert_eq!(figures.net_bytes, kept);
    if !hiperf::ENABLED {
        return;
    }
    let profile = hiperf_runtime::snapshot::take(Default::default());
    let build = profile
        .functions
        .iter()
        .find(|f| f.name == "build_word_list")
        .expect("build_word_list is annotated");
    let line = |text: &str| {
        build
            .lines
            .iter()
            .find(|l| l.contents.trim() == text)
            .and_then(|l| l.memory.clone())
            .unwrap_or_else(|| panic!("no memory for line {text}"))
    };
    assert_eq!(
        line("let word = token.to_string();").increment_bytes,
        letters
    );
    assert_eq!(line("let word = token.to_string();").allocations, 354_984);
    assert_eq!(
        line("words.push(word);").increment_bytes,
        words.capacity() as i64 * STRING_BYTES
    );
}

#[test]
fn the_arena_holds_the_distinct_words_bytes_and_a_u32_offset_each() {
    let text = read_word_list().unwrap();
    let mut distinct: Vec<&str> = tokens(&text).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let letters: i64 = distinct.iter().map(|w| w.len() as i64).sum();
    let (arena, figures) = hiperf_runtime::memit::measure(|| WordArena::build(&text));
    assert_eq!(arena.entries(), 354_983);
    assert_eq!(figures.net_bytes, letters + (354_983 + 1) * 4);
}

#[test]
fn registers_and_counters_hold_what_they_ask_for() {
    let (naive, figures) =
        hiperf_runtime::memit::measure(|| LogLog::new(4, Estimator::HyperLogLog));
    // 16 pointers and 16 one-byte boxes.
    assert_eq!(figures.net_bytes, 16 * 8 + 16);
    drop(naive);
    let (packed, figures) =
        hiperf_runtime::memit::measure(|| PackedLogLog::new(4, Estimator::HyperLogLog));
    assert_eq!(figures.net_bytes, 16);
    drop(packed);
    let (counter, figures) = hiperf_runtime::memit::measure(|| MorrisCounter::new(3, 1));
    assert_eq!(figures.net_bytes, 3);
    assert_eq!(counter.heap_bytes(), 3);
}

#[test]
fn all_seven_containers_agree_on_1000_seeded_probes() {
    let text = read_word_list().unwrap();
    let words: Vec<&str> = tokens(&text).collect();
    let probes = probes(&words, 1000);
    let answers = |contains: &dyn Fn(&str) -> bool| -> Vec<bool> {
        probes.iter().map(|p| contains(p)).collect()
    };
    // Not `WordList::build`: the line table of `build_word_list` above must see one call.
    let list = WordList(tokens(&text).map(str::to_string).collect());
    let reference = answers(&|w| list.contains(w));
    assert_eq!(reference[..2], [true, false], "\"and\" in, \"Zwiebel\" out");
    let found = reference.iter().filter(|&&a| a).count();
    assert!((400..700).contains(&found), "{found} probes found");
    let sorted = SortedWordList::build(&text);
    assert_eq!(answers(&|w| sorted.contains(w)), reference, "sorted-vec");
    let set = WordSet::build(&text);
    assert_eq!(answers(&|w| set.contains(w)), reference, "hash-set");
    let dict = WordDict::build(&text);
    assert_eq!(answers(&|w| dict.contains(w)), reference, "hash-map");
    let arena = WordArena::build(&text);
    assert_eq!(answers(&|w| arena.contains(w)), reference, "arena");
    let fst = WordFst::build(&text);
    assert_eq!(answers(&|w| fst.contains(w)), reference, "fst");
    let trie = WordTrie::build(&text);
    assert_eq!(answers(&|w| trie.contains(w)), reference, "patricia-trie");
}
