#!/usr/bin/env bash
# Deletes records below an offset (kafka-delete-records.sh).
exec "$(dirname "${BASH_SOURCE[0]}")/kafka-run-class.sh" org.apache.kafka.tools.DeleteRecordsCommand "$@"
