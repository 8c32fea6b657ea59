//! Test-only attribute macros that re-emit their item through syn, the way tracing-style
//! attributes do: every delimited group is rebuilt with one joined span, so that the closing
//! brace of a function body no longer says on which line the body ends.

use proc_macro::TokenStream;
use quote::{ToTokens, quote};

/// Parses the item with syn and prints it back unchanged.
#[proc_macro_attribute]
pub fn reemit(_args: TokenStream, item: TokenStream) -> TokenStream {
    let item: syn::Item = match syn::parse(item) {
        Ok(item) => item,
        Err(error) => return error.to_compile_error().into(),
    };
    item.into_token_stream().into()
}

/// Wraps a function's body in a block of its own, as a tracing-style attribute that opens a
/// span around the body does, and re-emits it through syn.
#[proc_macro_attribute]
pub fn wrap_body(_args: TokenStream, item: TokenStream) -> TokenStream {
    let mut function: syn::ItemFn = match syn::parse(item) {
        Ok(function) => function,
        Err(error) => return error.to_compile_error().into(),
    };
    let body = &function.block;
    function.block = syn::parse_quote!({
        let entered = ::core::hint::black_box(0_u8);
        let value = #body;
        let _ = entered;
        value
    });
    quote!(#function).into()
}

/// Re-emits a function with `#[inline(never)]`: every call of it stays a call, as every call
/// of an annotated function does when profiling is on.
#[proc_macro_attribute]
pub fn never_inline(_args: TokenStream, item: TokenStream) -> TokenStream {
    let mut function: syn::ItemFn = match syn::parse(item) {
        Ok(function) => function,
        Err(error) => return error.to_compile_error().into(),
    };
    function.attrs.push(syn::parse_quote!(#[inline(never)]));
    quote!(#function).into()
}
