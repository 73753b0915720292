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

# A short conversation in the channels setup made, written over REST by the
# demo users: general (opened first), random (with a mention of Ada, left
# unread) and a direct message from Kevin.
token() {
  curl -fsS -H 'Content-Type: application/json' \
    -d "{\"email\":\"$1\",\"password\":\"chat-demo\",\"mode\":\"json\"}" "$url/auth/login" |
    sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p'
}
json() { python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }
post() { # token path body
  curl -fsS -o /dev/null -H "Authorization: Bearer $1" -H 'Content-Type: application/json' -d "$3" "$url$2"
}
get_id() { # token path -> the first item's id
  curl -fsSg -H "Authorization: Bearer $1" "$url$2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])'
}
me() { curl -fsS -H "Authorization: Bearer $1" "$url/users/me?fields=id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["id"])'; }
say() { post "$1" /items/messages "{\"channel\":\"$2\",\"text\":$(json "$3")}"; }
kevin="$(token kevin@example.com)"
grace="$(token grace@example.com)"
general="$(get_id "$kevin" '/items/channels?filter[name][_eq]=general&fields=id')"
random="$(get_id "$kevin" '/items/channels?filter[name][_eq]=random&fields=id')"
ada_id="$(me "$(token ada@example.com)")"
kevin_id="$(me "$kevin")"
say "$kevin" "$general" "Morning! Is the realtime chat up on the new server?"
say "$grace" "$general" "It is. Messages arrive over the WebSocket as they are created, and history is paged from the newest."
say "$kevin" "$general" "Nice. Long messages wrap to the width of the window, like this one, which goes on for a while so that it needs more than one line to show everything it has to say."
say "$grace" "$general" "<@$ada_id> the channels are in: try Ctrl+K 👍"
say "$grace" "$random" "Lunch at noon?"
say "$kevin" "$random" "<@$ada_id> are you coming?"
dm="$(python3 -c 'import uuid; print(uuid.uuid4())')"
key="$(printf '%s\n%s\n' "$ada_id" "$kevin_id" | sort | paste -sd:)"
post "$kevin" /items/channels "{\"id\":\"$dm\",\"kind\":\"direct\",\"direct_key\":\"$key\"}"
post "$kevin" /items/channel_members "[{\"channel\":\"$dm\",\"user\":\"$kevin_id\",\"member_key\":\"$dm:$kevin_id\"},{\"channel\":\"$dm\",\"user\":\"$ada_id\",\"member_key\":\"$dm:$ada_id\"}]"
say "$kevin" "$dm" "Got a minute for the release notes?"

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
