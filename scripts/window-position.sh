#!/usr/bin/env bash
# Manual check: the window comes back where it was left. On Xvfb :97 with openbox (a
# reparenting window manager that places new windows itself), with a fresh HOME:
#  1. launch the app, move its window with xdotool, close it (at the login form closing quits);
#  2. launch again: the window must come back to the same place (screenshot: SHOT.png);
#  3. launch and close three more times without moving: the position must not drift;
#  4. save a position off every screen (a monitor unplugged since): the window must stay where
#     openbox put it, on screen;
#  5. with a SERVER_URL (and a session D-Bus, for the tray host watcher.py): sign in as Ada,
#     move the window, close it to the tray, reopen it from the tray menu: same place.
# Positions are printed as the content's top-left corner on the root window (xwininfo's
# "Absolute upper-left", what winpos stores), and as xdotool getwindowgeometry reports them
# (which adds openbox's frame offset, 1,20, once more).
# Needs Xvfb openbox xdotool wmctrl x11-utils imagemagick (step 5: python3-dbus python3-gi).
# Usage: go build -o /tmp/dc . && bash scripts/window-position.sh /tmp/dc [SHOT.png [SERVER_URL]]
#    or: dbus-run-session -- bash scripts/window-position.sh /tmp/dc /tmp/shot.png http://127.0.0.1:8055
set -euo pipefail
bin="${1:?binary}" shot="${2:-/tmp/window-position.png}" url="${3:-}"
dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export DISPLAY=:97 LANG=en_US.UTF-8 HOME="$(mktemp -d)"
prefs="$HOME/.config/fyne/io.github.directuschat.desktop/preferences.json"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

# wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds.
wait_for() {
  local n=$(($1 * 10)); shift
  until "$@" >/dev/null 2>&1; do
    ((n-- > 0)) || { echo "timed out waiting for: $*" >&2; return 1; }
    sleep 0.1
  done
}

Xvfb :97 -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
pids+=($!)
wait_for 10 xdpyinfo
openbox --sm-disable --startup "touch $HOME/openbox-ready" >/dev/null 2>&1 &
pids+=($!)
wait_for 10 test -e "$HOME/openbox-ready"

app=0 wid=0
launch() { # launch LOG: starts the app, waits for its window
  "$bin" -debug ${url:+-server "$url"} >"$HOME/$1" 2>&1 &
  app=$!
  pids+=($app)
  wid=$(timeout 20 xdotool search --sync --onlyvisible --name 'Directus Chat' | head -1)
}
content() { LC_ALL=C xwininfo -id "$wid" | awk '/Absolute upper-left X/{x=$4} /Absolute upper-left Y/{y=$4} END{print x "," y}'; }
at() { [[ $(content) == "$1" ]]; }
xdo() { xdotool getwindowgeometry "$wid" | awk '/Position/{print $2}'; }
saved() { python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); print("%s,%s" % (p.get("window_x"), p.get("window_y")))' "$prefs"; }
close_app() { # closes the window and waits for the app to exit
  wmctrl -c 'Directus Chat'
  wait_for 10 bash -c "! kill -0 $app"
}
fail=0
check() { # check WHAT WANT GOT
  if [[ $2 == "$3" ]]; then echo "  ok: $1: $3"; else echo "  FAIL: $1: $3, want $2"; fail=1; fi
}

echo "1. first launch, move, close"
launch run1.log
placed=$(content)
echo "  openbox placed it at $placed (xdotool: $(xdo))"
xdotool windowmove --sync "$wid" 417 233
wait_for 5 at 417,233
echo "  moved to $(content) (xdotool: $(xdo))"
close_app
check "saved in preferences" 417,233 "$(saved)"

echo "2. second launch"
launch run2.log
wait_for 5 at 417,233 || true
check "back at (content origin)" 417,233 "$(content)"
echo "  xdotool getwindowgeometry: $(xdo)"
grep -h 'window position' "$HOME/run2.log" | sed 's/^/  log: /'
import -window root "$shot"
echo "  screenshot: $shot"
close_app

echo "3. three more launches without moving"
for i in 3 4 5; do
  launch "run$i.log"
  wait_for 5 at 417,233 || true
  echo "  run $i: at $(content) (xdotool: $(xdo))"
  close_app
done
check "after three more runs, saved" 417,233 "$(saved)"

echo "4. a saved position off every screen"
python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); p["window_x"]=3000; open(sys.argv[1],"w").write(json.dumps(p))' "$prefs"
launch run6.log
wait_for 5 grep -q 'window position not restored' "$HOME/run6.log" || true
check "stays where openbox put it" "$placed" "$(content)"
grep -h 'window position' "$HOME/run6.log" | sed 's/^/  log: /'
close_app
check "saved after" "$placed" "$(saved)"

if [[ -n $url ]]; then
  echo "5. signed in: close to the tray, reopen from the tray menu"
  /usr/bin/python3 "$dir/tray-check/watcher.py" 60 >"$HOME/watcher.log" 2>&1 &
  pids+=($!)
  launch run7.log
  xdotool windowactivate --sync "$wid"
  xdotool type 'ada@example.com'; xdotool key Tab; xdotool type 'chat-demo'; xdotool key Return
  wait_for 20 grep -q 'registered' "$HOME/watcher.log"
  wait_for 20 grep -q 'icon=tray-online' "$HOME/run7.log" # signed in and online
  xdotool windowmove --sync "$wid" 611 144
  wait_for 5 at 611,144
  wmctrl -c 'Directus Chat'
  wait_for 10 bash -c "! xdotool search --onlyvisible --name 'Directus Chat' >/dev/null"
  check "hidden to the tray, saved" 611,144 "$(saved)"
  sender=$(grep registered "$HOME/watcher.log" | awk '{print $2}')
  item=$(dbus-send --session --print-reply --dest="$sender" /StatusNotifierMenu com.canonical.dbusmenu.GetLayout \
    int32:0 int32:1 array:string: | grep -o 'int32 [0-9]*' | awk '{print $2}' | sed -n 3p)
  dbus-send --session --print-reply --dest="$sender" /StatusNotifierMenu com.canonical.dbusmenu.Event \
    int32:"$item" string:clicked variant:string:'' uint32:0 >/dev/null
  wid=$(timeout 20 xdotool search --sync --onlyvisible --name 'Directus Chat' | head -1)
  wait_for 5 at 611,144 || true
  check "reopened from the tray at" 611,144 "$(content)"
  import -window root "${shot%.png}-tray.png"
  echo "  screenshot: ${shot%.png}-tray.png"
  kill "$app"
fi

((fail == 0)) && echo "PASS" || echo "FAIL"
exit $fail
