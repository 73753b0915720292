#!/usr/bin/env bash
# Takes the README screenshot: a real window of the app under X (run it
# inside xvfb-run), signed in to the local Directus, with a few messages.
# Usage: scripts/screenshot.sh OUT.png   (make screenshot)
set -euo pipefail
out="${1:-docs/screenshot.png}"
port="${SCREENSHOT_PORT:-8071}"
url="http://127.0.0.1:$port"
work="$(mktemp -d)"
trap 'kill "${app_pid:-0}" 2>/dev/null || true; go run ./cmd/devserver stop -port "$port" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

go run ./cmd/devserver reset -port "$port" >/dev/null
go run ./cmd/devserver up -port "$port"

# A short conversation, written over REST by the demo users.
token() {
  curl -fsS -H 'Content-Type: application/json' \
    -d "{\"email\":\"$1\",\"password\":\"chat-demo\",\"mode\":\"json\"}" "$url/auth/login" |
    sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p'
}
say() {
  curl -fsS -o /dev/null -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
    -d "{\"text\":$(printf '%s' "$2" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')}" "$url/items/messages"
}
kevin="$(token kevin@example.com)"
grace="$(token grace@example.com)"
say "$kevin" "Morning! Is the realtime chat up on the new server?"
say "$grace" "It is. Messages arrive over the WebSocket as they are created, and history is paged from the newest."
say "$kevin" "Nice. Long messages wrap to the width of the window, like this one, which goes on for a while so that it needs more than one line to show everything it has to say."
say "$grace" "👍 Try closing your laptop lid: it reconnects and fetches what it missed."

go build -o "$work/directus-chat" .
HOME="$work" "$work/directus-chat" -server "$url" >"$work/app.log" 2>&1 &
app_pid=$!
wid="$(xdotool search --sync --onlyvisible --name 'Directus Chat')"
xdotool windowfocus --sync "$wid" 2>/dev/null || true
# The cursor starts in the first empty field (Email).
xdotool type --delay 20 'ada@example.com'
xdotool key Tab
xdotool type --delay 20 'chat-demo'
xdotool key Return
xdotool search --sync --onlyvisible --name "127.0.0.1:$port" >/dev/null
xdotool type --delay 20 'Hello from the desktop app!'
xdotool key Return
# Give the round trip and the next frame a moment (a picture, not a test).
sleep 2
mkdir -p "$(dirname "$out")"
import -window "$wid" "$out"
echo "screenshot: $out"
