/*
 * The fixed-boundary diffusion step of High Performance Python, chapter 7 (diffusion.c), on a
 * 512 x 512 row-major grid of doubles: the interior cells (rows and columns 1 to 510) get
 * in + D * dt * laplacian; the boundary of `out` is never written.
 *
 * The expression keeps the book's order, left to right, and build.rs compiles this file with
 * -ffp-contract=off, so the compiler cannot fuse a multiply and an add into an FMA: the Rust
 * port (src/ch07_compiling/diffusion.rs) gives the same bits.
 */

#define N 512

void evolve(const double *in, double *out, double D, double dt) {
    for (int i = 1; i < N - 1; i++) {
        for (int j = 1; j < N - 1; j++) {
            double laplacian = in[(i + 1) * N + j] + in[(i - 1) * N + j] + in[i * N + j + 1]
                + in[i * N + j - 1] - 4 * in[i * N + j];
            out[i * N + j] = in[i * N + j] + D * dt * laplacian;
        }
    }
}
