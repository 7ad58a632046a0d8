#!/usr/bin/env bash
# Sets up what is missing, then opens the till window on the embedded demo store: an
# in-process Kafka-protocol broker that the demo catalog (a few hundred products with
# valid barcodes), stock and loyalty members are published to, and demo users
# (ana 1234 cashier, ben 2468 supervisor, mia 1357 manager).
#
#   scripts/demo.sh              the window
#   scripts/demo.sh --scripted   the headless scripted day at the till (`purser demo`)
#   scripts/demo.sh --second-till   a second till (TILL-2) beside a running demo window, on
#                                the first one's embedded broker (its address is in
#                                <data dir>/demo/broker.txt); sign in as mia for the store view
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
if [ "${1:-}" = "--scripted" ]; then
  shift
  exec cargo run --release --locked -q -p purser-cli --bin purser -- demo "$@"
fi
if [ "${1:-}" = "--second-till" ]; then
  shift
  first="${PURSER_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/purser}/demo/broker.txt"
  if [ ! -s "$first" ]; then
    echo "start the first demo window first (scripts/demo.sh): $first is missing" >&2
    exit 1
  fi
  export PURSER_DEMO_BOOTSTRAP="$(cat "$first")"
  export PURSER_DEMO_TILL="${PURSER_DEMO_TILL:-TILL-2}"
  export PURSER_DATA_DIR="${PURSER_SECOND_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/purser-till2}"
fi
(cd ui && npm run --silent build)
cargo build --release --locked -q -p purser-desktop
exec "${CARGO_TARGET_DIR:-target}/release/purser-desktop" --demo "$@"
