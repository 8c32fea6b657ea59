//! The versions Cargo resolved, read from this crate's `Cargo.lock`.

use std::collections::BTreeMap;

/// The version of each package in `names` that the lockfile holds; a package locked at several
/// versions lists them all, comma-separated.
///
/// # Examples
///
/// ```
/// let lock = "[[package]]\nname = \"puffin\"\nversion = \"0.20.0\"\n\n[[package]]\nname = \"dhat\"\nversion = \"0.3.3\"\n";
/// let versions = hiperf_bench_peers::lockfile::versions(lock, &["puffin"]);
/// assert_eq!(versions["puffin"], "0.20.0");
/// assert!(!versions.contains_key("dhat"));
/// ```
pub fn versions(lock: &str, names: &[&str]) -> BTreeMap<String, String> {
    let mut found: BTreeMap<String, String> = BTreeMap::new();
    let mut name: Option<&str> = None;
    for line in lock.lines() {
        let line = line.trim();
        if line == "[[package]]" {
            name = None;
        } else if let Some(value) = quoted(line, "name") {
            name = Some(value);
        } else if let (Some(package), Some(version)) = (name, quoted(line, "version"))
            && names.contains(&package)
        {
            found
                .entry(package.to_owned())
                .and_modify(|versions| {
                    versions.push_str(", ");
                    versions.push_str(version);
                })
                .or_insert_with(|| version.to_owned());
        }
    }
    found
}

/// The value of `key = "value"`.
fn quoted<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let rest = line
        .strip_prefix(key)?
        .trim_start()
        .strip_prefix('=')?
        .trim();
    rest.strip_prefix('"')?.strip_suffix('"')
}
