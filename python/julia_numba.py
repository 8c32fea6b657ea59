"""Chapter 7, the Julia set under Numba: the loop of `julia_pure.py` compiled with `@njit`
(the `serial` mode, beside hiperf's `ch07/julia/expanded-math`), and with
`@njit(parallel=True)` and `prange` over the points (the `parallel` mode, beside
`ch07/julia/rayon-dynamic`), transcribed from the algorithm (not the book's file).

The grid is `julia_pure.py`'s, copied into complex128 arrays. The first call compiles and is
not timed; each timed call is a warm call, as the baselines in the project's notes were
measured. Numba's threads are its default: every core.

usage: julia_numba.py serial|parallel WIDTH ITERATIONS [--repeat R]
"""

import sys

import numba
import numpy as np

from julia_pure import EXPECTED_SUMS, build_grid
from timing import fail, parse_repeat, report, timed, usage


def calculate_z(maxiter, zs, cs):
    """Iterations each point survives, at most maxiter. `prange` is `range` when the function
    is compiled without `parallel=True`, so one body serves both modes."""
    output = np.zeros(len(zs), dtype=np.int32)
    for index in numba.prange(len(zs)):
        n = 0
        z = zs[index]
        c = cs[index]
        while n < maxiter and abs(z) < 2:
            z = z * z + c
            n += 1
        output[index] = n
    return output


calculate_z_serial = numba.njit(calculate_z)
calculate_z_parallel = numba.njit(parallel=True)(calculate_z)

KERNELS = {"serial": calculate_z_serial, "parallel": calculate_z_parallel}


def main(argv):
    repeat = parse_repeat(argv)
    if len(argv) != 4 or argv[1] not in KERNELS:
        usage("julia_numba.py serial|parallel WIDTH ITERATIONS [--repeat R]")
    kernel = KERNELS[argv[1]]
    width, iterations = int(argv[2]), int(argv[3])
    zs_list, cs_list = build_grid(width)
    if len(zs_list) != width * width:
        fail(f"the grid has {len(zs_list)} points, expected {width * width}")
    zs = np.array(zs_list, dtype=np.complex128)
    cs = np.array(cs_list, dtype=np.complex128)
    # The compiling call, untimed; its output is checked like the others.
    outputs = [kernel(iterations, zs, cs)]
    output, runs = timed(repeat, kernel, lambda: (iterations, zs, cs))
    outputs.append(output)
    expected = EXPECTED_SUMS.get((width, iterations))
    for output in outputs:
        total = int(output.sum(dtype=np.int64))
        if expected is not None and total != expected:
            fail(f"sum {total}, expected {expected}")
    checked = "" if expected is not None else " (no reference sum at this size)"
    report(
        runs,
        f"sum {total}, {len(output)} points, {numba.get_num_threads()} threads{checked}",
    )


if __name__ == "__main__":
    main(sys.argv)
