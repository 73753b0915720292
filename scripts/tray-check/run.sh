#!/usr/bin/env bash
# Manual check of the tray over D-Bus, where no panel can show it (Xvfb):
# a minimal StatusNotifierWatcher (watcher.py, python3-dbus + python3-gi)
# records the app's StatusNotifierItem and prints its icon size and menu.
# Usage (from the repo root, with a display):
#   go build -tags no_animations -o /tmp/directus-chat . && dbus-run-session -- bash scripts/tray-check/run.sh /tmp/directus-chat
set -euo pipefail
bin="${1:?path to the built app}"
dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export HOME="$(mktemp -d)" LANG=en_US.UTF-8
/usr/bin/python3 "$dir/watcher.py" 8 &  # Debian's python3-dbus and python3-gi
watcher=$!
sleep 1
"$bin" >"$HOME/app.log" 2>&1 &
app=$!
wait "$watcher"
kill "$app"
