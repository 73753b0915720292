#!/usr/bin/env bash
# Checks what `make package` left in dist/, as a user would meet it:
#
#   - the artifacts and their checksums are there;
#   - the Linux tarball unpacks to a Makefile, the binary, a desktop entry
#     and a 512x512 icon;
#   - the Windows exe is a PE32+ GUI x86-64 executable (no console window
#     when double-clicked) with resources (icon, manifest, version info)
#     that carry the app's name and version;
#   - the Linux package installs with its Makefile into a temporary
#     DESTDIR/PREFIX, the installed binary reports the version, and started
#     the way the desktop entry starts it, under Xvfb, shows its login
#     window; a screenshot of that window goes to docs/package-login.png.
#
# Exits non-zero on the first failure. Usage: scripts/check-packages.sh [SCREENSHOT.png]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"
# The app runs in English: Fyne cannot parse the C locale (it logs an error).
appenv=(env -u LC_ALL -u LC_MESSAGES LANG=en_US.UTF-8)

# Re-entry under Xvfb: launch the installed app and take the screenshot.
if [[ "${1:-}" == "--gui" ]]; then
  prefix_root="$2" shot="$3" log="$4"
  desktop="$(echo "$prefix_root"/usr/share/applications/*.desktop)"
  read -ra exec_argv <<<"$(sed -n 's/^Exec=//p' "$desktop")" # no field codes in it
  # Started as a launcher would: the Exec line, found on PATH, in a fresh HOME
  # (so the first-run login window, and no preferences from this machine).
  # Where it can, in a network namespace of its own: like a user's machine,
  # no Directus on 127.0.0.1:8055 to pre-fill the form with (X still works,
  # through the socket file in /tmp/.X11-unix).
  isolate=()
  if unshare -n true 2>/dev/null; then isolate=(unshare -n); fi
  PATH="$prefix_root/usr/bin:$PATH" HOME="$prefix_root/home" \
    XDG_CONFIG_HOME="" XDG_DATA_HOME="" XDG_CACHE_HOME="" XDG_STATE_HOME="" \
    "${isolate[@]}" "${appenv[@]}" "${exec_argv[@]}" >"$log" 2>&1 &
  pid=$!
  trap 'kill "$pid" 2>/dev/null || true' EXIT
  # Polled rather than `xdotool search --sync`: that one dies of a BadWindow
  # error when a window it looks at goes away meanwhile (Fyne creates and
  # drops helper windows while it starts), seen here.
  wid=""
  for _ in $(seq 300); do
    wid="$(xdotool search --onlyvisible --name '^Directus Chat' 2>/dev/null | head -n1)" || true
    [[ -n "$wid" ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  [[ -n "$wid" ]] || {
    echo "check: no 'Directus Chat' window within 60 s" >&2
    cat "$log" >&2
    exit 1
  }
  kill -0 "$pid" 2>/dev/null || {
    echo "check: the app exited" >&2
    cat "$log" >&2
    exit 1
  }
  echo "check: window $wid: $(xdotool getwindowname "$wid"), $(xdotool getwindowgeometry "$wid" | sed -n 's/^ *Geometry: //p')"
  if command -v xprop >/dev/null; then
    # Docks match the window to the desktop entry (and its icon) by WM_CLASS.
    wm_class="$(xprop -id "$wid" WM_CLASS)"
    wm_class_want="$(sed -n 's/^StartupWMClass=//p' "$desktop")"
    echo "check: $wm_class; desktop entry StartupWMClass=$wm_class_want"
    # GLFW takes WM_CLASS from the window's title when it is first shown; the
    # UI owns the title, so a mismatch is a warning here, not a failure: the
    # window still gets the app icon, but docks list it apart from the entry.
    [[ -z "$wm_class_want" || "$wm_class" == *"\"$wm_class_want\""* ]] ||
      echo "check: WARNING: WM_CLASS does not match StartupWMClass=$wm_class_want: show the window first with the title '$wm_class_want'" >&2
    # The window icon (Alt-Tab, taskbar) is the app icon: its width, height.
    icon_size="$(xprop -id "$wid" -notype -f _NET_WM_ICON 32c ' $0x$1' _NET_WM_ICON)"
    [[ "$icon_size" =~ _NET_WM_ICON\ [1-9][0-9]*x[1-9][0-9]*$ ]] || {
      echo "check: the window has no icon: $icon_size" >&2
      exit 1
    }
    echo "check: window icon ${icon_size#_NET_WM_ICON }"
  fi
  sleep 2 # a frame or two after mapping (a picture, not a race)
  mkdir -p "$(dirname "$shot")"
  import -window "$wid" "$shot"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  exit 0
fi

shot="${1:-docs/package-login.png}"
[[ "$shot" == /* ]] || shot="$root/$shot"
version="$(scripts/package-version.sh)"
linux_tar="dist/directus-chat-$version-linux-amd64.tar.xz"
windows_exe="dist/directus-chat-$version-windows-amd64.exe"
app_id="$(awk -F'"' '/^[[:space:]]*ID[[:space:]]*=/ { print $2; exit }' FyneApp.toml)"
build="$(awk '/^[[:space:]]*Build[[:space:]]*=/ { print $3; exit }' FyneApp.toml)"

fail() {
  echo "check: FAIL: $*" >&2
  exit 1
}
ok() { echo "check: ok: $*"; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# 1. The artifacts.
for f in "$linux_tar" "$windows_exe" dist/SHA256SUMS; do
  [[ -s "$f" ]] || fail "$f is missing (run make package)"
done
(cd dist && sha256sum --quiet -c SHA256SUMS) || fail "dist/SHA256SUMS does not match"
ok "artifacts and checksums: $linux_tar, $windows_exe"

# 2. The Linux tarball: directus-chat/{Makefile,usr/[local/]...}.
tar -xJf "$linux_tar" -C "$work" || fail "$linux_tar does not unpack"
pkg="$work/directus-chat"
[[ -f "$pkg/Makefile" ]] || fail "no Makefile in $linux_tar: $(tar -tJf "$linux_tar" | tr '\n' ' ')"
usr="$pkg/usr/local"
[[ -d "$usr" ]] || usr="$pkg/usr"
bin="$usr/bin/directus-chat"
desktop="$usr/share/applications/$app_id.desktop"
icon="$usr/share/pixmaps/$app_id.png"
for f in "$bin" "$desktop" "$icon"; do
  [[ -f "$f" ]] || fail "${f#"$work"/} is not in $linux_tar: $(tar -tJf "$linux_tar" | tr '\n' ' ')"
done
file -b "$bin" | grep -q '^ELF 64-bit LSB .*x86-64' || fail "binary: $(file -b "$bin")"
[[ -x "$bin" ]] || fail "binary is not executable"
file -b "$icon" | grep -q '^PNG image data, 512 x 512' || fail "icon: $(file -b "$icon")"
for want in 'Type=Application' 'Name=Directus Chat' 'Exec=directus-chat' "Icon=$app_id" \
  'Categories=Network;InstantMessaging;Chat;'; do
  grep -qxF "$want" "$desktop" || fail "desktop entry lacks '$want':"$'\n'"$(cat "$desktop")"
done
if command -v desktop-file-validate >/dev/null; then
  desktop-file-validate "$desktop" || fail "desktop-file-validate"
fi
ok "Linux tarball: Makefile, ${bin#"$work"/}, ${desktop#"$work"/}, ${icon#"$work"/}"

# 3. The Windows exe.
kind="$(file -b "$windows_exe")"
[[ "$kind" == "PE32+ executable (GUI) x86-64"* ]] || fail "Windows exe is '$kind', want PE32+ executable (GUI) x86-64"
if command -v x86_64-w64-mingw32-objdump >/dev/null; then
  x86_64-w64-mingw32-objdump -h "$windows_exe" | grep -q '\.rsrc' || fail "Windows exe has no resources (icon, version info)"
fi
# Version info strings are UTF-16 in the resources.
strings -el "$windows_exe" | grep -qxF 'Directus Chat' || fail "Windows exe has no 'Directus Chat' version info"
strings -el "$windows_exe" | grep -qxF "$version.$build" ||
  fail "Windows exe has no product version $version.$build (FyneApp.toml): $(strings -el "$windows_exe" | grep -xE '[0-9]+(\.[0-9]+){3}' | head -n1)"
ok "Windows exe: $kind, with resources"

# 4. Install with the package's Makefile into a temporary prefix.
dest="$work/root"
make -s -C "$pkg" install DESTDIR="$dest" PREFIX=/usr >/dev/null || fail "make install DESTDIR=$dest PREFIX=/usr"
for f in usr/bin/directus-chat "usr/share/applications/$app_id.desktop" "usr/share/pixmaps/$app_id.png"; do
  [[ -f "$dest/$f" ]] || fail "make install did not install $f"
done
got="$("${appenv[@]}" "$dest/usr/bin/directus-chat" version)" || fail "directus-chat version"
[[ "$got" == "Directus Chat $version (build $build)" ]] ||
  fail "installed binary says '$got', want Directus Chat $version (build $build) as in FyneApp.toml"
ok "installed into $dest/usr: $got"

# 5. Launch under Xvfb and screenshot the login window.
mkdir -p "$dest/home"
log="$work/app.log"
xvfb-run -a -s "-screen 0 1280x800x24" bash "$0" --gui "$dest" "$shot" "$log" || fail "launch under Xvfb"
[[ -s "$shot" ]] || fail "no screenshot"
# A blank or single-colour window has (nearly) no variation in its pixels.
colours="$(convert "$shot" -format '%k' info:)"
((colours > 50)) || fail "screenshot $shot has only $colours colours: blank window?"
if grep -E 'panic:|fatal error:' "$log" >/dev/null; then
  cat "$log" >&2
  fail "the app panicked"
fi
ok "launched the installed app, screenshot ${shot#"$root"/} ($(identify -format '%wx%h' "$shot"), $colours colours)"
echo "check: all packages ok"
