#!/usr/bin/env bash
# Runs Apache Kafka on this machine from the edge kit's own files (packaging/kafka/), for
# trying the till on a real broker or running the tests against it by hand. It stays in
# the foreground; Ctrl-C (or Ctrl-D) stops it and removes its data.
#
#   scripts/kafka.sh                 one node, PLAINTEXT, the store's topics created by topics.sh
#   scripts/kafka.sh --nodes 3       three nodes: SASL_SSL (SCRAM) and mutual TLS, ACLs on
#   scripts/kafka.sh --json          the connection details as one JSON line
#
# Then, in another terminal:  PURSER_TEST_KAFKA=<bootstrap> cargo test   (one node), or
# PURSER_DEMO_BOOTSTRAP=<bootstrap> scripts/demo.sh  (the demo store on this Kafka).
set -euo pipefail
cd "$(dirname "$0")/.."
packaging/kafka/fetch-jars.sh >/dev/null
exec cargo run -q --locked -p purser-testkit --bin purser-test-kafka -- --topics "$@"
