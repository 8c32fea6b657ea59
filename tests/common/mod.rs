//! Helpers shared by the integration tests: find a function's profile and a line's figures.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use hiperf::snapshot::{FunctionProfile, LineProfile};

/// The profile of the annotated function `name` (panics if it is not registered).
pub fn function(name: &str) -> FunctionProfile {
    let profile = hiperf::take(Default::default());
    let mut matching = profile.functions.into_iter().filter(|f| f.name == name);
    let found = matching
        .next()
        .unwrap_or_else(|| panic!("no annotated function named {name}"));
    assert!(
        matching.next().is_none(),
        "two annotated functions are named {name}"
    );
    found
}

/// The one line of `function` whose source is `text` (trimmed), else the one that contains it.
pub fn line<'a>(function: &'a FunctionProfile, text: &str) -> &'a LineProfile {
    if let Some(exact) = function.lines.iter().find(|l| l.contents.trim() == text) {
        return exact;
    }
    let mut matching = function.lines.iter().filter(|l| l.contents.contains(text));
    let found = matching
        .next()
        .unwrap_or_else(|| panic!("no line of {} contains {text:?}", function.name));
    assert!(
        matching.next().is_none(),
        "two lines of {} contain {text:?}",
        function.name
    );
    found
}

/// Hits of the line of `function` that contains `text`.
pub fn hits(function: &FunctionProfile, text: &str) -> u64 {
    line(function, text).hits
}
