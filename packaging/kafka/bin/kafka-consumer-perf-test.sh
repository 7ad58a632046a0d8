#!/usr/bin/env bash
# Kafka's consumer benchmark (kafka-consumer-perf-test.sh).
exec "$(dirname "${BASH_SOURCE[0]}")/kafka-run-class.sh" org.apache.kafka.tools.ConsumerPerformance "$@"
