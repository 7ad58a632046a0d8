#!/usr/bin/env bash
# Runs one of Apache Kafka's main classes from the jars that packaging/kafka/fetch-jars.sh
# resolved from Maven Central, for machines that have no Kafka release unpacked. The
# kafka-*.sh scripts beside this one are thin wrappers over it, named and used like
# Kafka's own bin/ scripts, so topics.sh and acls.sh run with KAFKA_BIN=packaging/kafka/bin.
#
#   KAFKA_LIBS          folder of the jars (default: what fetch-jars.sh prints for the cache)
#   KAFKA_HEAP_OPTS     JVM heap (default -Xmx256m; the broker's wrapper sets its own)
#   KAFKA_JVM_PERFORMANCE_OPTS  GC and JIT (default: a quick start for short-lived tools)
#   KAFKA_JVM_OPTS      more JVM options
#   KAFKA_LOG4J_CONFIG  a Log4j 2 configuration (default: warnings and errors to stderr)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ $# -ge 1 ] || { echo "usage: kafka-run-class.sh MAIN-CLASS [ARGS...]" >&2; exit 2; }
main="$1"; shift
libs="${KAFKA_LIBS:-$("$here/../fetch-jars.sh" --print-dir)}"
if ! compgen -G "$libs/kafka-clients-*.jar" >/dev/null; then
  echo "kafka-run-class.sh: no Kafka jars in $libs: run packaging/kafka/fetch-jars.sh (or scripts/setup.sh --test), or set KAFKA_LIBS" >&2
  exit 1
fi
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
# shellcheck disable=SC2086  # the option variables hold several words on purpose
exec "$java" ${KAFKA_HEAP_OPTS:--Xmx256m} ${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto} ${KAFKA_JVM_OPTS:-} \
  -Dlog4j2.configurationFile="${KAFKA_LOG4J_CONFIG:-$here/log4j2-tools.properties}" \
  -cp "$libs/*" "$main" "$@"
