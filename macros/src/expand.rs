//! The rewrite: a mark before every statement line, loop headers marked on every iteration.
//! The body keeps its own block, its tail expression and its `let` scopes.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::spanned::Spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{
    Block, Expr, ExprForLoop, ExprIf, ExprMatch, ExprWhile, ImplItem, ItemFn, ItemImpl, ItemMod,
    ItemTrait, Stmt, TraitItem, parse_quote,
};

use crate::args;
use crate::emit::{self, Measures, SiteDescription};
use crate::parse::{self, Attribute, Target, line};

/// Expands one attribute; on a mistake, the error and the untouched item, so that the user
/// sees one error and no cascade.
pub fn attribute(attribute: Attribute, args: TokenStream, item: TokenStream) -> TokenStream {
    let options = match args::parse(attribute, args) {
        Ok(options) => options,
        Err(error) => return with_item(error, item),
    };
    let target = match parse::target(attribute, item.clone()) {
        Ok(target) => target,
        Err(error) => return with_item(error, item),
    };
    if let (Some(name), Target::Impl(_) | Target::Module(_)) = (&options.name, &target) {
        let message = "`name` names one function; in an `impl` block or a module each function keeps its own name";
        return with_item(syn::Error::new(name.span(), message), item);
    }
    if !cfg!(feature = "enable") {
        return item;
    }
    let measures = Measures {
        time: attribute == Attribute::Profile,
        memory: attribute == Attribute::Memit,
    };
    match target {
        Target::Function(function) => {
            let mut item = function.item;
            if attribute == Attribute::Main {
                let stacked = match parse::take_stacked_under_main(&mut item.attrs) {
                    Ok(stacked) => stacked,
                    Err(error) => return with_item(error, item.into_token_stream()),
                };
                if let Some(stacked) = stacked {
                    // Input:  #[main] #[profile] fn main() { body }
                    // Output: fn main() { let guard = ReportGuard::new(); site; frame; body }
                    // The guard is declared first so that it drops last, once the frame has
                    // counted the call.
                    let name = stacked.name.map(|name| name.value());
                    let memory = stacked.memory && item.sig.asyncness.is_none();
                    instrument(
                        &mut item,
                        Measures {
                            time: stacked.time,
                            memory,
                        },
                        name.as_deref(),
                    );
                }
                // Input:  fn main() { body }
                // Output: fn main() { let guard = ReportGuard::new(); body }
                item.block.stmts.insert(0, emit::report_guard());
                return item.into_token_stream();
            }
            let name = options.name.map(|name| name.value());
            instrument(
                &mut item,
                Measures {
                    time: function.time,
                    memory: function.memory,
                },
                name.as_deref(),
            );
            item.into_token_stream()
        }
        Target::Impl(mut item_impl) => {
            instrument_impl(&mut item_impl, measures);
            item_impl.into_token_stream()
        }
        Target::Module(mut module) => {
            instrument_module(&mut module, measures);
            module.into_token_stream()
        }
    }
}

/// Input:  fn f(..) -> R { stmt_1; ..; tail }
/// Output: fn f(..) -> R { site!(..); let frame = Frame::enter(.., first slot); stmt_1; ..; mark(n); tail }
/// `name`: the name given with `name = ".."`; without it, reports read the function's path.
fn instrument(item: &mut ItemFn, measures: Measures, name: Option<&str>) {
    let ident = item.sig.ident.to_string();
    let fn_line = line(item.sig.fn_token.span);
    let source = parse::source(item);
    let mut instrumenter = Instrumenter {
        slot_lines: vec![fn_line],
        line: fn_line,
    };
    // Line 0 as the enclosing line: the body's first statement is marked even on the `fn` line.
    instrumenter.instrument_block(&mut item.block, 0);
    let description = SiteDescription {
        name: name.unwrap_or(&ident),
        name_given: name.is_some(),
        fn_line,
        source: &source,
        slot_lines: &instrumenter.slot_lines,
        is_async: item.sig.asyncness.is_some(),
        measures,
    };
    // The entry reads the clock for the first mark too: drop that mark and let it start the line.
    let first_slot = item
        .block
        .stmts
        .first()
        .and_then(emit::marked_slot)
        .unwrap_or(0);
    if first_slot != 0 {
        item.block.stmts.remove(0);
    }
    if description.is_async {
        let body = std::mem::take(&mut item.block.stmts);
        item.block.stmts = emit::async_body(&description, first_slot, body);
        return;
    }
    let prologue = emit::prologue(&description, first_slot);
    item.block.stmts.splice(0..0, prologue);
}

/// Whether a function inside an annotated `impl` block or module is instrumented: not when
/// it opts out with `#[hiperf::skip]`, has its own attribute, or is a `const fn`.
fn wanted(
    attrs: &mut Vec<syn::Attribute>,
    sig: &syn::Signature,
    measures: Measures,
) -> Option<Measures> {
    if parse::take_skip(attrs) || parse::has_own_attribute(attrs) || sig.constness.is_some() {
        return None;
    }
    // `#[memit]` does not apply to an `async fn` (its future moves between threads).
    let memory = measures.memory && sig.asyncness.is_none();
    (measures.time || memory).then_some(Measures {
        time: measures.time,
        memory,
    })
}

/// Input:  #[profile] impl Type { fn a(&self) {..} #[hiperf::skip] fn b() {..} }
/// Output: impl Type { fn a(&self) { probes.. } fn b() {..} }, `a` named `Type::a` (by its
/// path, read at run time, as a method annotated on its own).
fn instrument_impl(item_impl: &mut ItemImpl, measures: Measures) {
    for impl_item in &mut item_impl.items {
        let ImplItem::Fn(method) = impl_item else {
            continue;
        };
        let Some(method_measures) = wanted(&mut method.attrs, &method.sig, measures) else {
            continue;
        };
        instrument_method(
            &mut method.attrs,
            &mut method.sig,
            &mut method.block,
            method_measures,
        );
    }
}

/// Input:  #[profile] mod m { trait T { fn provided(&self) {..} fn required(&self); } }
/// Output: the provided (default) methods instrumented, named `T::provided`.
fn instrument_trait(item_trait: &mut ItemTrait, measures: Measures) {
    for trait_item in &mut item_trait.items {
        let TraitItem::Fn(method) = trait_item else {
            continue;
        };
        let Some(block) = &mut method.default else {
            continue;
        };
        let Some(method_measures) = wanted(&mut method.attrs, &method.sig, measures) else {
            continue;
        };
        instrument_method(&mut method.attrs, &mut method.sig, block, method_measures);
    }
}

/// Instruments a method (of an `impl` block, or a trait's default) as a function.
fn instrument_method(
    attrs: &mut Vec<syn::Attribute>,
    sig: &mut syn::Signature,
    block: &mut Block,
    measures: Measures,
) {
    let mut function = ItemFn {
        attrs: std::mem::take(attrs),
        vis: syn::Visibility::Inherited,
        sig: sig.clone(),
        block: Box::new(std::mem::replace(block, parse_quote!({}))),
    };
    instrument(&mut function, measures, None);
    *attrs = function.attrs;
    *sig = function.sig;
    *block = *function.block;
}

/// Input:  #[profile] mod m { fn f() {..} impl T {..} mod inner {..} }
/// Output: every function and method in it instrumented, nested inline modules included.
fn instrument_module(module: &mut ItemMod, measures: Measures) {
    let Some((_, items)) = &mut module.content else {
        return;
    };
    for item in items {
        match item {
            syn::Item::Fn(function) => {
                if let Some(function_measures) =
                    wanted(&mut function.attrs, &function.sig, measures)
                {
                    instrument(function, function_measures, None);
                }
            }
            syn::Item::Impl(item_impl) => {
                // An `impl` block with its own attribute expands by itself.
                let skipped = parse::take_skip(&mut item_impl.attrs)
                    || parse::has_own_attribute(&item_impl.attrs);
                if !skipped {
                    instrument_impl(item_impl, measures);
                }
            }
            syn::Item::Trait(item_trait) => {
                let skipped = parse::take_skip(&mut item_trait.attrs);
                if !skipped {
                    instrument_trait(item_trait, measures);
                }
            }
            syn::Item::Mod(inner) => {
                let skipped =
                    parse::take_skip(&mut inner.attrs) || parse::has_own_attribute(&inner.attrs);
                if !skipped && inner.content.is_some() {
                    instrument_module(inner, measures);
                }
            }
            _ => {}
        }
    }
}

fn with_item(error: syn::Error, item: TokenStream) -> TokenStream {
    let error = error.to_compile_error();
    quote! { #error #item }
}

/// Walks the body, numbering a probe slot for every marked line.
struct Instrumenter {
    /// The source line of each slot; slot 0 is the function's entry.
    slot_lines: Vec<u32>,
    /// The line of the statement being visited: nested blocks do not mark it again.
    line: u32,
}

impl Instrumenter {
    fn slot(&mut self, line: u32) -> u32 {
        self.slot_lines.push(line);
        (self.slot_lines.len() - 1) as u32
    }

    /// Input:  { a; b; c }      (a, b, c on their own lines)
    /// Output: { mark(i); a; mark(j); b; mark(k); c }
    /// A statement on the line of the previous one, or of the enclosing construct, is not
    /// marked again; loops mark their own header (see `visit_expr_mut`); items are not marked.
    fn instrument_block(&mut self, block: &mut Block, enclosing_line: u32) {
        let statements = std::mem::take(&mut block.stmts);
        let mut previous_line = enclosing_line;
        for mut statement in statements {
            if let Stmt::Item(_) = statement {
                block.stmts.push(statement);
                continue;
            }
            let statement_line = line(statement.span());
            let marks_itself =
                matches!(statement, Stmt::Expr(Expr::ForLoop(_) | Expr::While(_), _));
            if !marks_itself && statement_line != previous_line {
                let slot = self.slot(statement_line);
                block.stmts.push(emit::mark(slot));
            }
            let saved = std::mem::replace(&mut self.line, statement_line);
            self.visit_stmt_mut(&mut statement);
            self.line = saved;
            block.stmts.push(statement);
            previous_line = statement_line;
        }
    }

    /// Input:  for pat in iterable { body }
    /// Output: for pat in MarkIter::new(switch(&frame, k), k, iterable) { marked body }
    fn for_loop(&mut self, for_loop: &mut ExprForLoop) {
        let header_line = line(for_loop.for_token.span);
        let slot = self.slot(header_line);
        let saved = std::mem::replace(&mut self.line, header_line);
        self.visit_expr_mut(&mut for_loop.expr);
        let mut iterable =
            std::mem::replace(&mut *for_loop.expr, Expr::Verbatim(TokenStream::new()));
        // Parentheses rustc requires around a struct literal in the loop's head are redundant
        // as an argument (`unused_parens`).
        while let Expr::Paren(paren) = iterable {
            if !paren.attrs.is_empty() {
                iterable = Expr::Paren(paren);
                break;
            }
            iterable = *paren.expr;
        }
        *for_loop.expr = emit::mark_iter(slot, iterable);
        self.instrument_block(&mut for_loop.body, header_line);
        self.line = saved;
    }

    /// Input:  'label: while cond { body }          (also `while let`, let chains)
    /// Output: 'label: loop { mark(k); if cond { marked body } else { break } }
    /// `loop`/`if`/`break` is the reference desugaring of `while`; the mark makes every
    /// evaluation of the condition a hit of the header line.
    fn while_loop(&mut self, while_loop: &mut ExprWhile) -> Expr {
        let header_line = line(while_loop.while_token.span);
        let slot = self.slot(header_line);
        let saved = std::mem::replace(&mut self.line, header_line);
        self.visit_expr_mut(&mut while_loop.cond);
        self.instrument_block(&mut while_loop.body, header_line);
        self.line = saved;
        let attrs = &while_loop.attrs;
        let label = &while_loop.label;
        let mark = emit::mark(slot);
        let cond = &while_loop.cond;
        let body = &while_loop.body;
        parse_quote! {
            #(#attrs)* #label loop {
                #mark
                if #cond #body else { break }
            }
        }
    }

    /// `else if` on its own line: the condition is a hit of that line.
    /// Input:  if a { .. } else if b { .. }
    /// Output: if a { .. } else { mark(k); if b { .. } }
    fn if_expr(&mut self, if_expr: &mut ExprIf) {
        let if_line = line(if_expr.if_token.span);
        self.visit_expr_mut(&mut if_expr.cond);
        self.instrument_block(&mut if_expr.then_branch, if_line);
        let Some((else_token, else_branch)) = &mut if_expr.else_branch else {
            return;
        };
        let else_line = line(else_token.span);
        match &mut **else_branch {
            Expr::If(inner) => {
                let inner_line = line(inner.if_token.span);
                let saved = std::mem::replace(&mut self.line, inner_line);
                self.if_expr(inner);
                self.line = saved;
                if inner_line != if_line {
                    // The `if` now stands alone in a block, no longer an `else if`: clippy
                    // would lint it as such (`option_if_let_else`, with a suggestion that
                    // moves the mark). Its keyword keeps its place but belongs to the expansion.
                    inner.if_token.span = Span::call_site().located_at(inner.if_token.span);
                    let slot = self.slot(inner_line);
                    let inner =
                        std::mem::replace(&mut **else_branch, Expr::Verbatim(TokenStream::new()));
                    **else_branch = emit::marked(slot, inner);
                }
            }
            Expr::Block(block) => self.instrument_block(&mut block.block, else_line),
            other => self.visit_expr_mut(other),
        }
    }

    /// A match arm on its own line is a hit of that line.
    /// Input:  match x { p => expr, q => { a; b } }
    /// Output: match x { p => { mark(i); expr }, q => { mark(j); a; mark(k); b } }
    fn match_expr(&mut self, match_expr: &mut ExprMatch) {
        let match_line = line(match_expr.match_token.span);
        self.visit_expr_mut(&mut match_expr.expr);
        for arm in &mut match_expr.arms {
            if let Some((_, guard)) = &mut arm.guard {
                self.visit_expr_mut(guard);
            }
            let body_line = line(arm.body.span());
            let saved = std::mem::replace(&mut self.line, body_line);
            match &mut *arm.body {
                Expr::Block(block) if block.label.is_none() && block.attrs.is_empty() => {
                    self.instrument_block(&mut block.block, match_line);
                }
                body => {
                    self.visit_expr_mut(body);
                    if body_line != match_line {
                        let slot = self.slot(body_line);
                        let body = std::mem::replace(body, Expr::Verbatim(TokenStream::new()));
                        *arm.body = emit::marked(slot, body);
                    }
                }
            }
            self.line = saved;
        }
    }
}

impl VisitMut for Instrumenter {
    fn visit_block_mut(&mut self, block: &mut Block) {
        let enclosing = self.line;
        self.instrument_block(block, enclosing);
    }

    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        match expr {
            // A closure's body counts as part of the line that runs it; async and const blocks
            // run elsewhere or at compile time.
            Expr::Closure(_) | Expr::Async(_) | Expr::Const(_) => {}
            Expr::Repeat(repeat) => self.visit_expr_mut(&mut repeat.expr),
            Expr::ForLoop(for_loop) => self.for_loop(for_loop),
            Expr::While(while_loop) => *expr = self.while_loop(while_loop),
            Expr::If(if_expr) => self.if_expr(if_expr),
            Expr::Match(match_expr) => self.match_expr(match_expr),
            _ => visit_mut::visit_expr_mut(self, expr),
        }
    }

    // Nested items are other functions; types, patterns and generic arguments are compile-time.
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
    fn visit_type_mut(&mut self, _: &mut syn::Type) {}
    fn visit_pat_mut(&mut self, _: &mut syn::Pat) {}
    fn visit_generic_argument_mut(&mut self, _: &mut syn::GenericArgument) {}
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    #[test]
    fn with_the_feature_off_the_item_is_returned_token_for_token() {
        let item = quote! {
            fn work(n: u64) -> u64 {
                let mut total = 0;
                for i in 0..n { total += i; }
                total
            }
        };
        let expanded = attribute(Attribute::Profile, TokenStream::new(), item.clone());
        if cfg!(feature = "enable") {
            assert_ne!(expanded.to_string(), item.to_string());
            assert!(expanded.to_string().contains("MarkIter"));
        } else {
            assert_eq!(expanded.to_string(), item.to_string());
        }
    }

    #[test]
    fn a_misuse_is_one_error_and_the_untouched_item() {
        let item = quote! { struct Point { x: f64 } };
        let expanded = attribute(Attribute::Profile, TokenStream::new(), item.clone()).to_string();
        assert_eq!(expanded.matches("compile_error").count(), 1);
        assert!(expanded.ends_with(&item.to_string()));
    }
}
