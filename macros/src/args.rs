//! The attributes' options, parsed with `syn::meta::parser`: each set at most once, unknown
//! ones rejected at their token.

use proc_macro2::TokenStream;
use syn::LitStr;

use crate::parse::Attribute;

/// Options of `#[profile]` and `#[memit]`.
#[derive(Default)]
pub struct Options {
    /// The name shown in reports instead of the function's.
    pub name: Option<LitStr>,
}

/// Parses the tokens inside the attribute's parentheses.
pub fn parse(attribute: Attribute, tokens: TokenStream) -> syn::Result<Options> {
    let mut options = Options::default();
    let expected = attribute.options();
    let parser = syn::meta::parser(|meta| {
        let known = expected.iter().any(|option| meta.path.is_ident(option));
        if !known {
            let found = meta
                .path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect::<Vec<_>>()
                .join("::");
            let message = if expected.is_empty() {
                format!(
                    "`#[{}]` takes no options, found `{found}`",
                    attribute.name()
                )
            } else {
                format!(
                    "unknown `#[{}]` option `{found}`; expected `{}`",
                    attribute.name(),
                    expected.join("`, `")
                )
            };
            return Err(meta.error(message));
        }
        if options.name.is_some() {
            return Err(meta.error(format!("`name` is set twice in `#[{}]`", attribute.name())));
        }
        options.name = Some(meta.value()?.parse()?);
        Ok(())
    });
    syn::parse::Parser::parse2(parser, tokens)?;
    Ok(options)
}
