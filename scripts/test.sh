#!/usr/bin/env bash
# Sets up what is missing, then runs every check CI runs: the UI's type check and unit
# tests, formatting, clippy with warnings denied, the whole test suite (the schema drift
# check, the mock-cluster relay tests, the end-to-end, security and fault tests against
# Apache Kafka started from packaging/kafka/ and read back by kafka-python, and the crash
# loop), the window's end-to-end tests under Xvfb, and the package install test.
#
# PURSER_TEST_KAFKA=host:port runs the plain broker tests against that Kafka instead of
# one started here (the security and fault tests always start their own clusters).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
export PATH="$HOME/.cargo/bin:$PATH"
export PURSER_PYTHON="${PURSER_CACHE:-$HOME/.cache/purser}/venv/bin/python"

target="${CARGO_TARGET_DIR:-$PWD/target}"

echo "== UI: type check, unit tests, build (the window embeds ui/dist)"
(cd ui && npm run --silent check && npm test --silent && npm run --silent build)

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings
# Every tier: the plain one (what `cargo test` runs on a machine with only Rust), and with
# --all-features the broker (Apache Kafka, kafka-python), PostgreSQL and crash tiers.
echo "== cargo test, every tier (schemas drift, domain, storage, relay, CLI, end-to-end, crash loop)"
cargo test --workspace --all-features --locked

echo "== the window: release build, then end-to-end tests under Xvfb (tauri-driver + WebKitWebDriver)"
cargo build --release --locked -p purser-desktop -p purser-cli
cargo build --locked -p purser-testkit --bin purser-test-kafka
PURSER_DESKTOP="$target/release/purser-desktop" PURSER_CLI="$target/release/purser" \
  xvfb-run -a -s "-screen 0 1366x768x24" node --test --test-concurrency=1 --test-timeout=900000 tests/e2e/

echo "== packages (.deb, .rpm), then the install test in a clean Debian 12 root"
packaging/build.sh
deb="$(grep '\.deb$' "$target/release/bundle/packages.txt")"
if [ "$(id -u)" -eq 0 ]; then
  tests/packaging/install_test.sh "$deb"
else
  sudo --preserve-env=PURSER_CACHE tests/packaging/install_test.sh "$deb"
fi
