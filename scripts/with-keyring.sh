#!/usr/bin/env bash
# Runs a command with a Secret Service (gnome-keyring) unlocked on the
# current D-Bus session, as a desktop session would have. Used by `make test`
# inside dbus-run-session; the keyring lives in a throwaway HOME.
set -euo pipefail
# Go's caches stay where they are, not in the throwaway HOME.
if command -v go >/dev/null; then
  GOCACHE="$(go env GOCACHE)" GOMODCACHE="$(go env GOMODCACHE)" GOPATH="$(go env GOPATH)"
  export GOCACHE GOMODCACHE GOPATH
fi
export HOME="${KEYRING_HOME:-$(mktemp -d)}"
mkdir -p "$HOME/.local/share/keyrings"
if command -v gnome-keyring-daemon >/dev/null; then
  eval "$(printf 'test-keyring' | gnome-keyring-daemon --unlock --components=secrets)"
  export GNOME_KEYRING_CONTROL
fi
exec "$@"
