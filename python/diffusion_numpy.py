"""Chapter 6, 2-D diffusion with numpy in place: the program hiperf's
`ch06/diffusion-numpy/roll-inplace` ports, transcribed from the model (not the book's file).

The same model as diffusion_python.py (periodic, D = 1, dt = 0.1, the square
[int(0.4N):int(0.5N)]^2 = 0.005) on two preallocated arrays swapped each step. The update is
the book's "numpy + memory" sequence ("order A" in WORKLOADS.md): copy the grid into `out`,
`out *= -4`, add the four `np.roll`ed neighbours (up, down, left, right), `out *= D*dt`,
`out += grid`. Only the steps are timed.

usage: diffusion_numpy.py N STEPS [--repeat R]
"""

import math
import sys

import numpy as np

from timing import fail, parse_repeat, report, timed, usage

D = 1.0
DT = 0.1
INITIAL = 0.005

# At the book's size the order-A grid has these values bit for bit (WORKLOADS.md).
BOOK = {(640, 500): {"max": 0.004985955676727785, "g[300][300]": 0.004747633359865574}}


def block(n):
    return slice(int(n * 0.4), int(n * 0.5))


def initial_grid(n):
    grid = np.zeros((n, n))
    grid[block(n), block(n)] = INITIAL
    return grid


def laplacian(grid, out):
    np.copyto(out, grid)
    out *= -4
    out += np.roll(grid, +1, 0)
    out += np.roll(grid, -1, 0)
    out += np.roll(grid, +1, 1)
    out += np.roll(grid, -1, 1)


def evolve(grid, dt, out):
    laplacian(grid, out)
    out *= D * dt
    out += grid


def run(grid, steps):
    scratch = np.zeros(grid.shape)
    for _ in range(steps):
        evolve(grid, DT, scratch)
        grid, scratch = scratch, grid
    return grid


def main(argv):
    repeat = parse_repeat(argv)
    if len(argv) != 3:
        usage("diffusion_numpy.py N STEPS [--repeat R]")
    n, steps = int(argv[1]), int(argv[2])
    # run() overwrites its input grid (the buffers swap), so every call gets a fresh one.
    grid, runs = timed(repeat, run, lambda: (initial_grid(n), steps))
    side = int(n * 0.5) - int(n * 0.4)
    mass = INITIAL * side * side
    total = math.fsum(grid.ravel().tolist())
    if abs(total - mass) >= 1e-12:
        fail(f"mass: fsum {total!r}, expected {mass!r} within 1e-12")
    largest = float(grid.max())
    expected = BOOK.get((n, steps))
    if expected is not None:
        if largest != expected["max"]:
            fail(f"max {largest!r}, expected {expected['max']!r}")
        if float(grid[300, 300]) != expected["g[300][300]"]:
            fail(f"g[300][300] {float(grid[300, 300])!r}, expected {expected['g[300][300]']!r}")
    report(runs, f"fsum {total!r}, max {largest!r}")


if __name__ == "__main__":
    main(sys.argv)
