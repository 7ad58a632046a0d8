#!/usr/bin/env bash
# Prints partition offsets (kafka-get-offsets.sh).
exec "$(dirname "${BASH_SOURCE[0]}")/kafka-run-class.sh" org.apache.kafka.tools.GetOffsetShell "$@"
