//! `#[reemit]`: parses the function with syn and prints it back. The body's brace group is
//! rebuilt with one joined span, as tracing's `#[instrument]` and other attribute macros do, so
//! an attribute under it sees the whole body on one span.

use proc_macro::TokenStream;
use quote::ToTokens;

/// Re-emits the function unchanged in meaning, with rebuilt token groups.
#[proc_macro_attribute]
pub fn reemit(_args: TokenStream, item: TokenStream) -> TokenStream {
    let function = syn::parse_macro_input!(item as syn::ItemFn);
    function.into_token_stream().into()
}
