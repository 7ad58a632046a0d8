#!/usr/bin/env bash
# Starts a Kafka node (broker and/or KRaft controller) in the foreground from its
# properties file: kafka-server-start.sh server.properties. Logs go to stdout.
# Heap: KAFKA_HEAP_OPTS (default -Xms256m -Xmx1g; a shop's server can give it more).
here="$(dirname "${BASH_SOURCE[0]}")"
export KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}"
export KAFKA_JVM_PERFORMANCE_OPTS="${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExplicitGCInvokesConcurrent}"
export KAFKA_LOG4J_CONFIG="${KAFKA_LOG4J_CONFIG:-$here/log4j2-server.properties}"
exec "$here/kafka-run-class.sh" kafka.Kafka "$@"
