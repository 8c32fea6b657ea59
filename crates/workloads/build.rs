//! Compiles the C kernels of chapter 7 and tells the code which SIMD paths the compiler has.

use std::env;
use std::process::Command;

fn main() {
    println!("cargo::rerun-if-changed=csrc/diffusion.c");
    cc::Build::new()
        .file("csrc/diffusion.c")
        .opt_level(3)
        .flag_if_supported("-std=gnu11")
        // Bit-exactness with the Rust kernel: GCC contracts `a * b + c` to an FMA by default
        // whenever the target has one.
        .flag_if_supported("-ffp-contract=off")
        .warnings(true)
        .compile("hiperf_diffusion");

    // The AVX-512 intrinsics are stable from Rust 1.89; the workspace supports 1.88.
    println!("cargo::rustc-check-cfg=cfg(hiperf_avx512)");
    if rustc_minor_version().is_some_and(|minor| minor >= 89) {
        println!("cargo::rustc-cfg=hiperf_avx512");
    }
}

/// The `y` of `rustc 1.y.z`, if `rustc --version` says it.
fn rustc_minor_version() -> Option<u32> {
    let rustc = env::var_os("RUSTC")?;
    let output = Command::new(rustc).arg("--version").output().ok()?;
    let version = String::from_utf8(output.stdout).ok()?;
    version
        .split_whitespace()
        .nth(1)?
        .split('.')
        .nth(1)?
        .parse()
        .ok()
}
