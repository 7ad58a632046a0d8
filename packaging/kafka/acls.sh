#!/usr/bin/env bash
# Grants one till exactly what it needs, and nothing else:
#   write its event topics, read the reference topics, and describe the configuration of
#   both (the till checks cleanup policies and tombstone retention). Nothing on the cluster,
#   no consumer groups.
#
#   packaging/kafka/acls.sh --bootstrap kafka-1:9094 --command-config admin.properties \
#       --principal User:till-S042-T3            # a SASL/SCRAM user, or a certificate's CN
#   packaging/kafka/acls.sh ... --scram-user till-S042-T3 --password-file pw.txt   # also create the SCRAM credential
#   packaging/kafka/acls.sh ... --store-view     # also read every till's events (the manager's Store screen)
#   add --dry-run to print the commands instead of running them.
#
# Mutual TLS: the kit's brokers map a certificate's subject to its CN
# (ssl.principal.mapping.rules), so "CN=till-S042-T3,OU=tills,O=Example" is User:till-S042-T3.
# Needs Apache Kafka's bin/kafka-acls.sh and kafka-configs.sh (or KAFKA_BIN=/opt/kafka/bin).
set -euo pipefail

bootstrap="" command_config="" principal="" scram_user="" password_file="" dry_run=0 store_view=0
while [ $# -gt 0 ]; do
  case "$1" in
    --bootstrap) bootstrap="$2"; shift 2 ;;
    --command-config) command_config="$2"; shift 2 ;;
    --principal) principal="$2"; shift 2 ;;
    --scram-user) scram_user="$2"; principal="User:$2"; shift 2 ;;
    --password-file) password_file="$2"; shift 2 ;;
    --store-view) store_view=1; shift ;;
    --dry-run) dry_run=1; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
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

till_topics=(--topic pos.payments.v1 --topic pos.tills.v1 --topic pos.loyalty.v1)
reference_topics=(--topic pos.catalog.v1 --topic pos.inventory.v1 --topic pos.loyalty-accounts.v1 --topic pos.reconciliation.v1)

# The till's own events: write. The relay's idempotent producer also needs a producer id,
# which Kafka (3.0 and later, KIP-679) grants any principal with Write on a topic, so no
# cluster-wide IdempotentWrite. DescribeConfigs: `purser doctor` checks each topic's
# cleanup policy and retention.
run "${bin}kafka-acls.sh" "${common[@]}" --add --allow-principal "$principal" \
    --operation Write --operation Describe --operation DescribeConfigs "${till_topics[@]}"
# Reference data: read only. Tills assign partitions and keep their offsets in their own
# database, so they need no consumer-group rights. DescribeConfigs: the till asks each
# topic's delete.retention.ms (a till away longer rebuilds its view from the start).
run "${bin}kafka-acls.sh" "${common[@]}" --add --allow-principal "$principal" \
    --operation Read --operation Describe --operation DescribeConfigs "${reference_topics[@]}"
# The manager's Store screen (in every till's window) reads every till's events of the
# store. Only for tills where managers look at it: it lets the till read all sales.
if [ "$store_view" = 1 ]; then
  run "${bin}kafka-acls.sh" "${common[@]}" --add --allow-principal "$principal" \
      --operation Read "${till_topics[@]}"
fi
