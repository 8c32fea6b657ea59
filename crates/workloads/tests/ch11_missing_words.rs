//! Without the word list the chapter 11 containers fail with a message that names the path
//! they looked at and what to do. Its own test binary: it sets `HIPERF_BOOK_DATA` for the
//! whole process.

use hiperf_workloads::{Run, Size, workloads};

#[test]
fn every_container_fails_naming_the_missing_word_list() {
    let folder = std::env::temp_dir().join("hiperf-no-book-data-here");
    // SAFETY: this test binary has one test, so no other thread reads the environment.
    unsafe { std::env::set_var("HIPERF_BOOK_DATA", &folder) };
    let containers: Vec<_> = workloads()
        .into_iter()
        .filter(|w| w.chapter == 11 && w.name == "text-containers")
        .collect();
    assert_eq!(containers.len(), 7);
    let path = folder.join("bigger_words_from_mword10.txt");
    for workload in containers {
        let error =
            (workload.run)(&mut Run::new(Size::Quick)).expect_err("no word list, no container");
        assert!(
            error.contains(&path.display().to_string()) && error.contains("HIPERF_BOOK_DATA"),
            "{}: {error}",
            workload.id()
        );
    }
}
