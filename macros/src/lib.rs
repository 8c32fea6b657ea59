//! The attribute macros of [hiperf](https://docs.rs/hiperf): use them through the `hiperf` crate.
//!
//! ```ignore
//! #[hiperf::profile]
//! fn work(n: u64) -> u64 {
//!     let mut total = 0;
//!     for i in 0..n {
//!         total += i * i;
//!     }
//!     total
//! }
//! ```
//!
//! With hiperf's `enable` feature off every attribute returns its item untouched, and this
//! crate compiles with no dependency at all (no syn, quote or proc-macro2): the feature-off
//! build of a user's crate pays for nothing. A misused attribute is reported with the feature
//! on, where the item is parsed.

#[cfg(feature = "enable")]
mod args;
#[cfg(feature = "enable")]
mod arguments;
#[cfg(feature = "enable")]
mod emit;
#[cfg(feature = "enable")]
mod expand;
#[cfg(feature = "enable")]
mod parse;

use proc_macro::TokenStream;

#[cfg(feature = "enable")]
use crate::parse::Attribute;

/// Line-by-line time profiling of a function: per line hits, time, time per hit and share of
/// the function, summed over every call and thread (line_profiler's `@profile`).
///
/// Options: `name = "..."` replaces the function's name in reports.
#[proc_macro_attribute]
pub fn profile(args: TokenStream, item: TokenStream) -> TokenStream {
    #[cfg(feature = "enable")]
    return expand::attribute(Attribute::Profile, args.into(), item.into()).into();
    #[cfg(not(feature = "enable"))]
    return pass_through(args, item);
}

/// Line-by-line memory profiling of a function from exact allocator counts: per line heap
/// usage, increment, peak and allocations (memory_profiler's `@profile`).
///
/// Options: `name = "..."` replaces the function's name in reports.
#[proc_macro_attribute]
pub fn memit(args: TokenStream, item: TokenStream) -> TokenStream {
    #[cfg(feature = "enable")]
    return expand::attribute(Attribute::Memit, args.into(), item.into()).into();
    #[cfg(not(feature = "enable"))]
    return pass_through(args, item);
}

/// Leaves one function out of an annotated `impl` block or module (it is otherwise the
/// identity: on its own it does nothing).
#[proc_macro_attribute]
pub fn skip(args: TokenStream, item: TokenStream) -> TokenStream {
    #[cfg(feature = "enable")]
    {
        if args.is_empty() {
            return item;
        }
        let error = syn::Error::new(proc_macro2::Span::call_site(), "`#[skip]` takes no options")
            .to_compile_error();
        let item = proc_macro2::TokenStream::from(item);
        quote::quote! { #error #item }.into()
    }
    #[cfg(not(feature = "enable"))]
    return pass_through(args, item);
}

/// Prints the report when `main` returns or unwinds (and writes the files the environment
/// names: `HIPERF_JSON`, `HIPERF_REPORT`). Without the `enable` feature, `main` is untouched.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    #[cfg(feature = "enable")]
    return expand::attribute(Attribute::Main, args.into(), item.into()).into();
    #[cfg(not(feature = "enable"))]
    return pass_through(args, item);
}

/// Feature off: the item, token for token, with no parsing (so no syn in the build).
#[cfg(not(feature = "enable"))]
fn pass_through(_args: TokenStream, item: TokenStream) -> TokenStream {
    item
}
