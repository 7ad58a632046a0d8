#!/usr/bin/env bash
# Creates the store's Purser topics with their cleanup policies and retention, if missing.
# The same specification as `purser topics ensure` (crates/purser-stream/src/admin.rs).
#
#   packaging/kafka/topics.sh --bootstrap kafka-1:9092 [--partitions 3] [--replication 3]
#                             [--command-config admin.properties] [--dry-run]
#
# Needs Apache Kafka's bin/kafka-topics.sh on PATH (or KAFKA_BIN=/opt/kafka/bin).
set -euo pipefail

bootstrap="" partitions=3 replication=3 command_config="" dry_run=0
while [ $# -gt 0 ]; do
  case "$1" in
    --bootstrap) bootstrap="$2"; shift 2 ;;
    --partitions) partitions="$2"; shift 2 ;;
    --replication) replication="$2"; shift 2 ;;
    --command-config) command_config="$2"; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "topics.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -n "$bootstrap" ] || { echo "topics.sh: --bootstrap host:port is required" >&2; exit 2; }
kafka_topics="${KAFKA_BIN:+$KAFKA_BIN/}kafka-topics.sh"

day=86400000
# name | cleanup.policy | extra configs
# Till topics keep events far longer than the longest expected outage (a ship weeks at
# sea) plus replication lag; reference topics are compacted, tombstones kept a day.
specs=(
  "pos.payments.v1|delete|retention.ms=$((400 * day)),min.insync.replicas=$(( replication > 1 ? 2 : 1 ))"
  "pos.tills.v1|delete|retention.ms=$((90 * day)),min.insync.replicas=$(( replication > 1 ? 2 : 1 ))"
  "pos.loyalty.v1|delete|retention.ms=$((400 * day)),min.insync.replicas=$(( replication > 1 ? 2 : 1 ))"
  "pos.catalog.v1|compact|delete.retention.ms=$day,min.compaction.lag.ms=3600000"
  "pos.inventory.v1|compact|delete.retention.ms=$day,min.compaction.lag.ms=3600000"
  "pos.loyalty-accounts.v1|compact|delete.retention.ms=$day,min.compaction.lag.ms=3600000"
  "pos.reconciliation.v1|compact|delete.retention.ms=$day,min.compaction.lag.ms=3600000"
)

for spec in "${specs[@]}"; do
  IFS='|' read -r name policy extra <<<"$spec"
  cmd=("$kafka_topics" --bootstrap-server "$bootstrap" --create --if-not-exists --topic "$name"
       --partitions "$partitions" --replication-factor "$replication" --config "cleanup.policy=$policy")
  IFS=',' read -ra configs <<<"$extra"
  for c in "${configs[@]}"; do cmd+=(--config "$c"); done
  [ -n "$command_config" ] && cmd+=(--command-config "$command_config")
  if [ "$dry_run" = 1 ]; then
    printf '%q ' "${cmd[@]}"; echo
  else
    "${cmd[@]}"
  fi
done
