#!/usr/bin/env bash
# Alters and describes configurations and SCRAM credentials (kafka-configs.sh).
exec "$(dirname "${BASH_SOURCE[0]}")/kafka-run-class.sh" kafka.admin.ConfigCommand "$@"
