#!/usr/bin/env bash
# Grants one till exactly what it needs, and nothing else:
#   write (and idempotent write) to its event topics, read on the reference topics.
#
#   packaging/kafka/acls.sh --bootstrap kafka-1:9093 --command-config admin.properties \
#       --principal User:till-S042-T3            # SASL/SCRAM user
#   packaging/kafka/acls.sh ... --principal 'User:CN=till-S042-T3,OU=tills,O=Example'  # mTLS
#   packaging/kafka/acls.sh ... --scram-user till-S042-T3 --password-file pw.txt   # also create the SCRAM credential
#   add --dry-run to print the commands instead of running them.
#
# Needs Apache Kafka's bin/kafka-acls.sh and kafka-configs.sh (or KAFKA_BIN=/opt/kafka/bin).
set -euo pipefail

bootstrap="" command_config="" principal="" scram_user="" password_file="" dry_run=0
while [ $# -gt 0 ]; do
  case "$1" in
    --bootstrap) bootstrap="$2"; shift 2 ;;
    --command-config) command_config="$2"; shift 2 ;;
    --principal) principal="$2"; shift 2 ;;
    --scram-user) scram_user="$2"; principal="User:$2"; shift 2 ;;
    --password-file) password_file="$2"; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "acls.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -n "$bootstrap" ] && [ -n "$principal" ] || { echo "acls.sh: --bootstrap and --principal (or --scram-user) are required" >&2; exit 2; }
bin="${KAFKA_BIN:+$KAFKA_BIN/}"
common=(--bootstrap-server "$bootstrap")
[ -n "$command_config" ] && common+=(--command-config "$command_config")

run() {
  if [ "$dry_run" = 1 ]; then printf '%q ' "$@"; echo; else "$@"; fi
}

if [ -n "$scram_user" ]; then
  [ -n "$password_file" ] || { echo "acls.sh: --scram-user needs --password-file" >&2; exit 2; }
  pw=$(tr -d '\n' < "$password_file")
  run "${bin}kafka-configs.sh" "${common[@]}" --alter --entity-type users --entity-name "$scram_user" \
      --add-config "SCRAM-SHA-512=[iterations=8192,password=$pw]"
fi

# The till's own events: write, idempotently (the relay's producer needs both).
for t in pos.payments.v1 pos.tills.v1 pos.loyalty.v1; do
  run "${bin}kafka-acls.sh" "${common[@]}" --add --allow-principal "$principal" \
      --operation Write --operation Describe --topic "$t"
done
run "${bin}kafka-acls.sh" "${common[@]}" --add --allow-principal "$principal" --operation IdempotentWrite --cluster
# Reference data: read only. Tills assign partitions and keep their offsets in their own
# database, so they need no consumer-group rights.
for t in pos.catalog.v1 pos.inventory.v1 pos.loyalty-accounts.v1; do
  run "${bin}kafka-acls.sh" "${common[@]}" --add --allow-principal "$principal" \
      --operation Read --operation Describe --topic "$t"
done
