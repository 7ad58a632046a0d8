#!/usr/bin/env bash
# Resolves Apache Kafka (broker, admin tools, MirrorMaker 2) and a logging binding from
# Maven Central with `mvn dependency:copy-dependencies`, as pinned in pom.xml beside this
# file, into a folder outside any clone. Idempotent: a complete folder is kept.
#
#   packaging/kafka/fetch-jars.sh              resolve if missing, print the folder
#   packaging/kafka/fetch-jars.sh --print-dir  only print where the jars go
#
# Folder: $KAFKA_LIBS, else ${PURSER_CACHE:-~/.cache/purser}/kafka-<version>/libs.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")"
[ -n "$version" ] || { echo "fetch-jars.sh: no <kafka.version> in $here/pom.xml" >&2; exit 1; }
dir="${KAFKA_LIBS:-${PURSER_CACHE:-$HOME/.cache/purser}/kafka-$version/libs}"
if [ "${1:-}" = "--print-dir" ]; then echo "$dir"; exit 0; fi
stamp="$dir/.complete-$(sha256sum "$here/pom.xml" | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  command -v mvn >/dev/null || { echo "fetch-jars.sh: Maven (mvn) is needed to resolve Kafka's jars" >&2; exit 1; }
  echo "fetch-jars.sh: resolving Apache Kafka $version from Maven Central into $dir" >&2
  rm -rf "$dir.tmp"
  mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
      -DoutputDirectory="$dir.tmp" >&2
  rm -rf "$dir"; mkdir -p "$(dirname "$dir")"; mv "$dir.tmp" "$dir"
  touch "$stamp"
fi
echo "$dir"
