#!/usr/bin/env bash
# Formats a KRaft node's storage (kafka-storage.sh).
exec "$(dirname "${BASH_SOURCE[0]}")/kafka-run-class.sh" kafka.tools.StorageTool "$@"
