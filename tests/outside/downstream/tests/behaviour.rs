//! The downstream crate never names hiperf: its tests pass the same with profiling off and on,
//! and an empty `vec![]` still infers its type against the annotated library's results.

#[test]
fn the_annotated_library_compares_with_vec_literals() {
    assert_eq!(outside_annotated::points(), vec![]);
    assert_eq!(outside_annotated::word_count("a b"), 2);
}

#[test]
fn wrapping_gives_the_same_lines() {
    let lines = outside_downstream::wrap("aaa bbb ccc dd", 7);
    assert_eq!(lines, ["aaa bbb", "ccc dd"]);
    assert_eq!(outside_downstream::wrap("", 7), Vec::<String>::new());
}

#[test]
fn an_outer_attribute_keeps_the_function_working() {
    assert_eq!(
        outside_downstream::outer_attribute::sum_of_squares(&[1, 2, 3]),
        14
    );
}
