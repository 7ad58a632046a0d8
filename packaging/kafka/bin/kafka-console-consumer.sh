#!/usr/bin/env bash
# Prints a topic's records (kafka-console-consumer.sh).
exec "$(dirname "${BASH_SOURCE[0]}")/kafka-run-class.sh" org.apache.kafka.tools.consumer.ConsoleConsumer "$@"
