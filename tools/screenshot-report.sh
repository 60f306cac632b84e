#!/usr/bin/env bash
# Renders a report.html in headless Chromium, offline, and saves a screenshot.
#   tools/screenshot-report.sh artifacts/smoke/report.html [out.png]
# Needs Debian's chromium (apt-get install chromium); the page loads nothing from the network.
set -euo pipefail
html=$(realpath "${1:?usage: $0 report.html [out.png]}")
out=${2:-${html%.html}.png}
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$browser" ] || { echo "no chromium found: apt-get install chromium" >&2; exit 2; }
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$profile" --hide-scrollbars \
  --window-size=1200,2600 --screenshot="$out" "file://$html" >/dev/null 2>&1
[ -s "$out" ] || { echo "no screenshot written" >&2; exit 1; }
echo "$out"
