//! The only file that knows the runtime's paths, the generated identifiers (`__hiperf_*`)
//! and the `#[allow]` list for generated code.

use proc_macro2::{Literal, Span, TokenStream};
use quote::quote;
use syn::{Expr, Ident, Stmt, parse_quote};

use crate::parse::Source;

/// The frame local, hygienic: user code cannot name it, and it cannot shadow user names.
fn frame() -> Ident {
    Ident::new("__hiperf_frame", Span::mixed_site())
}

fn slot_literal(slot: u32) -> Literal {
    Literal::u32_suffixed(slot)
}

/// If `statement` is `mark(slot)`, the slot.
pub fn marked_slot(statement: &Stmt) -> Option<u32> {
    let Stmt::Expr(Expr::Call(call), Some(_)) = statement else {
        return None;
    };
    let Expr::Path(path) = &*call.func else {
        return None;
    };
    let is_mark = path.path.segments.iter().map(|s| s.ident.to_string()).eq([
        "hiperf",
        "__private",
        "Probe",
        "mark",
    ]);
    let Some(Expr::Lit(syn::ExprLit {
        lit: syn::Lit::Int(slot),
        ..
    })) = call.args.last()
    else {
        return None;
    };
    if is_mark {
        slot.base10_parse().ok()
    } else {
        None
    }
}

/// `mark(slot)`: the statement that starts a line.
pub fn mark(slot: u32) -> Stmt {
    let frame = frame();
    let slot = slot_literal(slot);
    parse_quote! { ::hiperf::__private::Probe::mark(&#frame, #slot); }
}

/// A block expression that marks `slot`, then evaluates `expr`.
pub fn marked(slot: u32, expr: Expr) -> Expr {
    let mark = mark(slot);
    parse_quote! { { #mark #expr } }
}

/// A `for` loop's iterable, wrapped so that every `next()` marks the loop's line.
pub fn mark_iter(slot: u32, iterable: Expr) -> Expr {
    let frame = frame();
    let slot = slot_literal(slot);
    parse_quote! {
        ::hiperf::__private::MarkIter::new(::hiperf::__private::Probe::switch(&#frame, #slot), #slot, #iterable)
    }
}

/// What the probe records.
#[derive(Clone, Copy)]
pub struct Measures {
    pub time: bool,
    pub memory: bool,
}

/// Everything the prologue needs to describe the function.
pub struct SiteDescription<'a> {
    /// The function's identifier, or the name given with `name = ".."`.
    pub name: &'a str,
    /// Whether `name` was given: else reports name the function by its path, read at run time.
    pub name_given: bool,
    pub fn_line: u32,
    pub source: &'a Source,
    pub slot_lines: &'a [u32],
    pub is_async: bool,
    pub measures: Measures,
}

/// The site's static, its per-thread block cell and its registration.
fn declaration(site: &SiteDescription) -> Vec<Stmt> {
    let site_name = Ident::new("__HIPERF_SITE", Span::mixed_site());
    let cell_name = Ident::new("__HIPERF_BLOCK", Span::mixed_site());
    let name = site.name;
    let fn_line = site.fn_line;
    let first_line = site.source.first_line;
    let source = &site.source.lines;
    let slot_lines = site.slot_lines;
    let is_async = site.is_async;
    let time = site.measures.time;
    let memory = site.measures.memory;
    let path_name = Ident::new("__hiperf_path", Span::mixed_site());
    // A function item nested in the annotated one: its type's name is the annotated
    // function's path as the compiler sees it, `impl` and trait included, which an attribute
    // on a method cannot see. Not generic, so every instantiation shares it.
    let (path_fn, path): (Option<Stmt>, TokenStream) = if site.name_given {
        (None, quote! { ::hiperf::__private::Option::None })
    } else {
        (
            Some(parse_quote! {
                fn #path_name() -> &'static str {
                    ::hiperf::__private::type_name_of_val(&#path_name)
                }
            }),
            quote! { ::hiperf::__private::Option::Some(#path_name) },
        )
    };
    let declaration: Stmt = parse_quote! {
        ::hiperf::__private::site!(#site_name, #cell_name, ::hiperf::__private::SiteInfo {
            name: #name,
            path: #path,
            module_path: ::hiperf::__private::module_path!(),
            file: ::hiperf::__private::file!(),
            line: #fn_line,
            first_line: #first_line,
            source: &[#(#source),*],
            slot_lines: &[#(#slot_lines),*],
            is_async: #is_async,
            measures: ::hiperf::__private::Measures { time: #time, memory: #memory },
        });
    };
    path_fn.into_iter().chain([declaration]).collect()
}

/// The statements placed before the body: the site, its registration and the frame.
pub fn prologue(site: &SiteDescription, first_slot: u32) -> Vec<Stmt> {
    let site_name = Ident::new("__HIPERF_SITE", Span::mixed_site());
    let cell_name = Ident::new("__HIPERF_BLOCK", Span::mixed_site());
    let frame = frame();
    let first_slot = slot_literal(first_slot);
    let frame_type: TokenStream = match (site.measures.time, site.measures.memory) {
        (true, false) => quote! { ::hiperf::__private::TimeFrame },
        (false, true) => quote! { ::hiperf::__private::MemoryFrame },
        _ => quote! { ::hiperf::__private::TimeMemoryFrame },
    };
    let enter: Stmt = parse_quote! {
        let #frame = #frame_type::enter(&#site_name, &#cell_name, #first_slot);
    };
    let mut statements = declaration(site);
    statements.push(enter);
    statements
}

/// The body of an `async fn`: the site, then the body as a future wrapped in the call's probe,
/// which enters the call tree at each poll; the body's marks write to the call being polled.
///
/// Input:  async fn f(..) -> R { stmts }
/// Output: async fn f(..) -> R { site!(..); AsyncCall::new(&SITE, &CELL, first slot,
///             async move { let frame = AsyncFrame; stmts }).await }
pub fn async_body(site: &SiteDescription, first_slot: u32, body: Vec<Stmt>) -> Vec<Stmt> {
    let site_name = Ident::new("__HIPERF_SITE", Span::mixed_site());
    let cell_name = Ident::new("__HIPERF_BLOCK", Span::mixed_site());
    let frame = frame();
    let first_slot = slot_literal(first_slot);
    let call: Expr = parse_quote! {
        ::hiperf::__private::AsyncCall::new(&#site_name, &#cell_name, #first_slot, async move {
            let #frame = ::hiperf::__private::AsyncFrame;
            #(#body)*
        }).await
    };
    let mut statements = declaration(site);
    statements.push(Stmt::Expr(call, None));
    statements
}

/// The statement `#[hiperf::main]` places first in `main`.
pub fn report_guard() -> Stmt {
    let guard = Ident::new("__hiperf_report", Span::mixed_site());
    parse_quote! { let #guard = ::hiperf::__private::ReportGuard::new(); }
}
