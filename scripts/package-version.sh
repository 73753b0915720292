#!/usr/bin/env bash
# Prints the app version: [Details] Version in FyneApp.toml, the one place it
# is written (the app embeds the same file).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
awk '
  /^[[:space:]]*\[/ { details = ($0 ~ /^[[:space:]]*\[Details\][[:space:]]*$/) }
  details && /^[[:space:]]*Version[[:space:]]*=/ {
    sub(/^[^=]*=[[:space:]]*"/, ""); sub(/".*$/, ""); print; found = 1; exit
  }
  END { if (!found) { print "FyneApp.toml: no [Details] Version" > "/dev/stderr"; exit 1 } }
' FyneApp.toml
