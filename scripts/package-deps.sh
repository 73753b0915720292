#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages that `make package` and
# scripts/check-packages.sh need and are missing: a C toolchain and Fyne's
# OpenGL/X11 headers (cgo), MinGW-w64 (the Windows cross-compiler), xz (the
# Linux tarball), file, and Xvfb, xdotool and ImageMagick (the launch check).
# As root it installs them with apt-get; otherwise it prints the command.
set -euo pipefail

packages=(build-essential pkg-config libgl1-mesa-dev xorg-dev libwayland-dev libxkbcommon-dev wayland-protocols gcc-mingw-w64-x86-64
  xz-utils file xvfb xauth xdotool x11-utils imagemagick)
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done
((${#missing[@]} == 0)) && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "package-deps: missing ${missing[*]}; install them with:" >&2
  echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "package-deps: installing ${missing[*]}"
bash "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh" --no-install-recommends "${missing[@]}"
