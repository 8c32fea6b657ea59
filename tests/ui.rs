//! Misused attributes give one clear error at the offending token; errors in an annotated
//! body still point at the user's code.

/// Run with profiling on, where the attributes rewrite the body (the misuse errors are the
/// same either way: they are checked before the feature is looked at).
#[cfg(feature = "enable")]
#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
