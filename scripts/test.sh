#!/usr/bin/env bash
# Sets up what is missing, then runs every check CI runs: formatting, clippy with
# warnings denied, and the whole test suite (which includes the schema drift check, the
# mock-cluster relay tests, the end-to-end test against tansu read back by kafka-python,
# and the crash loop).
#
# PURSER_TEST_KAFKA=host:port runs the broker tests against that Kafka instead of tansu.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
export PATH="$HOME/.cargo/bin:$PATH"
export PURSER_PYTHON="${PURSER_CACHE:-$HOME/.cache/purser}/venv/bin/python"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test (schemas drift, domain, storage, relay, CLI, end-to-end, crash loop)"
cargo test --workspace --locked
