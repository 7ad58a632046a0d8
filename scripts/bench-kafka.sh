#!/usr/bin/env bash
# The benchmarks on Apache Kafka: one node started from the edge kit (packaging/kafka/),
# then each benchmark against its baseline measured in the same run (docs/benchmarks.md):
#   relay drain vs the raw rdkafka idempotent producer and Kafka's own producer perf tool,
#   a 1,000,000-event backlog drained, streams in vs a raw consumer, sale → manager's figures.
#
#   scripts/bench-kafka.sh [--quick]       (--quick: smaller counts, to try it out)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --kafka >/dev/null
export PATH="$HOME/.cargo/bin:$PATH"
target="${CARGO_TARGET_DIR:-$PWD/target}"
# The same set as scripts/test.sh builds, so both share one release build.
cargo build --release --locked -q -p purser-desktop -p purser-cli
cargo build --locked -q -p purser-testkit --bin purser-test-kafka
relay_events=100000 backlog=1000000 products=100000 sales=200
if [ "${1:-}" = "--quick" ]; then relay_events=20000 backlog=100000 products=20000 sales=50; fi

work="$(mktemp -d)"
mkfifo "$work/ctl"
"$target/debug/purser-test-kafka" --heap "-Xms1g -Xmx1g" <"$work/ctl" >"$work/kafka.out" 2>"$work/kafka.log" &
kpid=$!
exec 3>"$work/ctl"
cleanup() { exec 3>&-; wait "$kpid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 1 240); do
  grep -q "bootstrap" "$work/kafka.out" 2>/dev/null && break
  kill -0 "$kpid" 2>/dev/null || { cat "$work/kafka.log" >&2; exit 1; }
  sleep 0.5
done
bootstrap="$(sed -n 's/^Apache Kafka is up: bootstrap //p' "$work/kafka.out")"
[ -n "$bootstrap" ] || { echo "Apache Kafka did not start" >&2; exit 1; }
export KAFKA_LIBS="$(packaging/kafka/fetch-jars.sh --print-dir)"
purser="$target/release/purser"
echo "== Apache Kafka $(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' packaging/kafka/pom.xml), one node from packaging/kafka/kraft/single-node, at $bootstrap"
echo "== relay drain vs raw producer vs Kafka's producer perf tool"
"$purser" bench relay --bootstrap "$bootstrap" --events "$relay_events" --rounds 2 \
  --kafka-perf packaging/kafka/bin/kafka-producer-perf-test.sh --dir "$work/relay"
echo "== a backlog of $backlog events (three weeks at sea)"
"$purser" bench relay --bootstrap "$bootstrap" --events "$backlog" --rounds 1 --dir "$work/backlog"
rm -rf "$work/relay" "$work/backlog"
echo "== streams in vs a raw consumer"
"$purser" bench streams --bootstrap "$bootstrap" --products "$products" --dir "$work/streams"
echo "== sale → manager's figures"
"$purser" bench report-latency --bootstrap "$bootstrap" --sales "$sales" --dir "$work/report"
