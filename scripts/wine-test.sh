#!/usr/bin/env bash
# Builds the tests of cgo-free packages for Windows and runs them under Wine.
#
#   scripts/wine-test.sh ./notify/wintoast ./notify/fynenotify ./clipimage [-- -test.run X]
#
# (the default list). clipimage's tests put pictures on Wine's clipboard and
# read them back: Wine keeps the clipboard in its wineserver, so they need no
# X display either (with one, Wine would also hand it to the X server's).
#
# Needs wine (Debian: wine64) and x86_64-w64-mingw32-gcc (gcc-mingw-w64-x86-64);
# with INSTALL=1 and root it installs them with apt-get. The Wine prefix lives
# in .devserver/wine (WINEPREFIX overrides). Go 1.22+ binaries import
# ProcessPrng from bcryptprimitives.dll, which Wine 8 lacks: the script builds
# a tiny stand-in (ProcessPrng -> RtlGenRandom) with mingw and puts it in the
# prefix's system32. First run ~1 min (prefix init), later runs seconds.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

pkgs=()
while [[ $# -gt 0 && $1 != -- ]]; do pkgs+=("$1"); shift; done
[[ ${1:-} == -- ]] && shift
[[ ${#pkgs[@]} -gt 0 ]] || pkgs=(./notify/wintoast ./notify/fynenotify ./clipimage)

if ! command -v wine >/dev/null || ! command -v x86_64-w64-mingw32-gcc >/dev/null; then
  if [[ ${INSTALL:-} == 1 ]]; then
    bash scripts/apt-install.sh wine64 gcc-mingw-w64-x86-64
  else
    echo "wine-test: needs wine and x86_64-w64-mingw32-gcc (apt-get install -y wine64 gcc-mingw-w64-x86-64, or INSTALL=1)" >&2
    exit 1
  fi
fi

export WINEPREFIX=${WINEPREFIX:-$PWD/.devserver/wine}
export WINEARCH=win64 WINEDEBUG=${WINEDEBUG:--all}
export WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-mscoree,mshtml=}  # no Mono/Gecko prompts
unset DISPLAY WAYLAND_DISPLAY  # the tests need no window (nor the clipboard)

if [[ ! -f $WINEPREFIX/system.reg ]]; then
  echo "wine-test: creating the Wine prefix $WINEPREFIX"
  mkdir -p "$WINEPREFIX"
  wine wineboot --init
  wineserver --wait
fi

sys32=$WINEPREFIX/drive_c/windows/system32
if [[ ! -f $sys32/bcryptprimitives.dll ]] || ! grep -q ProcessPrng "$sys32/bcryptprimitives.dll"; then
  tmp=$(mktemp -d)
  cat >"$tmp/prng.c" <<'C'
#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length); /* RtlGenRandom, advapi32 */
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size) {
  while (size > 0) {
    ULONG n = size > 0x10000000 ? 0x10000000 : (ULONG)size;
    if (!SystemFunction036(data, n)) return FALSE;
    data += n;
    size -= n;
  }
  return TRUE;
}
C
  printf 'LIBRARY bcryptprimitives\nEXPORTS\n    ProcessPrng\n' >"$tmp/prng.def"
  x86_64-w64-mingw32-gcc -shared -O2 -o "$tmp/bcryptprimitives.dll" "$tmp/prng.c" "$tmp/prng.def" -ladvapi32
  cp "$tmp/bcryptprimitives.dll" "$sys32/bcryptprimitives.dll"
  rm -rf "$tmp"
  echo "wine-test: installed a ProcessPrng bcryptprimitives.dll in $sys32"
fi

out=$PWD/.devserver/wine-tests
mkdir -p "$out"
status=0
for pkg in "${pkgs[@]}"; do
  exe=$out/$(basename "$pkg").test.exe
  GOOS=windows GOARCH=amd64 CGO_ENABLED=0 GOFLAGS=${GOFLAGS:--tags=no_animations} go test -c -o "$exe" "$pkg"
  echo "wine-test: $pkg"
  # Run from the package directory, as go test does (testdata).
  (cd "$pkg" && wine "$exe" -test.v -test.count=1 "$@") || status=$?
done
wineserver --wait || true
exit "$status"
