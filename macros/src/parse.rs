//! The annotated item as a model: which attribute, the function, its lines and source text.
//! Every rejection lives here, as a `syn::Error` on the offending token.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{Item, ItemFn};

/// Which attribute is being expanded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Attribute {
    Profile,
    Memit,
    Main,
}

impl Attribute {
    /// The attribute's name, as users write it.
    pub fn name(self) -> &'static str {
        match self {
            Attribute::Profile => "profile",
            Attribute::Memit => "memit",
            Attribute::Main => "main",
        }
    }

    /// The options it accepts.
    pub fn options(self) -> &'static [&'static str] {
        match self {
            Attribute::Profile | Attribute::Memit => &["name"],
            Attribute::Main => &[],
        }
    }
}

/// An annotated function.
pub struct Function {
    pub item: ItemFn,
    /// `#[profile]` applies (itself or stacked with `#[memit]`).
    pub time: bool,
    /// `#[memit]` applies (itself or stacked with `#[profile]`).
    pub memory: bool,
}

/// What an attribute is applied to.
pub enum Target {
    Function(Function),
    /// `#[profile]` / `#[memit]` on an `impl` block: every method with a body.
    Impl(syn::ItemImpl),
    /// `#[profile]` / `#[memit]` on an inline module: every function and method in it.
    Module(syn::ItemMod),
}

/// Parses the item under `attribute`: a function, or (for `#[profile]` and `#[memit]`) an
/// `impl` block or an inline module.
pub fn target(attribute: Attribute, tokens: TokenStream) -> syn::Result<Target> {
    if attribute != Attribute::Main {
        match syn::parse2::<Item>(tokens.clone()) {
            Ok(Item::Impl(item)) => return Ok(Target::Impl(item)),
            Ok(Item::Mod(item)) if item.content.is_some() => return Ok(Target::Module(item)),
            Ok(Item::Mod(item)) => {
                let message = format!(
                    "`#[{}]` on a module needs its body here (`mod {} {{ .. }}`), not in another file",
                    attribute.name(),
                    item.ident
                );
                return Err(syn::Error::new(item.mod_token.span, message));
            }
            _ => {}
        }
    }
    function(attribute, tokens).map(Target::Function)
}

/// Whether `attrs` holds `#[hiperf::skip]` (or `#[skip]`), the opt-out inside an annotated
/// `impl` block or module; removes it.
pub fn take_skip(attrs: &mut Vec<syn::Attribute>) -> bool {
    let before = attrs.len();
    attrs.retain(|attr| !is_hiperf_attribute(attr, "skip"));
    attrs.len() != before
}

/// Whether `attrs` holds its own `#[profile]` or `#[memit]`, which will expand by itself.
pub fn has_own_attribute(attrs: &[syn::Attribute]) -> bool {
    attrs
        .iter()
        .any(|attr| is_hiperf_attribute(attr, "profile") || is_hiperf_attribute(attr, "memit"))
}

/// `#[profile]` and/or `#[memit]` found under `#[main]` on the same function.
pub struct Stacked {
    pub time: bool,
    pub memory: bool,
    pub name: Option<syn::LitStr>,
}

/// Removes the `#[profile]` and `#[memit]` attributes stacked under `#[main]`, so that `main`
/// is instrumented in one expansion with the report guard outside its frame (the guard must
/// drop last, after the frame has counted the call).
pub fn take_stacked_under_main(attrs: &mut Vec<syn::Attribute>) -> syn::Result<Option<Stacked>> {
    let mut stacked: Option<Stacked> = None;
    let mut kept = Vec::with_capacity(attrs.len());
    for attr in std::mem::take(attrs) {
        let which = if is_hiperf_attribute(&attr, "profile") {
            Attribute::Profile
        } else if is_hiperf_attribute(&attr, "memit") {
            Attribute::Memit
        } else {
            kept.push(attr);
            continue;
        };
        let tokens = match &attr.meta {
            syn::Meta::List(list) => list.tokens.clone(),
            _ => TokenStream::new(),
        };
        let options = crate::args::parse(which, tokens)?;
        let entry = stacked.get_or_insert(Stacked {
            time: false,
            memory: false,
            name: None,
        });
        entry.time |= which == Attribute::Profile;
        entry.memory |= which == Attribute::Memit;
        if let Some(name) = options.name {
            entry.name = Some(name);
        }
    }
    *attrs = kept;
    Ok(stacked)
}

fn is_hiperf_attribute(attr: &syn::Attribute, name: &str) -> bool {
    let segments: Vec<String> = attr
        .path()
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    segments == [name] || segments == ["hiperf", name]
}

/// Parses the item under `attribute`, rejecting anything but a function with a body that can
/// run at run time.
pub fn function(attribute: Attribute, tokens: TokenStream) -> syn::Result<Function> {
    let item = match syn::parse2::<Item>(tokens.clone()) {
        Ok(Item::Fn(item)) => item,
        Ok(other) => {
            // syn reads a function signature without a body as verbatim tokens.
            if let Ok(method) = syn::parse2::<syn::TraitItemFn>(tokens)
                && method.default.is_none()
            {
                let message = format!(
                    "`#[{}]` needs a function body; this method declares none",
                    attribute.name()
                );
                return Err(syn::Error::new(method.sig.fn_token.span, message));
            }
            return Err(not_a_function(attribute, &other));
        }
        Err(error) => return Err(error),
    };
    if let Some(constness) = &item.sig.constness {
        let message = format!(
            "`#[{}]` cannot be applied to a `const fn`: its probes read a clock at run time",
            attribute.name()
        );
        return Err(syn::Error::new(constness.span, message));
    }
    if let (Attribute::Memit, Some(asyncness)) = (attribute, &item.sig.asyncness) {
        let message = "`#[memit]` cannot be applied to an `async fn`: heap figures are per thread and a \
                       future can move between threads at every `.await`; use `#[profile]` or `memit!` \
                       around the awaited call";
        return Err(syn::Error::new(asyncness.span, message));
    }
    let mut function = Function {
        item,
        time: attribute == Attribute::Profile,
        memory: attribute == Attribute::Memit,
    };
    if attribute != Attribute::Main {
        take_stacked_attribute(&mut function, attribute);
    }
    Ok(function)
}

/// `#[profile]` and `#[memit]` stacked on one function make one probe that records both:
/// the outer attribute removes the inner one.
fn take_stacked_attribute(function: &mut Function, attribute: Attribute) {
    let other = match attribute {
        Attribute::Profile => "memit",
        _ => "profile",
    };
    let before = function.item.attrs.len();
    function
        .item
        .attrs
        .retain(|attr| !is_hiperf_attribute(attr, other));
    if function.item.attrs.len() != before {
        function.time = true;
        function.memory = function.item.sig.asyncness.is_none();
    }
}

fn not_a_function(attribute: Attribute, item: &Item) -> syn::Error {
    let what = match item {
        Item::Struct(_) => "a struct",
        Item::Enum(_) => "an enum",
        Item::Union(_) => "a union",
        Item::Const(_) => "a constant",
        Item::Static(_) => "a static",
        Item::Trait(_) => "a trait",
        Item::Impl(_) => "an `impl` block",
        Item::Mod(_) => "a module",
        Item::Type(_) => "a type alias",
        Item::Use(_) => "a `use` item",
        Item::ForeignMod(_) => "an `extern` block",
        Item::Macro(_) => "a macro invocation",
        _ => "this item",
    };
    let accepted = match attribute {
        Attribute::Main => "a function",
        _ => "a function, an `impl` block or an inline module",
    };
    let message = format!(
        "`#[{}]` can only be applied to {accepted}, not to {what}",
        attribute.name()
    );
    syn::Error::new(keyword_span(item), message)
}

/// The span of the keyword that says what the item is (`struct`, `enum`, ...).
fn keyword_span(item: &Item) -> Span {
    match item {
        Item::Struct(item) => item.struct_token.span,
        Item::Enum(item) => item.enum_token.span,
        Item::Union(item) => item.union_token.span,
        Item::Const(item) => item.const_token.span,
        Item::Static(item) => item.static_token.span,
        Item::Trait(item) => item.trait_token.span,
        Item::Impl(item) => item.impl_token.span,
        Item::Mod(item) => item.mod_token.span,
        Item::Type(item) => item.type_token.span,
        Item::Use(item) => item.use_token.span,
        other => other.span(),
    }
}

/// The line a span starts on.
pub fn line(span: Span) -> u32 {
    span.start().line as u32
}

/// The source lines of the function, from the attributes just above its `fn` line (not its
/// doc comment) to the end of its body, captured at compile time: read from the file when it
/// can be, else rebuilt from the tokens (comments are then missing).
pub struct Source {
    pub first_line: u32,
    pub lines: Vec<String>,
}

pub fn source(item: &ItemFn) -> Source {
    let fn_line = line(item.sig.fn_token.span);
    // The attributes after the last doc comment; `#[doc]` attributes lead the table otherwise.
    let after_docs = item
        .attrs
        .iter()
        .rposition(|attr| attr.path().is_ident("doc"))
        .map_or(0, |last_doc| last_doc + 1);
    let first_line = item.attrs[after_docs..]
        .iter()
        .map(|attr| line(attr.span()))
        .filter(|&attr_line| attr_line != 0 && attr_line <= fn_line)
        .chain([fn_line])
        .min()
        .unwrap_or(fn_line);
    let last_line = last_line(item);
    if let Some(lines) = read_lines(item.sig.fn_token.span, first_line, last_line) {
        return Source { first_line, lines };
    }
    Source {
        first_line,
        lines: rebuild_lines(item, first_line, last_line),
    }
}

/// The last line of the function's body, read from the body's own tokens: the brace group's
/// closing span is not reliable, because an attribute macro above this one that re-emits the
/// function through syn (or an annotated item around it) rebuilds the group with one span
/// that starts on the opening brace's line.
fn last_line(item: &ItemFn) -> u32 {
    let fn_line = line(item.sig.fn_token.span);
    let file = item.sig.fn_token.span.local_file();
    let mut last = line(item.block.brace_token.span.close()).max(fn_line);
    let mut consider = |span: Span| {
        let end = span.end().line as u32;
        // Tokens from another file (a `macro_rules!` defined elsewhere) say nothing here.
        if end > last && span.local_file() == file {
            last = end;
        }
    };
    visit_spans(item.block.to_token_stream(), &mut consider);
    last
}

/// Calls `visit` with the span of every token in `tokens`, closing delimiters included.
fn visit_spans(tokens: TokenStream, visit: &mut impl FnMut(Span)) {
    for tree in tokens {
        match tree {
            TokenTree::Group(group) => {
                visit(group.span_close());
                visit_spans(group.stream(), visit);
            }
            other => visit(other.span()),
        }
    }
}

fn read_lines(span: Span, first: u32, last: u32) -> Option<Vec<String>> {
    if first == 0 {
        return None;
    }
    let path = span.local_file()?;
    let text = std::fs::read_to_string(path).ok()?;
    let lines: Vec<String> = text
        .lines()
        .skip(first as usize - 1)
        .take((last - first + 1) as usize)
        .map(str::to_string)
        .collect();
    // A span from a macro expansion may point at lines that do not hold this function.
    let fn_offset = (line(span) - first) as usize;
    let holds_fn = lines.len() == (last - first + 1) as usize
        && lines.get(fn_offset).is_some_and(|l| l.contains("fn"));
    holds_fn.then_some(lines)
}

fn rebuild_lines(item: &ItemFn, first: u32, last: u32) -> Vec<String> {
    let mut lines = vec![String::new(); (last.saturating_sub(first) + 1) as usize];
    let tokens = quote::ToTokens::to_token_stream(item);
    place_tokens(&mut lines, first, tokens);
    lines
}

fn place_tokens(lines: &mut [String], first: u32, tokens: TokenStream) {
    for tree in tokens {
        match tree {
            TokenTree::Group(group) => {
                let (open, close) = match group.delimiter() {
                    proc_macro2::Delimiter::Parenthesis => ("(", ")"),
                    proc_macro2::Delimiter::Brace => ("{", "}"),
                    proc_macro2::Delimiter::Bracket => ("[", "]"),
                    proc_macro2::Delimiter::None => ("", ""),
                };
                place(lines, first, group.span_open(), open);
                place_tokens(lines, first, group.stream());
                place(lines, first, group.span_close(), close);
            }
            other => place(lines, first, other.span(), &other.to_string()),
        }
    }
}

fn place(lines: &mut [String], first: u32, span: Span, text: &str) {
    let start = span.start();
    let Some(row) = (start.line as u32)
        .checked_sub(first)
        .and_then(|i| lines.get_mut(i as usize))
    else {
        return;
    };
    let width = row.chars().count();
    if start.column > width {
        row.extend(std::iter::repeat_n(' ', start.column - width));
    } else if width > 0 && !row.ends_with(' ') {
        row.push(' ');
    }
    row.push_str(text);
}
