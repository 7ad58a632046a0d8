#!/usr/bin/env bash
# Sets up what is missing and runs the demo store: a scripted day at a bar till, relayed
# to an embedded Kafka-protocol broker, printed as it goes. Extra arguments go to
# `purser demo` (see `--help`), e.g. scripts/demo.sh --sales 100 --fast
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
cargo run --release --locked -q -p purser-cli --bin purser -- demo "$@"
