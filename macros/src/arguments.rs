//! `#[memit]`'s owned arguments, moved into the instrumented body so that they drop inside
//! the function's frame.

use syn::{Block, Expr, Stmt};

use crate::emit;

/// Input:  fn f(mut a: Vec<u8>, (b, c): (Vec<u8>, Vec<u8>), d: &[u8]) { body }
/// Output: fn f(a: Vec<u8>, (b, c): (Vec<u8>, Vec<u8>), d: &[u8]) {
///             prologue; let mut a = a; let b = b; let c = c; body }
/// Arguments drop after the body's frame, so the memory they free would be charged to the
/// caller's line; moved into locals declared after the frame, they drop inside it, charged
/// to the function's last line as a `drop(a)` there would be. Not rebound: `self`,
/// references (they free nothing), `ref` bindings, `_`, and arguments with attributes; and
/// none when the body's tail may hold a temporary (see [`holds_no_temporary`]).
pub fn rebind_owned(sig: &mut syn::Signature, body: &Block) -> Vec<Stmt> {
    let tail_holds_no_temporary = match body.stmts.last() {
        Some(Stmt::Expr(tail, None)) => holds_no_temporary(tail),
        _ => true,
    };
    if !tail_holds_no_temporary {
        return Vec::new();
    }
    let mut bindings = Vec::new();
    for argument in &mut sig.inputs {
        let syn::FnArg::Typed(typed) = argument else {
            continue;
        };
        if !typed.attrs.is_empty() || matches!(&*typed.ty, syn::Type::Reference(_)) {
            continue;
        }
        collect_bindings(&mut typed.pat, &mut bindings);
    }
    bindings
        .into_iter()
        .map(|(ident, mutability)| emit::rebinding(&ident, mutability))
        .collect()
}

/// Whether evaluating `expr` as the body's tail creates no temporary that could outlive a
/// local: in edition 2021 the tail's temporaries drop after the body's locals, so a
/// temporary borrowing a rebound argument (`cell.borrow().len()`) would not compile. A method
/// call counts only on a place (`values.len()`), a comparison only between places; calls,
/// blocks, macros and the rest may hold one, and then arguments are left where they are.
fn holds_no_temporary(expr: &Expr) -> bool {
    match expr {
        Expr::Lit(_) | Expr::Path(_) => true,
        Expr::Field(field) => holds_no_temporary(&field.base),
        Expr::Index(index) => holds_no_temporary(&index.expr) && holds_no_temporary(&index.index),
        Expr::Paren(paren) => holds_no_temporary(&paren.expr),
        Expr::Group(group) => holds_no_temporary(&group.expr),
        Expr::Reference(reference) => is_place(&reference.expr),
        Expr::Cast(cast) => holds_no_temporary(&cast.expr),
        Expr::Unary(unary) => holds_no_temporary(&unary.expr),
        Expr::Tuple(tuple) => tuple.elems.iter().all(holds_no_temporary),
        Expr::Array(array) => array.elems.iter().all(holds_no_temporary),
        Expr::Struct(structure) => {
            structure
                .fields
                .iter()
                .all(|field| holds_no_temporary(&field.expr))
                && structure.rest.as_deref().is_none_or(holds_no_temporary)
        }
        Expr::Binary(binary) => {
            use syn::BinOp::{Eq, Ge, Gt, Le, Lt, Ne};
            // Comparisons take their operands by reference.
            let by_reference = matches!(binary.op, Eq(_) | Ne(_) | Lt(_) | Le(_) | Gt(_) | Ge(_));
            if by_reference {
                is_place_or_literal(&binary.left) && is_place_or_literal(&binary.right)
            } else {
                holds_no_temporary(&binary.left) && holds_no_temporary(&binary.right)
            }
        }
        Expr::MethodCall(call) => {
            is_place(&call.receiver) && call.args.iter().all(holds_no_temporary)
        }
        Expr::Call(call) => {
            matches!(&*call.func, Expr::Path(_)) && call.args.iter().all(holds_no_temporary)
        }
        _ => false,
    }
}

/// A place expression: a path, or a field, index or dereference of a place.
fn is_place(expr: &Expr) -> bool {
    match expr {
        Expr::Path(_) => true,
        Expr::Field(field) => is_place(&field.base),
        Expr::Index(index) => is_place(&index.expr) && holds_no_temporary(&index.index),
        Expr::Paren(paren) => is_place(&paren.expr),
        Expr::Group(group) => is_place(&group.expr),
        Expr::Unary(unary) => matches!(unary.op, syn::UnOp::Deref(_)) && is_place(&unary.expr),
        _ => false,
    }
}

fn is_place_or_literal(expr: &Expr) -> bool {
    matches!(expr, Expr::Lit(_)) || is_place(expr)
}

/// Every by-value identifier bound by `pattern`, its `mut` moved out to the rebinding.
fn collect_bindings(pattern: &mut syn::Pat, bindings: &mut Vec<(syn::Ident, bool)>) {
    match pattern {
        syn::Pat::Ident(binding) if binding.by_ref.is_none() && binding.subpat.is_none() => {
            if binding.ident == "self" {
                return;
            }
            let mutable = binding.mutability.take().is_some();
            bindings.push((binding.ident.clone(), mutable));
        }
        syn::Pat::Tuple(tuple) => {
            for element in &mut tuple.elems {
                collect_bindings(element, bindings);
            }
        }
        syn::Pat::TupleStruct(tuple) => {
            for element in &mut tuple.elems {
                collect_bindings(element, bindings);
            }
        }
        syn::Pat::Struct(structure) => {
            for field in &mut structure.fields {
                collect_bindings(&mut field.pat, bindings);
            }
        }
        syn::Pat::Slice(slice) => {
            for element in &mut slice.elems {
                collect_bindings(element, bindings);
            }
        }
        syn::Pat::Paren(paren) => collect_bindings(&mut paren.pat, bindings),
        _ => {}
    }
}
