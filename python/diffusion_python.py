"""Chapter 6, 2-D diffusion in pure Python: the naive program hiperf's `ch06/diffusion/naive`
ports, transcribed from the model (not the book's file).

Explicit Euler steps of the heat equation on an N x N grid of lists of lists, periodic
boundaries by `%`, D = 1 and dt = 0.1, a new grid every step. The grid starts at zero except
the square [int(0.4N):int(0.5N)]^2 = 0.005; every step conserves its mass. The update is the
book's pure-Python order ("order C" in WORKLOADS.md):
`xx = (down + up) - 2c`, `yy = (right + left) - 2c`, `new = c + D*(xx + yy)*dt`.
Only the steps are timed.

usage: diffusion_python.py N STEPS [--repeat R]
"""

import math
import sys

from timing import fail, parse_repeat, report, timed, usage

D = 1.0
DT = 0.1
INITIAL = 0.005

# At the book's size (640 x 640, 500 steps) the order-C grid has these values bit for bit
# (reference values of a faithful transcription, WORKLOADS.md).
BOOK = {(640, 500): {"max": 0.004985955676727785, "g[300][300]": 0.004747633359865575}}


def block(n):
    """The initial square's range along an axis."""
    return range(int(n * 0.4), int(n * 0.5))


def initial_grid(n):
    grid = [[0.0] * n for _ in range(n)]
    for i in block(n):
        for j in block(n):
            grid[i][j] = INITIAL
    return grid


def evolve(grid, dt):
    """One step into a new grid."""
    rows, cols = len(grid), len(grid[0])
    new_grid = [[0.0] * cols for _ in range(rows)]
    for i in range(rows):
        for j in range(cols):
            center = grid[i][j]
            xx = grid[(i + 1) % rows][j] + grid[(i - 1) % rows][j] - 2.0 * center
            yy = grid[i][(j + 1) % cols] + grid[i][(j - 1) % cols] - 2.0 * center
            new_grid[i][j] = center + D * (xx + yy) * dt
    return new_grid


def run(grid, steps):
    for _ in range(steps):
        grid = evolve(grid, DT)
    return grid


def main(argv):
    repeat = parse_repeat(argv)
    if len(argv) != 3:
        usage("diffusion_python.py N STEPS [--repeat R]")
    n, steps = int(argv[1]), int(argv[2])
    grid, runs = timed(repeat, run, lambda: (initial_grid(n), steps))
    mass = INITIAL * len(block(n)) ** 2
    total = math.fsum(value for row in grid for value in row)
    if abs(total - mass) >= 1e-12:
        fail(f"mass: fsum {total!r}, expected {mass!r} within 1e-12")
    largest = max(max(row) for row in grid)
    expected = BOOK.get((n, steps))
    if expected is not None:
        if largest != expected["max"]:
            fail(f"max {largest!r}, expected {expected['max']!r}")
        if grid[300][300] != expected["g[300][300]"]:
            fail(f"g[300][300] {grid[300][300]!r}, expected {expected['g[300][300]']!r}")
    report(runs, f"fsum {total!r}, max {largest!r}")


if __name__ == "__main__":
    main(sys.argv)
