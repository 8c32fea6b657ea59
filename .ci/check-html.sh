#!/usr/bin/env bash
# Loads the HTML report in headless Chromium and fails if the page logs anything to the console
# (it has no script, so any message is an error: an SVG attribute Chromium rejects, a blocked
# resource, ...) or refers to anything outside itself; then saves a screenshot next to it.
#
# usage: .ci/check-html.sh [REPORT.html]
#   Without an argument it runs `cargo xtask report --quick` first and checks
#   target/hiperf/report.html. The screenshot goes to report.png beside the page.
#   Installs Debian's chromium when it is missing (needs root and the Debian mirrors).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  echo "check-html: installing Debian's chromium..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

report_status=0
if [ $# -ge 1 ]; then
  html=$(realpath "$1")
else
  echo "check-html: cargo xtask report --quick..."
  html=$PWD/target/hiperf/report.html
  rm -f "$html"
  # A failed workload check still writes the page: check it anyway, and fail at the end.
  cargo xtask report --quick >/dev/null || report_status=$?
  if [ "$report_status" -ne 0 ]; then
    echo "check-html: \`cargo xtask report --quick\` exited with $report_status (see above)" >&2
  fi
fi
if [ ! -f "$html" ]; then
  echo "check-html: no page at $html; run \`cargo xtask report --quick\` first" >&2
  exit 1
fi
screenshot=$(dirname "$html")/report.png
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One headless Chromium run with a fresh profile, no network and console messages on stderr.
chromium_run() {
  local profile
  profile=$(mktemp -d -p "$work")
  timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --host-resolver-rules="MAP * ~NOTFOUND" --user-data-dir="$profile" \
    --enable-logging=stderr --v=0 "$@"
}

# Console lines look like `[pid:tid:time:INFO:CONSOLE:1] "message", source: URL (1)` (older
# builds: `INFO:CONSOLE(1)]`).
console_messages() {
  grep -E ':CONSOLE[:(]' "$1" || true
}

# First make sure this Chromium still reports what we look for: a page with an invalid SVG
# length must produce a console message, or the check below would pass on anything.
cat >"$work/known-bad.html" <<'EOF'
<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>known bad</title></head>
<body><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="NaN" height="5"/></svg></body></html>
EOF
chromium_run --dump-dom "file://$work/known-bad.html" >/dev/null 2>"$work/known-bad.log"
if [ -z "$(console_messages "$work/known-bad.log")" ]; then
  echo "check-html: Chromium logged no console message for a page with a known SVG error;" >&2
  echo "its log format may have changed. Log:" >&2
  cat "$work/known-bad.log" >&2
  exit 1
fi

chromium_run --virtual-time-budget=2000 --dump-dom "file://$html" >"$work/dom.html" 2>"$work/page.log"
status=0
messages=$(console_messages "$work/page.log")
if [ -n "$messages" ]; then
  echo "check-html: the page logged to the console:" >&2
  echo "$messages" >&2
  status=1
fi
if ! grep -q '<h1>hiperf report</h1>' "$work/dom.html"; then
  echo "check-html: the rendered page has no 'hiperf report' heading" >&2
  status=1
fi
if [ "$(grep -c '<svg' "$work/dom.html" || true)" -eq 0 ] && grep -q 'class="ladder"' "$work/dom.html"; then
  echo "check-html: the page has ladders but no chart" >&2
  status=1
fi
external=$(grep -oE '(src|href|xlink:href|action)="[^"#][^"]*"|url\(|@import' "$work/dom.html" || true)
if [ -n "$external" ]; then
  echo "check-html: the page refers to something outside itself:" >&2
  echo "$external" | sort -u | head -20 >&2
  status=1
fi

chromium_run --hide-scrollbars --window-size=1400,3000 --screenshot="$screenshot" "file://$html" \
  >/dev/null 2>"$work/screenshot.log"
if [ ! -s "$screenshot" ]; then
  echo "check-html: no screenshot was written; Chromium said:" >&2
  cat "$work/screenshot.log" >&2
  status=1
fi

if [ "$status" -eq 0 ]; then
  echo "check-html: $html loads without console messages or external references; screenshot $screenshot"
fi
if [ "$report_status" -ne 0 ]; then
  exit "$report_status"
fi
exit "$status"
