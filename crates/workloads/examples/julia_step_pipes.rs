//! Times the Julia step alone, without loads, counts or escapes, in the register layouts the
//! SIMD kernels could use: the evidence for which kernel `InstructionSet::detected` picks on
//! each processor kind (see the module docs of `ch07_compiling::simd`).
//!
//! ```text
//! cargo build --release -p hiperf-workloads --example julia_step_pipes
//! taskset -c 1 target/release/examples/julia_step_pipes
//! ```
//!
//! Each loop runs 200,000 steps of its rows (about 1 ms), best of 500 calls, so that some calls
//! run whole between the other jobs of a busy machine; the first line times a chain of
//! dependent `vaddpd` (3 cycles each on AMD's Zen 3 and 4 and on Intel's cores since Skylake)
//! to turn nanoseconds into cycles. A row is 8 lanes of `zmm` or 4 of `ymm`; a step of 24 lanes
//! costs 12 cycles on two 256-bit multiply and two 256-bit add pipes, if nothing else binds.

#[cfg(target_arch = "x86_64")]
fn main() {
    steps::run();
}

#[cfg(not(target_arch = "x86_64"))]
fn main() {
    eprintln!("julia_step_pipes times x86-64 instructions; this is not an x86-64 machine");
}

#[cfg(target_arch = "x86_64")]
mod steps {
    use std::arch::asm;
    use std::time::Instant;

    /// Steps each loop runs per call.
    const STEPS: u64 = 200_000;

    /// One row's step on `zmm`. The test writes a mask register: a compare (`fma`, as the
    /// AVX-512 kernel's, or `adds`, which doubles `re·im` with two adds instead of the FMA), or
    /// the sign of `(re² + im²) - 4` (`sign`, with `vpmovq2m`).
    macro_rules! zmm_row {
        ($re:literal, $im:literal, $a:literal, $b:literal, $n:literal, fma) => {
            concat!(
                zmm_row!(@squares $re, $im, $a, $b, $n),
                "vcmppd k1, zmm", $n, ", zmm28, 0x11\n",
                zmm_row!(@update $re, $a),
                "vfmadd213pd zmm", $im, ", zmm31, zmm30\n"
            )
        };
        ($re:literal, $im:literal, $a:literal, $b:literal, $n:literal, adds) => {
            concat!(
                zmm_row!(@squares $re, $im, $a, $b, $n),
                "vcmppd k1, zmm", $n, ", zmm28, 0x11\n",
                zmm_row!(@update $re, $a),
                "vaddpd zmm", $im, ", zmm", $im, ", zmm", $im, "\n",
                "vaddpd zmm", $im, ", zmm", $im, ", zmm30\n"
            )
        };
        ($re:literal, $im:literal, $a:literal, $b:literal, $n:literal, sign) => {
            concat!(
                zmm_row!(@squares $re, $im, $a, $b, $n),
                "vsubpd zmm", $n, ", zmm", $n, ", zmm28\n",
                "vpmovq2m k1, zmm", $n, "\n",
                zmm_row!(@update $re, $a),
                "vfmadd213pd zmm", $im, ", zmm31, zmm30\n"
            )
        };
        (@squares $re:literal, $im:literal, $a:literal, $b:literal, $n:literal) => {
            concat!(
                "vmulpd zmm", $a, ", zmm", $re, ", zmm", $re, "\n",
                "vmulpd zmm", $b, ", zmm", $im, ", zmm", $im, "\n",
                "vmulpd zmm", $im, ", zmm", $re, ", zmm", $im, "\n",
                "vaddpd zmm", $n, ", zmm", $a, ", zmm", $b, "\n",
                "vsubpd zmm", $a, ", zmm", $a, ", zmm", $b, "\n",
            )
        };
        (@update $re:literal, $a:literal) => {
            concat!("vaddpd zmm", $re, ", zmm", $a, ", zmm29\n")
        };
    }

    /// One row's step on `ymm`: the compare writes a vector (`vector`), as the AVX2 kernel's,
    /// or a mask register (`mask`, AVX-512VL).
    macro_rules! ymm_row {
        ($re:literal, $im:literal, $compare:literal) => {
            concat!(
                "vmulpd ymm12, ymm",
                $re,
                ", ymm",
                $re,
                "\n",
                "vmulpd ymm13, ymm",
                $im,
                ", ymm",
                $im,
                "\n",
                "vmulpd ymm",
                $im,
                ", ymm",
                $re,
                ", ymm",
                $im,
                "\n",
                "vaddpd ymm14, ymm12, ymm13\n",
                "vsubpd ymm12, ymm12, ymm13\n",
                $compare,
                "\n",
                "vaddpd ymm",
                $re,
                ", ymm12, ymm15\n",
                "vfmadd213pd ymm",
                $im,
                ", ymm15, ymm15\n",
            )
        };
    }

    /// A loop of `STEPS` steps of `$rows`, its registers zeroed first (zeros never overflow).
    macro_rules! step_loop {
        ($features:literal, $name:ident, $($row:expr),+) => {
            #[target_feature(enable = $features)]
            fn $name() {
                // SAFETY: the caller checked the target features; the loop touches only the
                // registers it declares.
                unsafe {
                    asm!(
                        "vpxord zmm0, zmm0, zmm0",
                        ".irp r, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,28,29,30,31",
                        "vmovapd zmm\\r, zmm0",
                        ".endr",
                        "2:",
                        $($row,)+
                        "dec {steps}",
                        "jnz 2b",
                        steps = inout(reg) STEPS => _,
                        out("zmm0") _, out("zmm1") _, out("zmm2") _, out("zmm3") _,
                        out("zmm4") _, out("zmm5") _, out("zmm6") _, out("zmm7") _,
                        out("zmm8") _, out("zmm9") _, out("zmm10") _, out("zmm11") _,
                        out("zmm12") _, out("zmm13") _, out("zmm14") _, out("zmm15") _,
                        out("zmm16") _, out("zmm17") _, out("zmm18") _, out("zmm19") _,
                        out("zmm20") _, out("zmm21") _, out("zmm22") _, out("zmm23") _,
                        out("zmm28") _, out("zmm29") _, out("zmm30") _, out("zmm31") _,
                        out("k1") _,
                        options(nostack),
                    );
                }
            }
        };
    }

    step_loop!(
        "avx2,fma",
        ymm_6_rows_vector_compare,
        ymm_row!(0, 1, "vcmppd ymm14, ymm14, ymm15, 0x11"),
        ymm_row!(2, 3, "vcmppd ymm14, ymm14, ymm15, 0x11"),
        ymm_row!(4, 5, "vcmppd ymm14, ymm14, ymm15, 0x11"),
        ymm_row!(6, 7, "vcmppd ymm14, ymm14, ymm15, 0x11"),
        ymm_row!(8, 9, "vcmppd ymm14, ymm14, ymm15, 0x11"),
        ymm_row!(10, 11, "vcmppd ymm14, ymm14, ymm15, 0x11")
    );
    step_loop!(
        "avx512f,avx512vl",
        ymm_6_rows_mask_compare,
        ymm_row!(0, 1, "vcmppd k1, ymm14, ymm15, 0x11"),
        ymm_row!(2, 3, "vcmppd k1, ymm14, ymm15, 0x11"),
        ymm_row!(4, 5, "vcmppd k1, ymm14, ymm15, 0x11"),
        ymm_row!(6, 7, "vcmppd k1, ymm14, ymm15, 0x11"),
        ymm_row!(8, 9, "vcmppd k1, ymm14, ymm15, 0x11"),
        ymm_row!(10, 11, "vcmppd k1, ymm14, ymm15, 0x11")
    );
    step_loop!(
        "avx512f",
        zmm_3_rows_mask_compare,
        zmm_row!(0, 1, 12, 13, 14, fma),
        zmm_row!(2, 3, 15, 16, 17, fma),
        zmm_row!(4, 5, 18, 19, 20, fma)
    );
    step_loop!(
        "avx512f",
        zmm_3_rows_one_fma_two_adds,
        zmm_row!(0, 1, 12, 13, 14, fma),
        zmm_row!(2, 3, 15, 16, 17, adds),
        zmm_row!(4, 5, 18, 19, 20, adds)
    );
    step_loop!(
        "avx512f,avx512dq",
        zmm_3_rows_sign_into_mask,
        zmm_row!(0, 1, 12, 13, 14, sign),
        zmm_row!(2, 3, 15, 16, 17, sign),
        zmm_row!(4, 5, 18, 19, 20, sign)
    );
    step_loop!(
        "avx512f",
        zmm_4_rows_mask_compare,
        zmm_row!(0, 1, 12, 13, 14, fma),
        zmm_row!(2, 3, 15, 16, 17, fma),
        zmm_row!(4, 5, 18, 19, 20, fma),
        zmm_row!(6, 7, 21, 22, 23, fma)
    );

    /// A loop of the mask-register kind: its name, rows, lanes per row, and the loop.
    type MaskLoop = (&'static str, u32, u32, unsafe fn());

    /// `STEPS` steps of 8 dependent `vaddpd`: 24 cycles a step.
    #[target_feature(enable = "avx")]
    fn add_chain() {
        // SAFETY: the caller checked AVX; the loop touches only `xmm0` and its counter.
        unsafe {
            asm!(
                "vxorpd xmm0, xmm0, xmm0",
                "2:",
                ".rept 8",
                "vaddpd xmm0, xmm0, xmm0",
                ".endr",
                "dec {steps}",
                "jnz 2b",
                steps = inout(reg) STEPS => _,
                out("xmm0") _,
                options(nostack),
            );
        }
    }

    /// Calls of each loop.
    const CALLS: usize = 500;

    /// The best of [`CALLS`] calls of `step`, in nanoseconds per step.
    fn best(step: impl Fn()) -> f64 {
        (0..CALLS)
            .map(|_| {
                let start = Instant::now();
                step();
                start.elapsed().as_secs_f64() * 1e9 / STEPS as f64
            })
            .fold(f64::INFINITY, f64::min)
    }

    pub(super) fn run() {
        if !is_x86_feature_detected!("avx2") || !is_x86_feature_detected!("fma") {
            eprintln!("julia_step_pipes needs AVX2 and FMA");
            return;
        }
        // SAFETY (every call below): the features of each function were detected first.
        let chain = best(|| unsafe { add_chain() });
        let ghz = 24.0 / chain;
        println!("8 dependent vaddpd: {chain:.3} ns, so {ghz:.2} GHz at 3 cycles each");
        let report = |name: &str, rows: u32, lanes: u32, nanoseconds: f64| {
            println!(
                "{name:<44} {nanoseconds:6.3} ns  {:5.1} cycles a step of {} lanes, {:.2} a row",
                nanoseconds * ghz,
                rows * lanes,
                nanoseconds * ghz / f64::from(rows),
            );
        };
        let ymm = best(|| unsafe { ymm_6_rows_vector_compare() });
        report("6 ymm rows, compare into a vector (AVX2)", 6, 4, ymm);
        if !is_x86_feature_detected!("avx512f")
            || !is_x86_feature_detected!("avx512vl")
            || !is_x86_feature_detected!("avx512dq")
        {
            println!("no AVX-512F, VL and DQ on this CPU: the mask-register loops did not run");
            return;
        }
        let loops: [MaskLoop; 5] = [
            (
                "6 ymm rows, compare into a mask",
                6,
                4,
                ymm_6_rows_mask_compare,
            ),
            (
                "3 zmm rows, compare into a mask (AVX-512)",
                3,
                8,
                zmm_3_rows_mask_compare,
            ),
            (
                "3 zmm rows, 1 FMA row, 2 rows of two adds",
                3,
                8,
                zmm_3_rows_one_fma_two_adds,
            ),
            (
                "3 zmm rows, sign of n - 4 into a mask",
                3,
                8,
                zmm_3_rows_sign_into_mask,
            ),
            (
                "4 zmm rows, compare into a mask",
                4,
                8,
                zmm_4_rows_mask_compare,
            ),
        ];
        for (name, rows, lanes, step) in loops {
            report(name, rows, lanes, best(|| unsafe { step() }));
        }
    }
}
