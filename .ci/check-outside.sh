#!/usr/bin/env bash
# The crates outside the workspace (tests/outside) use hiperf as its users do. This proves, with
# profiling off and on (issue 13):
#   - off, an annotated crate compiles hiperf's two crates and nothing else (`cargo tree`);
#   - clippy (default, pedantic, nursery; `#![deny(warnings)]`) is clean both ways;
#   - every test passes both ways, with identical results (same tests, same outcomes);
#   - on, `cargo test` prints one report per test binary that ran annotated code, without any
#     edit to the tests; off, none.
#
# usage: .ci/check-outside.sh
set -euo pipefail
cd "$(dirname "$0")/../tests/outside"

features="outside-annotated/profile,outside-downstream/profile,outside-lints/profile"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== outside: the feature-off dependency graph of an annotated crate"
cargo tree --locked -p outside-annotated -e normal,build --prefix none \
  | sed 's/ (.*//; s/ v[0-9].*//' | sort -u > "$work/tree-off"
printf '%s\n' hiperf hiperf-macros outside-annotated > "$work/tree-expected"
if ! diff -u "$work/tree-expected" "$work/tree-off"; then
  echo "outside: the feature-off build compiles more than hiperf's own crates (above)"
  exit 1
fi

echo "== outside: the feature-off facade uses nothing newer than its rust-version"
(cd ../.. && cargo clippy --locked -p hiperf -p hiperf-macros --lib -- -D clippy::incompatible_msrv -D warnings)

for mode in off on; do
  flags=()
  if [ "$mode" = on ]; then flags=(--features "$features"); fi
  echo "== outside: cargo clippy (profiling $mode)"
  cargo clippy --locked --workspace --all-targets "${flags[@]}" -- -D warnings
  echo "== outside: cargo test (profiling $mode)"
  status=0
  cargo test --locked --workspace --no-fail-fast "${flags[@]}" > "$work/test-$mode" 2>&1 || status=$?
  cat "$work/test-$mode"
  if [ "$status" -ne 0 ]; then
    echo "outside: the tests failed with profiling $mode (above)"
    exit 1
  fi
  # Each test binary's section (numbered: two packages have a tests/behaviour.rs): its tests'
  # outcomes, and the reports it printed.
  awk '
    /^ *(Running|Doc-tests) / { sections++; section = sections " " $2 }
    /^test .* \.\.\. / { print section ": " $0 }
    /^Timer unit:/ { reports[section]++ }
    END { for (s in reports) print "REPORTS " s " " reports[s] }
  ' "$work/test-$mode" | sort > "$work/summary-$mode"
  grep -v '^REPORTS ' "$work/summary-$mode" > "$work/results-$mode"
done

echo "== outside: the same tests with the same outcomes off and on"
if ! diff -u "$work/results-off" "$work/results-on"; then
  echo "outside: the test results differ between profiling off and on (above)"
  exit 1
fi

echo "== outside: one report per test binary that ran annotated code, on only"
if grep -q '^REPORTS ' "$work/summary-off"; then
  grep '^REPORTS ' "$work/summary-off"
  echo "outside: a report was printed with profiling off"
  exit 1
fi
grep '^REPORTS ' "$work/summary-on" || true
for binary in tests/behaviour.rs tests/outer_attribute.rs; do
  count="$(grep -cE "^REPORTS [0-9]+ $binary " "$work/summary-on" || true)"
  if [ "$count" -eq 0 ]; then
    echo "outside: no report from the test binary $binary with profiling on"
    exit 1
  fi
done
if grep '^REPORTS ' "$work/summary-on" | awk '$4 != 1 { bad = 1 } END { exit !bad }'; then
  echo "outside: a test binary printed its report more than once"
  exit 1
fi
echo "outside: ok"
