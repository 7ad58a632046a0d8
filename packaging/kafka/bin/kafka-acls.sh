#!/usr/bin/env bash
# Adds, lists and removes ACLs (kafka-acls.sh).
exec "$(dirname "${BASH_SOURCE[0]}")/kafka-run-class.sh" org.apache.kafka.tools.AclCommand "$@"
