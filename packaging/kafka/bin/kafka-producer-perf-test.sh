#!/usr/bin/env bash
# Kafka's producer benchmark (kafka-producer-perf-test.sh).
exec "$(dirname "${BASH_SOURCE[0]}")/kafka-run-class.sh" org.apache.kafka.tools.ProducerPerformance "$@"
