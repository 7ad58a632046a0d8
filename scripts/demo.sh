#!/usr/bin/env bash
# Sets up what is missing, then opens the till window on the embedded demo store: an
# in-process Kafka-protocol broker that the demo catalog (a few hundred products with
# valid barcodes), stock and loyalty members are published to, and demo users
# (ana 1234 cashier, ben 2468 supervisor, mia 1357 manager).
#
#   scripts/demo.sh              the window
#   scripts/demo.sh --scripted   the headless scripted day at the till (`purser demo`)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
if [ "${1:-}" = "--scripted" ]; then
  shift
  exec cargo run --release --locked -q -p purser-cli --bin purser -- demo "$@"
fi
(cd ui && npm run --silent build)
cargo build --release --locked -q -p purser-desktop
exec "${CARGO_TARGET_DIR:-target}/release/purser-desktop" --demo "$@"
