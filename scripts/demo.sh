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
#   scripts/demo.sh --kafka      the same demo store on Apache Kafka: one node started here
#                                from packaging/kafka/ (topics by topics.sh), stopped with the
#                                window; the till's files in <data>/purser-kafka-demo, begun
#                                afresh each time like its Kafka
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
kafka=0
if [ "${1:-}" = "--kafka" ]; then
  shift
  kafka=1
  scripts/setup.sh --kafka
fi
(cd ui && npm run --silent build)
cargo build --release --locked -q -p purser-desktop
app="${CARGO_TARGET_DIR:-target}/release/purser-desktop"
[ "$kafka" = 1 ] || exec "$app" --demo "$@"

# The demo store on Apache Kafka: the broker runs as long as its stdin (a fifo held by this
# script) stays open.
cargo build --locked -q -p purser-testkit --bin purser-test-kafka
work="$(mktemp -d)"
mkfifo "$work/ctl"
"${CARGO_TARGET_DIR:-target}/debug/purser-test-kafka" --topics <"$work/ctl" >"$work/kafka.out" 2>"$work/kafka.log" &
kpid=$!
exec 3>"$work/ctl"
cleanup() { exec 3>&-; wait "$kpid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 1 240); do
  grep -q "bootstrap" "$work/kafka.out" 2>/dev/null && break
  kill -0 "$kpid" 2>/dev/null || { cat "$work/kafka.log" >&2; echo "Apache Kafka did not start" >&2; exit 1; }
  sleep 0.5
done
bootstrap="$(sed -n 's/^Apache Kafka is up: bootstrap //p' "$work/kafka.out")"
[ -n "$bootstrap" ] || { cat "$work/kafka.log" >&2; echo "Apache Kafka did not start within 2 minutes" >&2; exit 1; }
echo "Apache Kafka (from packaging/kafka/) at $bootstrap"
export PURSER_DATA_DIR="${XDG_DATA_HOME:-$HOME/.local/share}/purser-kafka-demo"
rm -rf "$PURSER_DATA_DIR"
PURSER_DEMO_BOOTSTRAP="$bootstrap" "$app" --demo "$@"
