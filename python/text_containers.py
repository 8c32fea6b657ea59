"""Chapter 11, the word list in Python's containers: the naive programs hiperf's
`ch11/text-containers` ladder ports, transcribed from the algorithm (not the book's files).

CONTAINER is `list` (the tokens in a list, `in` scans it), `list_bisect` (the list sorted,
looked up with `bisect_left`), `set`, or `dict` (3e: `{word: index}`). The build from the
file's text is timed (`--repeat R` builds); then one more build runs under `tracemalloc`, whose
current traced size after the build, less the size before it, is the heap the container holds
(its word objects included, as the Rust containers' own strings are). 100,000 lookups of
"Zwiebel" are timed last (100 for the list, scaled by 1000: each one scans every word).

Checks: 354,984 tokens, 354,983 distinct, "and" present and "Zwiebel" absent.

usage: text_containers.py CONTAINER WORDS_FILE [--repeat R]
"""

import bisect
import json
import statistics
import sys
import time
import tracemalloc

from timing import fail, parse_repeat, timed, usage

TOKENS = 354_984
DISTINCT = 354_983
LOOKUPS = 100_000


def build_list(text):
    return [word for word in text.split()]


def build_list_bisect(text):
    words = [word for word in text.split()]
    words.sort()
    return words


def build_set(text):
    return set(text.split())


def build_dict(text):
    return {word: index for index, word in enumerate(text.split())}


def contains_bisect(words, word):
    index = bisect.bisect_left(words, word)
    return index != len(words) and words[index] == word


def contains(container, word):
    return word in container


CONTAINERS = {
    "list": (build_list, contains, TOKENS, LOOKUPS // 1000),
    "list_bisect": (build_list_bisect, contains_bisect, TOKENS, LOOKUPS),
    "set": (build_set, contains, DISTINCT, LOOKUPS),
    "dict": (build_dict, contains, DISTINCT, LOOKUPS),
}


def held_bytes(build, text):
    """The heap the container holds: tracemalloc's current size after the build, less before."""
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    container = build(text)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return container, after - before


def main(argv):
    repeat = parse_repeat(argv)
    if len(argv) != 3 or argv[1] not in CONTAINERS:
        usage("text_containers.py list|list_bisect|set|dict WORDS_FILE [--repeat R]")
    build, lookup, entries, lookups = CONTAINERS[argv[1]]
    with open(argv[2], encoding="ascii") as file:
        text = file.read()
    tokens = len(text.split())
    if tokens != TOKENS:
        fail(f"{tokens} tokens, expected {TOKENS}")
    _, runs = timed(repeat, build, lambda: (text,))
    container, held = held_bytes(build, text)
    if len(container) != entries:
        fail(f"{len(container)} entries, expected {entries}")
    if not lookup(container, "and"):
        fail('"and" is not in the container')
    if lookup(container, "Zwiebel"):
        fail('"Zwiebel" is in the container')
    start = time.perf_counter()
    for _ in range(lookups):
        lookup(container, "Zwiebel")
    lookup_seconds = (time.perf_counter() - start) * LOOKUPS / lookups
    line = {
        "seconds": statistics.median(runs),
        "runs": runs,
        "result": f'{len(container)} entries, "and" in, "Zwiebel" out',
        "bytes": held,
        "lookup_seconds": lookup_seconds,
    }
    sys.stdout.write(json.dumps(line) + "\n")


if __name__ == "__main__":
    main(sys.argv)
