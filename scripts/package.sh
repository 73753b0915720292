#!/usr/bin/env bash
# Builds the release packages of Directus Chat into dist/ (make package):
#
#   dist/directus-chat-<version>-linux-amd64.tar.xz    fyne package -os linux
#   dist/directus-chat-<version>-windows-amd64.exe     fyne package -os windows (MinGW-w64)
#   dist/SHA256SUMS
#
# Usage: scripts/package.sh [linux] [windows]   (default: both)
#
# The version comes from FyneApp.toml. macOS cannot be built here: see
# docs/packaging.md and .github/workflows/release.yml.
#
# `fyne package` writes into the source tree while it works (a generated
# fyne_metadata_init.go, a fyne.syso for Windows, the binary) and bumps
# Build in FyneApp.toml when it is done. So it runs in a copy of the sources
# in a temporary directory: the work tree is left as it was, and a `go build`
# or `go test` running next to it never sees the temporary files.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"

FYNE_TOOL_VERSION="${FYNE_TOOL_VERSION:-v1.7.4}"
export LANG="${LANG:-en_US.UTF-8}"

targets=("$@")
((${#targets[@]} > 0)) || targets=(linux windows)
for t in "${targets[@]}"; do
  case "$t" in
  linux | windows) ;;
  *)
    echo "package: unknown target $t (linux, windows; macOS: see docs/packaging.md)" >&2
    exit 2
    ;;
  esac
done

version="$(scripts/package-version.sh)"
echo "package: Directus Chat $version for ${targets[*]}"

bash scripts/package-deps.sh

# The fyne tool, pinned. go install is quick once it is built.
gobin="$(go env GOBIN)"
[[ -n "$gobin" ]] || gobin="$(go env GOPATH)/bin"
go install "fyne.io/tools/cmd/fyne@$FYNE_TOOL_VERSION"
fyne="$gobin/fyne"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
src="$work/src"
mkdir -p "$src"
# Tracked and untracked files, not ignored ones (.devserver, dist, ...):
# what a fresh clone plus local changes would have.
git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do [[ -e "$f" ]] && printf '%s\0' "$f"; done |
  tar --null -T - -cf - | tar -xf - -C "$src"

mkdir -p dist
printf '*\n' >dist/.gitignore

step() { # step NAME CMD...: runs CMD, prints how long it took
  local name="$1" start=$SECONDS
  shift
  echo "package: $name..."
  # Each package from the FyneApp.toml of the work tree, not the one the
  # previous `fyne package` bumped.
  cp FyneApp.toml "$src/FyneApp.toml"
  "$@"
  echo "package: $name took $((SECONDS - start))s"
}

linux() {
  local out="dist/directus-chat-$version-linux-amd64.tar.xz"
  rm -f "$out"
  # --executable names the binary (and the desktop entry's Exec) directus-chat
  # instead of the module name; it does not exist yet, so fyne builds it.
  (cd "$src" && "$fyne" package -os linux --release --tags no_animations --executable directus-chat)
  mv "$src/Directus Chat.tar.xz" "$out"
  echo "package: $out"
}

windows() {
  local out="dist/directus-chat-$version-windows-amd64.exe"
  rm -f "$out"
  command -v x86_64-w64-mingw32-gcc >/dev/null || {
    echo "package: x86_64-w64-mingw32-gcc not found (apt-get install gcc-mingw-w64-x86-64)" >&2
    exit 1
  }
  # fyne builds once, embeds the icon, manifest and version info
  # (fyne.syso), builds again with -H=windowsgui and names it after the app.
  (cd "$src" && CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc \
    "$fyne" package -os windows --release --tags no_animations --executable directus-chat.exe)
  mv "$src/Directus Chat.exe" "$out"
  echo "package: $out"
}

for t in "${targets[@]}"; do
  step "$t" "$t"
done

(cd dist && rm -f SHA256SUMS && sha256sum -- directus-chat-* >SHA256SUMS)
echo "package: dist/SHA256SUMS"
cat dist/SHA256SUMS
ls -l "$root/dist"
