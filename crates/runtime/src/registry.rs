//! The static registry of instrumented functions: one [`Site`] per annotated function,
//! submitted to `inventory` so that reports list functions that never ran.

use std::sync::atomic::{AtomicPtr, Ordering};

use crate::lines::Block;

/// What an annotated function records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Measures {
    /// `#[profile]`: per-line hits and time.
    pub time: bool,
    /// `#[memit]`: per-line heap usage, increment, peak and allocations.
    pub memory: bool,
}

/// The compile-time description of an annotated function, written by the attribute macros.
#[derive(Debug)]
pub struct SiteInfo {
    /// The function's identifier, or the name given with `name = "..."`.
    pub name: &'static str,
    /// Without a given name: `type_name` of a function item nested in the annotated function,
    /// whose path names the function as the compiler does (`m::<impl Trait for Type>::f::x`).
    /// It is read at run time, where it can be (`type_name` is not `const`), and gives the
    /// name reports show (see [`SiteInfo::qualified_name`]).
    pub path: Option<fn() -> &'static str>,
    /// `module_path!()` at the function.
    pub module_path: &'static str,
    /// `file!()` at the function.
    pub file: &'static str,
    /// The line of the `fn` keyword.
    pub line: u32,
    /// The line of `source[0]`.
    pub first_line: u32,
    /// Every source line of the function, captured at compile time.
    pub source: &'static [&'static str],
    /// The source line of each probe slot; slot 0 is the function's entry.
    pub slot_lines: &'static [u32],
    /// Whether the function is an `async fn`.
    pub is_async: bool,
    /// What the function records.
    pub measures: Measures,
}

impl SiteInfo {
    /// The function's name as a user reads it: the given name if there is one, else its path
    /// below its module with every other path cut to its last segment: `work`,
    /// `Type::method`, `<Type as Trait>::method`, `<&Type as Trait>::method`, `Trait::method`
    /// (a default method), `outer::inner` (a function nested in another). Generic parameters
    /// show as `_` (`Wrapper<_>::new`): every instantiation shares one site.
    ///
    /// # Examples
    ///
    /// ```
    /// use hiperf_runtime::registry::{Measures, SiteInfo};
    ///
    /// fn here() -> &'static str {
    ///     "app::parse::<impl core::fmt::Display for app::parse::Version>::fmt::here"
    /// }
    /// let info = SiteInfo {
    ///     name: "fmt",
    ///     path: Some(here),
    ///     module_path: "app::parse",
    ///     file: "src/parse.rs",
    ///     line: 10,
    ///     first_line: 10,
    ///     source: &[],
    ///     slot_lines: &[10],
    ///     is_async: false,
    ///     measures: Measures { time: true, memory: false },
    /// };
    /// assert_eq!(info.qualified_name(), "<Version as Display>::fmt");
    /// ```
    pub fn qualified_name(&self) -> String {
        match self.path {
            Some(path) => readable_name(path(), self.module_path),
            None => self.name.to_string(),
        }
    }
}

/// `type_path` (the path of an item nested in the function) as a user reads the function's
/// name: the nested item and the module prefix dropped, `<impl Type>` read as `Type`,
/// `<impl Trait for Type>` as `<Type as Trait>`, and paths inside angle brackets cut to their
/// last segment.
fn readable_name(type_path: &str, module_path: &str) -> String {
    let segments = split_top_level(type_path);
    let module_segments = split_top_level(module_path);
    let mut segments = &segments[..segments.len().saturating_sub(1)];
    if segments.starts_with(&module_segments) {
        segments = &segments[module_segments.len()..];
    }
    // `{{closure}}`: the body of an `async fn`, or a closure the function is nested in.
    let readable: Vec<String> = segments
        .iter()
        .filter(|segment| !(segment.starts_with("{{") && segment.ends_with("}}")))
        .map(|segment| readable_segment(segment))
        .collect();
    readable.join("::")
}

/// Splits a path at its `::` outside angle brackets, parentheses and square brackets.
fn split_top_level(path: &str) -> Vec<&str> {
    let mut segments = Vec::new();
    let mut depth = 0_i32;
    let mut start = 0;
    let bytes = path.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'-' if bytes.get(index + 1) == Some(&b'>') => index += 1,
            b'<' | b'(' | b'[' => depth += 1,
            b'>' | b')' | b']' => depth -= 1,
            b':' if depth == 0 && bytes.get(index + 1) == Some(&b':') => {
                segments.push(&path[start..index]);
                start = index + 2;
                index += 1;
            }
            _ => {}
        }
        index += 1;
    }
    segments.push(&path[start..]);
    segments
}

/// One segment of the function's path: `<impl ..>` blocks rewritten, the rest kept.
fn readable_segment(segment: &str) -> String {
    let Some(inner) = segment
        .strip_prefix("<impl ")
        .and_then(|rest| rest.strip_suffix('>'))
    else {
        return short_paths(segment);
    };
    match split_for(inner) {
        Some((trait_path, self_type)) => {
            format!(
                "<{} as {}>",
                short_paths(self_type),
                short_paths(trait_path)
            )
        }
        None => {
            let self_type = short_paths(inner);
            let is_path = self_type
                .chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
                && !self_type.starts_with("dyn ");
            if is_path {
                self_type
            } else {
                format!("<{self_type}>")
            }
        }
    }
}

/// `Trait for Type` split at its top-level ` for `.
fn split_for(impl_header: &str) -> Option<(&str, &str)> {
    let mut depth = 0_i32;
    let bytes = impl_header.as_bytes();
    for (index, &byte) in bytes.iter().enumerate() {
        match byte {
            b'<' | b'(' | b'[' => depth += 1,
            b'>' if index > 0 && bytes[index - 1] == b'-' => {}
            b'>' | b')' | b']' => depth -= 1,
            b' ' if depth == 0 && impl_header[index..].starts_with(" for ") => {
                return Some((&impl_header[..index], &impl_header[index + 5..]));
            }
            _ => {}
        }
    }
    None
}

/// Every path in `text` cut to its last segment: `alloc::vec::Vec<core::fmt::Error>` reads
/// `Vec<Error>`. A segment after a closing bracket (`<T as Trait>::Output`) is kept.
fn short_paths(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c.is_alphanumeric() || c == '_' {
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            let (ident, after) = rest.split_at(end);
            let continues = after
                .strip_prefix("::")
                .and_then(|next| next.chars().next())
                .is_some_and(|c| c.is_alphabetic() || c == '_');
            if continues {
                rest = &after[2..];
            } else {
                out.push_str(ident);
                rest = after;
            }
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// One annotated function: its description and the counters of every thread that ran it.
#[derive(Debug)]
pub struct Site {
    /// The compile-time description.
    pub info: SiteInfo,
    /// Every thread's counter block, as an intrusive list (pushed to, never removed from).
    pub(crate) blocks: AtomicPtr<Block>,
    /// The sampler's counters (sampled mode), made by the sampler on first use.
    pub(crate) samples: AtomicPtr<crate::sampler::SiteSamples>,
}

impl Site {
    /// Makes a site with no counters yet.
    pub const fn new(info: SiteInfo) -> Self {
        Site {
            info,
            blocks: AtomicPtr::new(std::ptr::null_mut()),
            samples: AtomicPtr::new(std::ptr::null_mut()),
        }
    }

    /// The number of probe slots (statement marks plus the entry slot).
    pub fn slot_count(&self) -> usize {
        self.info.slot_lines.len()
    }

    /// Every counter block of this site, whether its thread is alive or not.
    pub(crate) fn blocks(&self) -> impl Iterator<Item = &'static Block> {
        let mut next = self.blocks.load(Ordering::Acquire);
        std::iter::from_fn(move || {
            // SAFETY: blocks are leaked on creation and never freed, so every pointer in the
            // list stays valid; `Acquire` pairs with the `Release` of the push.
            let block: &'static Block = unsafe { next.as_ref()? };
            next = block.next.load(Ordering::Acquire);
            Some(block)
        })
    }
}

/// The unit `inventory` collects: a pointer to a site.
#[derive(Debug)]
pub struct SiteRef(pub &'static Site);

inventory::collect!(SiteRef);

/// Every annotated function linked into the program, in a stable order (file, then line).
///
/// # Examples
///
/// ```
/// for site in hiperf_runtime::registry::sites() {
///     println!("{} at {}:{}", site.info.name, site.info.file, site.info.line);
/// }
/// ```
pub fn sites() -> Vec<&'static Site> {
    let mut sites: Vec<&'static Site> = inventory::iter::<SiteRef>
        .into_iter()
        .map(|r| r.0)
        .collect();
    sites.sort_by(|a, b| {
        (a.info.file, a.info.line, a.info.name).cmp(&(b.info.file, b.info.line, b.info.name))
    });
    sites
}

#[cfg(test)]
mod tests {
    use super::readable_name;

    fn name(type_path: &str) -> String {
        readable_name(type_path, "app::m")
    }

    #[test]
    fn functions_are_named_by_their_path_below_their_module() {
        assert_eq!(name("app::m::work::here"), "work");
        assert_eq!(name("app::m::outer::inner::here"), "outer::inner");
        assert_eq!(name("app::other::work::here"), "app::other::work");
        assert_eq!(name("app::m::fetch::{{closure}}::here"), "fetch");
        assert_eq!(
            name("app::m::outer::{{closure}}::inner::here"),
            "outer::inner"
        );
    }

    #[test]
    fn inherent_methods_read_type_then_method() {
        assert_eq!(
            name("app::m::<impl app::other::Crate>::new::here"),
            "Crate::new"
        );
        assert_eq!(
            name("app::m::<impl app::Wrapper<_>>::wrap::here"),
            "Wrapper<_>::wrap"
        );
        assert_eq!(
            name("app::m::<impl app::Wrapper<u8>>::only::here"),
            "Wrapper<u8>::only"
        );
        assert_eq!(
            name("app::m::<impl dyn app::Shape>::area::here"),
            "<dyn Shape>::area"
        );
    }

    #[test]
    fn trait_methods_read_as_qualified_paths() {
        assert_eq!(
            name("app::m::<impl core::fmt::Display for app::P>::fmt::here"),
            "<P as Display>::fmt"
        );
        assert_eq!(
            name("app::m::<impl app::Heft for &app::other::Crate>::heft::here"),
            "<&Crate as Heft>::heft"
        );
        assert_eq!(
            name("app::m::<impl app::Heft for &mut app::Crate>::heft::here"),
            "<&mut Crate as Heft>::heft"
        );
        assert_eq!(
            name(
                "app::m::<impl core::convert::From<_> for app::W<alloc::vec::Vec<_>>>::from::here"
            ),
            "<W<Vec<_>> as From<_>>::from"
        );
        assert_eq!(
            name("app::m::<impl app::Heft for dyn core::ops::Fn(u8) -> u8>::heft::here"),
            "<dyn Fn(u8) -> u8 as Heft>::heft"
        );
        assert_eq!(
            name("app::m::<impl app::Heft for (u8, app::Crate)>::heft::here"),
            "<(u8, Crate) as Heft>::heft"
        );
        assert_eq!(
            name("app::m::Heft::default_method::here"),
            "Heft::default_method"
        );
    }
}
