#!/usr/bin/env bash
# Opens the pprof profile of `cargo xtask report` in a real client, `go tool pprof -top -lines`,
# and checks that its top lines by hits, and their hit counts, are the ones the text report
# (report.txt) shows in its line tables.
#
# usage: .ci/check-pprof.sh [DIR] [N]
#   DIR: a report folder holding profile.pb.gz and report.txt. Without it the script runs
#   `cargo xtask report --quick` first and checks target/hiperf. N: how many top lines to
#   compare (default 15). Installs Debian's golang-go when `go` is missing (needs root and
#   the Debian mirrors); `go tool pprof` itself reads the local file and needs no network.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v go >/dev/null 2>&1; then
  echo "check-pprof: installing Debian's golang-go..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go >/dev/null
fi

report_status=0
if [ $# -ge 1 ]; then
  dir=$(realpath "$1")
else
  dir=$PWD/target/hiperf
  rm -f "$dir/profile.pb.gz" "$dir/report.txt"
  echo "check-pprof: cargo xtask report --quick..."
  # A failed workload check still writes the reports: check them anyway, and fail at the end.
  cargo xtask report --quick >/dev/null || report_status=$?
fi
top_count=${2:-15}
pprof=$dir/profile.pb.gz
text=$dir/report.txt
for file in "$pprof" "$text"; do
  if [ ! -f "$file" ]; then
    echo "check-pprof: no $file; run \`cargo xtask report --quick\` first" >&2
    exit 1
  fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Offline and self-contained: no toolchain download, no module lookups, caches in $work.
export HOME=$work GOPATH=$work/go GOCACHE=$work/cache GOTOOLCHAIN=local GOFLAGS= \
  GOPROXY=off GOTELEMETRY=off PPROF_TMPDIR=$work/pprof

# pprof's rows: flat flat% sum% cum cum% NAME FILE:LINE; the lines that ran, by hits.
go tool pprof -top -lines -sample_index=hits -nodefraction=0 -edgefraction=0 "$pprof" \
  >"$work/top.txt" 2>"$work/pprof.err" || {
  echo "check-pprof: go tool pprof could not read $pprof:" >&2
  cat "$work/pprof.err" >&2
  exit 1
}
awk '
  seen && $1 ~ /^[0-9]+$/ && $1 > 0 { print $NF, $1 }
  $1 == "flat" && $2 == "flat%" { seen = 1 }
' "$work/top.txt" | sed -n "1,${top_count}p" >"$work/pprof-top.txt"

# The text report's time tables: after "File: F", a row "LINE HITS TIME PER_HIT %TIME ...".
# Memory tables (after "Line #  Mem usage") are skipped.
awk '
  /^File: / { file = substr($0, 7) }
  /^Line #/ { timed = ($3 == "Hits") }
  timed && $1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ && $3 ~ /^[0-9.]+$/ && $4 ~ /^[0-9.]+$/ \
    && $5 ~ /^[0-9.]+$/ && $2 > 0 { print file ":" $1, $2 }
' "$text" | sort -k2,2nr -k1,1 >"$work/text-lines.txt"

if [ ! -s "$work/pprof-top.txt" ]; then
  echo "check-pprof: pprof shows no line with hits:" >&2
  cat "$work/top.txt" >&2
  exit 1
fi
failed=0
while read -r place hits; do
  expected=$(awk -v place="$place" '$1 == place { print $2; exit }' "$work/text-lines.txt")
  if [ "$expected" != "$hits" ]; then
    echo "check-pprof: $place has $hits hits in pprof, ${expected:-no row} in report.txt" >&2
    failed=1
  fi
done <"$work/pprof-top.txt"
# The same hit counts at the top: pprof's top N are the report's N most-hit lines (ties may
# list in another order).
top_rows=$(wc -l <"$work/pprof-top.txt")
if ! diff <(awk '{ print $2 }' "$work/pprof-top.txt" | sort -n) \
  <(head -n "$top_rows" "$work/text-lines.txt" | awk '{ print $2 }' | sort -n) >/dev/null; then
  echo "check-pprof: pprof's top $top_rows hit counts differ from report.txt's:" >&2
  paste "$work/pprof-top.txt" <(head -n "$top_rows" "$work/text-lines.txt") >&2
  failed=1
fi
if [ "$failed" -ne 0 ]; then
  exit 1
fi
echo "check-pprof: go tool pprof's top $top_rows lines by hits match report.txt:"
sed -n '/flat%/,$p' "$work/top.txt" | sed -n "1,$((top_rows + 1))p"
if [ "$report_status" -ne 0 ]; then
  echo "check-pprof: \`cargo xtask report --quick\` exited with $report_status (see above)" >&2
  exit "$report_status"
fi
