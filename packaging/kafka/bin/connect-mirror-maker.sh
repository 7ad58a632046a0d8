#!/usr/bin/env bash
# Runs MirrorMaker 2 in its dedicated mode: connect-mirror-maker.sh mm2.properties
here="$(dirname "${BASH_SOURCE[0]}")"
export KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}"
export KAFKA_JVM_PERFORMANCE_OPTS="${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20}"
export KAFKA_LOG4J_CONFIG="${KAFKA_LOG4J_CONFIG:-$here/log4j2-server.properties}"
exec "$here/kafka-run-class.sh" org.apache.kafka.connect.mirror.MirrorMaker "$@"
