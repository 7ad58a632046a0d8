#!/usr/bin/env bash
# Builds Purser's installer packages with the Tauri bundler. One command:
#
#   packaging/build.sh
#
# On Linux it writes the .deb and the .rpm (PURSER_BUNDLES=deb for the .deb only); on macOS
# the .app and the .dmg (configured, never built here). Windows: packaging/windows/build.ps1.
#
# Steps: build the UI (ui/dist, which the window embeds at compile time; tauri.conf.json has
# no beforeBuildCommand), build the `purser` command-line tool, stage it in packaging/stage/
# where the bundle configuration picks it up (Linux: bundle.linux.deb/rpm.files →
# /usr/bin/purser; macOS and Windows: bundle.externalBin), then `tauri build`, which builds
# the window (purser-desktop) and bundles both.
#
# The version is the workspace version in Cargo.toml (tauri.conf.json has no "version", so
# the bundler takes purser-desktop's, which is `version.workspace = true`); this script
# checks that the packages and `purser --version` carry it.
#
# Needs what scripts/setup.sh installs (Rust, Node.js, ui/node_modules, the WebKitGTK
# development packages). Honours CARGO_TARGET_DIR. Prints the packages' paths at the end
# and writes them, one per line, to $CARGO_TARGET_DIR/release/bundle/packages.txt.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"
target="${CARGO_TARGET_DIR:-$root/target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
export CARGO_TARGET_DIR="$target"

log() { printf '\033[1m[package]\033[0m %s\n' "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }
t0=$SECONDS
lap() { log "$1 done in $((SECONDS - t_step)) s"; }

os="$(uname -s)"
case "$os" in
  Linux) bundles="${PURSER_BUNDLES:-deb,rpm}" ;;
  Darwin)
    bundles="${PURSER_BUNDLES:-app,dmg}"
    # Link OpenSSL statically: the Mac the till runs on has no Homebrew OpenSSL.
    export OPENSSL_STATIC=1
    ;;
  *) die "on Windows run packaging/windows/build.ps1" ;;
esac

# "path+file:///…/src-tauri#purser-desktop@0.1.0" → 0.1.0
version="$(cargo pkgid -p purser-desktop | sed 's/.*[#@]//')"
cli_version="$(cargo pkgid -p purser-cli | sed 's/.*[#@]//')"
[ "$version" = "$cli_version" ] || die "purser-desktop is $version but purser-cli is $cli_version: both must take version.workspace"
triple="$(rustc -vV | sed -n 's/^host: //p')"
log "Purser $version for $triple → bundles: $bundles (target dir $target)"

t_step=$SECONDS
log "1/4 UI: ui/dist"
if [ ! -d ui/node_modules ]; then
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
fi
# Built into a scratch folder, then only files whose content changed are copied into
# ui/dist: the window's build script reruns (and purser-desktop recompiles, ~35 s) whenever
# a file there gets a new modification time.
ui_tmp="$(mktemp -d)"
trap 'rm -rf "$ui_tmp"' EXIT
(cd ui && npm run --silent build -- --outDir "$ui_tmp" --emptyOutDir)
mkdir -p ui/dist
(cd "$ui_tmp" && find . -type f) | while IFS= read -r f; do
  cmp -s "$ui_tmp/$f" "ui/dist/$f" || { mkdir -p "$(dirname "ui/dist/$f")"; cp "$ui_tmp/$f" "ui/dist/$f"; }
done
(cd ui/dist && find . -type f) | while IFS= read -r f; do
  [ -e "$ui_tmp/$f" ] || rm -f "ui/dist/$f"
done
lap "UI"

t_step=$SECONDS
log "2/4 release binaries: purser (command-line tool) and purser-desktop (window)"
# With -p purser-desktop too, exactly as scripts/test.sh builds them: the same feature
# unification, so after the test suite this step has nothing left to do.
cargo build --release --locked -p purser-desktop -p purser-cli
cli="$target/release/purser"
cli_says="$("$cli" --version)"
[ "$cli_says" = "purser $version" ] || die "$cli --version says '$cli_says', expected 'purser $version'"
lap "release binaries"

# The bundle configuration reads the CLI from packaging/stage/ (ignored by git): Linux maps
# stage/purser to /usr/bin/purser; externalBin (macOS, Windows) wants the target triple in
# the name.
mkdir -p packaging/stage
if [ "$os" = Linux ]; then
  install -m 0755 "$cli" packaging/stage/purser
else
  install -m 0755 "$cli" "packaging/stage/purser-$triple"
fi

t_step=$SECONDS
bundle_dir="$target/release/bundle"
# Old packages of this version would be listed as new ones.
rm -f "$bundle_dir"/deb/*_"$version"_*.deb "$bundle_dir"/rpm/*-"$version"-*.rpm
if [ "$os" = Linux ]; then
  # The packages carry the binaries without their debug information (the release profile
  # keeps line tables for backtraces); it is kept apart in $bundle_dir/symbols/<name>.debug,
  # which the stripped binary names in its .gnu_debuglink (gdb and addr2line find it there
  # or in /usr/lib/debug). Then the bundler packages the binaries as they are: `tauri
  # bundle` does not build again.
  log "3/4 symbols apart, then tauri bundle --bundles $bundles"
  symbols="$bundle_dir/symbols"
  mkdir -p "$symbols"
  for bin in "$target/release/purser-desktop" packaging/stage/purser; do
    name="$(basename "$bin")"
    if objcopy --only-keep-debug "$bin" "$symbols/$name.debug.new" 2>/dev/null \
      && [ -n "$(readelf -S "$bin" | grep -F .debug_line || true)" ]; then
      mv "$symbols/$name.debug.new" "$symbols/$name.debug"
    else
      rm -f "$symbols/$name.debug.new"
    fi
    # Already stripped by an earlier run: its symbols are the ones kept then.
    [ -f "$symbols/$name.debug" ] || die "no debug information in $bin to keep apart"
    objcopy --strip-debug --remove-section=.gnu_debuglink "$bin" "$bin.stripped"
    objcopy --add-gnu-debuglink="$symbols/$name.debug" "$bin.stripped"
    chmod 0755 "$bin.stripped"
    mv "$bin.stripped" "$bin"
    log "  $name: $(du -h "$bin" | cut -f1) shipped, $(du -h "$symbols/$name.debug" | cut -f1) of symbols apart"
  done
  ui/node_modules/.bin/tauri bundle --ci --bundles "$bundles"
  lap "tauri bundle"
else
  log "3/4 tauri build --bundles $bundles"
  # From the repository root: the CLI finds src-tauri/tauri.conf.json below the current folder.
  ui/node_modules/.bin/tauri build --ci --bundles "$bundles" -- --locked
  lap "tauri build"
fi

# The .deb's Depends is written by hand in tauri.conf.json (bundle.linux.deb.depends); the
# bundler adds only libwebkit2gtk-4.1-0 and libgtk-3-0. Check it against what
# dpkg-shlibdeps (dpkg-dev, part of build-essential) computes from the two binaries, so a
# newer library symbol on the build machine cannot slip through with a too-low version.
check_depends() {
  local deb="$1" have tmp need clause pkg ver found
  command -v dpkg-shlibdeps >/dev/null || { log "(dpkg-shlibdeps missing: Depends not checked)"; return 0; }
  have="$(dpkg-deb -f "$deb" Depends)"
  tmp="$(mktemp -d)"
  mkdir -p "$tmp/debian" "$tmp/x"
  printf 'Source: purser\n\nPackage: purser\nArchitecture: any\n' >"$tmp/debian/control"
  dpkg-deb -x "$deb" "$tmp/x"
  need="$(cd "$tmp" && dpkg-shlibdeps -O x/usr/bin/purser x/usr/bin/purser-desktop 2>/dev/null | sed -n 's/^shlibs:Depends=//p')"
  rm -rf "$tmp"
  [ -n "$need" ] || die "dpkg-shlibdeps computed nothing"
  local missing=()
  while IFS= read -r clause; do
    pkg="${clause%% *}"
    ver="$(sed -n 's/.*(>= *\([^)]*\)).*/\1/p' <<<"$clause")"
    found=no
    while IFS= read -r h; do
      [ "${h%% *}" = "$pkg" ] || continue
      hv="$(sed -n 's/^[^|]*(>= *\([^)]*\)).*/\1/p' <<<"$h")"
      if [ -z "$ver" ] || { [ -n "$hv" ] && dpkg --compare-versions "$hv" ge "$ver"; }; then found=yes; fi
    done < <(sed 's/, /\n/g' <<<"$have")
    [ "$found" = yes ] || missing+=("$clause")
  done < <(sed 's/, /\n/g' <<<"$need")
  if [ "${#missing[@]}" -gt 0 ]; then
    log "dpkg-shlibdeps says the binaries need: $need"
    die "the .deb's Depends lacks: ${missing[*]} — update bundle.linux.deb.depends in src-tauri/tauri.conf.json"
  fi
  log "Depends covers what dpkg-shlibdeps computes ($need)"
}

t_step=$SECONDS
log "4/4 checking the packages"
packages=()
if [ "$os" = Linux ]; then
  for b in ${bundles//,/ }; do
    case "$b" in
      deb)
        deb="$(ls -t "$bundle_dir"/deb/*_"$version"_*.deb 2>/dev/null | head -n1 || true)"
        [ -n "$deb" ] || die "no .deb for version $version in $bundle_dir/deb"
        dpkg-deb -I "$deb"
        [ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || die "$deb: Version is not $version"
        contents="$(dpkg-deb -c "$deb")"
        for f in usr/bin/purser usr/bin/purser-desktop usr/share/applications/Purser.desktop \
          usr/share/icons/hicolor/128x128/apps/purser-desktop.png; do
          grep -Eq " (\./)?$f\$" <<<"$contents" || die "$deb has no /$f"
        done
        check_depends "$deb"
        grep -E ' (\./)?usr/(bin|share/applications|share/icons)/.*[^/]$' <<<"$contents" | awk '$3 > 0 {print "    " $3 "  " $6}' >&2
        packages+=("$deb")
        ;;
      rpm)
        rpm="$(ls -t "$bundle_dir"/rpm/*-"$version"-*.rpm 2>/dev/null | head -n1 || true)"
        [ -n "$rpm" ] || die "no .rpm for version $version in $bundle_dir/rpm"
        if command -v rpm >/dev/null; then
          rpm -qip "$rpm"
          log "requires:"; rpm -qp --requires "$rpm" | sed 's/^/    /' >&2
          rpm_files="$(rpm -qpl "$rpm")"
          for f in /usr/bin/purser /usr/bin/purser-desktop /usr/share/applications/Purser.desktop; do
            grep -qx "$f" <<<"$rpm_files" || die "$rpm has no $f"
          done
        else
          log "(install the 'rpm' package to have the .rpm's contents checked too)"
        fi
        packages+=("$rpm")
        ;;
      *) ;;
    esac
  done
else
  app="$(ls -d "$bundle_dir"/macos/*.app 2>/dev/null | head -n1 || true)"
  [ -n "$app" ] && [ -x "$app/Contents/MacOS/purser" ] || die "no Purser.app with Contents/MacOS/purser in $bundle_dir/macos"
  if otool -L "$app/Contents/MacOS/purser-desktop" "$app/Contents/MacOS/purser" | grep -E '(/opt/homebrew|/usr/local)/'; then
    die "the binaries link libraries from the build machine's Homebrew (above)"
  fi
  while IFS= read -r p; do packages+=("$p"); done < <(ls -d "$bundle_dir"/dmg/*"$version"*.dmg "$app" 2>/dev/null)
fi
[ "${#packages[@]}" -gt 0 ] || die "no packages found under $bundle_dir"
printf '%s\n' "${packages[@]}" >"$bundle_dir/packages.txt"
lap "checks"

log "Purser $version packaged in $((SECONDS - t0)) s:"
for p in "${packages[@]}"; do
  printf '  %s  (%s)\n' "$p" "$(du -h "$p" | cut -f1)"
done
