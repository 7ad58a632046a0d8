#!/usr/bin/env bash
# Creates, lists and describes topics (kafka-topics.sh).
exec "$(dirname "${BASH_SOURCE[0]}")/kafka-run-class.sh" org.apache.kafka.tools.TopicCommand "$@"
