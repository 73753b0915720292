#!/usr/bin/env bash
# Runs govulncheck on the module with Go's vulnerability database built
# locally: the machines reach the Go module proxy but not vuln.go.dev, and the
# proxy serves the database's source (golang.org/x/vulndb, OSV files), which
# its own indexdb command turns into the layout govulncheck reads (-db file://).
# VULNDB selects the database version (default: the newest the proxy serves).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

GOVULNCHECK=golang.org/x/vuln/cmd/govulncheck@v1.9.0
version=${VULNDB:-$(go list -m -f '{{.Version}}' golang.org/x/vulndb@latest)}
src=$(go mod download -json "golang.org/x/vulndb@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
db="$PWD/.devserver/vulndb/$version"
if [[ ! -f "$db/index/db.json" ]]; then
  rm -rf "$db"
  mkdir -p "$(dirname "$db")"
  go run "golang.org/x/vulndb/cmd/indexdb@$version" -vulns "$src/data/osv" -out "$db"
fi
echo "govulncheck: database golang.org/x/vulndb@$version"
go run "$GOVULNCHECK" -db "file://$db" ./...
