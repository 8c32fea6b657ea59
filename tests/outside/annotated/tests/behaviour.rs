//! The library behaves the same with profiling off and on, and its callers' type inference is
//! untouched (issue 13 item 1: `serde_json`'s `PartialEq<Value> for usize` made it ambiguous).

#[test]
fn an_empty_vec_compares_without_annotations() {
    assert_eq!(outside_annotated::points(), vec![]);
    assert!(outside_annotated::points() == vec![]);
}

#[test]
fn a_usize_compares_with_an_integer_literal() {
    let count = outside_annotated::word_count("one two three");
    assert_eq!(count, 3);
    assert!(count == 3);
}
