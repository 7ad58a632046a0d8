#!/usr/bin/env bash
# Installs whatever Purser's build and tests need and is missing. Idempotent; safe to rerun.
#
#   scripts/setup.sh            build dependencies only (enough for the demo)
#   scripts/setup.sh --test     also the test tools: Apache Kafka's jars (Maven Central),
#                               Python venv with kafka-python, tauri-driver, Xvfb
#   scripts/setup.sh --kafka    build dependencies and Apache Kafka (scripts/demo.sh --kafka)
#
# Everything comes from the package registries (Debian/Ubuntu apt, crates.io, PyPI, npm,
# Maven Central).
# Caches live outside the clone, in $PURSER_CACHE (default ~/.cache/purser).
set -euo pipefail

want_test=0 want_kafka=0
[ "${1:-}" = "--test" ] && want_test=1 && want_kafka=1
[ "${1:-}" = "--kafka" ] && want_kafka=1

cache="${PURSER_CACHE:-$HOME/.cache/purser}"
mkdir -p "$cache"
log() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { log "not root and no sudo: install the packages listed in README.md by hand"; exit 1; }
  sudo_cmd=(sudo)
fi

# --- Debian packages ---------------------------------------------------------------
# The window (Tauri 2) builds against WebKitGTK 4.1 and GTK 3.
apt_pkgs=(build-essential pkg-config libssl-dev ca-certificates file
  libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev libsoup-3.0-dev)
# The end-to-end tests drive the real window under a virtual display.
[ "$want_test" = 1 ] && apt_pkgs+=(xvfb xauth webkit2gtk-driver)
# The package install test: a clean Debian root, the .rpm's contents, window checks.
[ "$want_test" = 1 ] && apt_pkgs+=(debootstrap rpm x11-utils imagemagick)
# PostgreSQL for the cloud's reconciler and loyalty ledger tests (the test kit starts its
# own server from these binaries in a temporary folder; the package's own cluster is not used).
[ "$want_test" = 1 ] && apt_pkgs+=(postgresql)
# Apache Kafka for the broker tests: Java 17+ runs it, Maven resolves its jars; openssl
# makes the test certificates; iproute2 the network namespaces of the partition test.
[ "$want_kafka" = 1 ] && apt_pkgs+=(openssl iproute2)
if [ "$want_kafka" = 1 ] && ! { command -v java >/dev/null && java -version 2>&1 | grep -Eq 'version "(1[7-9]|[2-9][0-9])'; }; then
  apt_pkgs+=(openjdk-17-jre-headless)
fi
[ "$want_kafka" = 1 ] && ! command -v mvn >/dev/null && apt_pkgs+=(maven)
# The tests need a python3 that can make a venv; one that already can (pyenv, python.org
# builds) does not need Debian's packages.
if [ "$want_test" = 1 ] && ! { command -v python3 >/dev/null && python3 -c 'import venv, ensurepip' 2>/dev/null; }; then
  apt_pkgs+=(python3 python3-venv)
fi
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- Rust ------------------------------------------------------------------------------
if ! command -v cargo >/dev/null; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    log "installing Rust with rustup"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --default-toolchain 1.95.0 -c rustfmt -c clippy
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
fi

# --- Node.js and the UI's packages (Vite 8 needs Node 20.19 or newer) ---------------------
node_ok() { command -v node >/dev/null && node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; }
if ! node_ok; then
  log "installing Node.js from Debian's packages"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  node_ok || { log "Node.js $(node --version 2>/dev/null) is too old for the UI build: install Node.js 20.19 or newer"; exit 1; }
fi
here="$(cd "$(dirname "$0")/.." && pwd)"
if [ ! -d "$here/ui/node_modules" ] || [ "$here/ui/package-lock.json" -nt "$here/ui/node_modules/.package-lock.json" ]; then
  log "installing the UI's npm packages"
  (cd "$here/ui" && npm ci --no-audit --no-fund --loglevel=error)
fi

if [ "$want_kafka" = 1 ]; then
  # --- Apache Kafka (broker, admin tools, MirrorMaker 2) from Maven Central --------------
  # Pinned in packaging/kafka/pom.xml; the jars go to $cache/kafka-<version>/libs.
  log "Apache Kafka jars: $(PURSER_CACHE="$cache" "$here/packaging/kafka/fetch-jars.sh")"
fi
[ "$want_test" = 1 ] || exit 0

# --- Python test client (kafka-python: a Kafka client independent of librdkafka) -------
venv="$cache/venv"
# jsonschema checks what arrived against schemas/ (tests/validate_events.py).
if ! "$venv/bin/python" -c 'import kafka, lz4, jsonschema' 2>/dev/null; then
  log "creating $venv with kafka-python, lz4 and jsonschema"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check kafka-python==3.0.12 lz4==4.4.5 jsonschema==4.23.0
fi

# --- tauri-driver: WebDriver for the Tauri window (drives WebKitWebDriver) --------------
if ! command -v tauri-driver >/dev/null; then
  log "installing tauri-driver 2 from crates.io"
  cargo install tauri-driver --version '^2' --locked --quiet
fi
log "ready"
