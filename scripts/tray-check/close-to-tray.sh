#!/usr/bin/env bash
# Manual check: with a window manager (openbox) and a tray host (watcher.py),
# closing the signed-in window hides it and the tray menu's "Open" brings it back.
# Needs openbox wmctrl xdotool python3-dbus python3-gi, a running dev server with demo users.
# Usage: dbus-run-session -- bash scripts/tray-check/close-to-tray.sh BINARY SERVER_URL [SHOT.png]
bin="${1:?binary}" url="${2:?server url}"
dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export DISPLAY=:98 LANG=en_US.UTF-8 HOME=$(mktemp -d)

Xvfb :98 -screen 0 1024x768x24 >/dev/null 2>&1 &
xp=$!
sleep 1
openbox >/dev/null 2>&1 &
/usr/bin/python3 "$dir/watcher.py" 30 > "$HOME/watcher.log" 2>&1 &
sleep 1
"$bin" -server "$url" > "$HOME/app.log" 2>&1 &
ap=$!
sleep 3
wid=$(xdotool search --onlyvisible --name 'Directus Chat' | head -1)
xdotool windowactivate --sync $wid
xdotool type 'ada@example.com'; xdotool key Tab; xdotool type 'chat-demo'; xdotool key Return
sleep 4
echo "before close: $(wmctrl -l | grep -c 'Directus Chat') window(s) listed"
wmctrl -c 'Directus Chat'
sleep 2
echo "after close: $(wmctrl -l | grep -c 'Directus Chat') window(s) listed; app alive: $(kill -0 $ap 2>/dev/null && echo yes || echo no)"
# Click "Open Directus Chat" in the tray menu (dbusmenu item 1 is the first entry).
sender=$(grep registered "$HOME/watcher.log" | awk '{print $2}')
ids=$(dbus-send --session --print-reply --dest=$sender /StatusNotifierMenu com.canonical.dbusmenu.GetLayout int32:0 int32:1 array:string: | grep -o 'int32 [0-9]*' | awk '{print $2}' | sed -n 3p)
dbus-send --session --print-reply --dest=$sender /StatusNotifierMenu com.canonical.dbusmenu.Event int32:$ids string:clicked variant:string:'' uint32:0 >/dev/null
sleep 2
echo "after tray Open (item $ids): $(wmctrl -l | grep -c 'Directus Chat') window(s) listed"
import -window root "${3:-/tmp/reopened.png}"
kill $ap; sleep 1; kill $xp
