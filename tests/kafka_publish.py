#!/usr/bin/env python3
"""Publish records to a Kafka topic with kafka-python, a client independent of
librdkafka. Reads one JSON object per line on stdin: {"key": "...", "value": ...}, where
value is a JSON value to send as JSON, a string sent verbatim ("raw"), or null for a
tombstone.

    echo '{"key": "ESP", "value": {...}}' | python3 tests/kafka_publish.py --bootstrap 127.0.0.1:9092 --topic pos.catalog.v1
"""
import argparse
import json
import sys

from kafka import KafkaProducer


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--topic", required=True)
    args = ap.parse_args()
    producer = KafkaProducer(bootstrap_servers=args.bootstrap, acks="all", retries=5)
    sent = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        rec = json.loads(line)
        key = rec["key"].encode() if rec.get("key") is not None else None
        value = rec.get("value")
        if value is None:
            payload = None
        elif isinstance(value, str) and rec.get("raw"):
            payload = value.encode()
        else:
            payload = json.dumps(value).encode()
        producer.send(args.topic, key=key, value=payload).get(timeout=30)
        sent += 1
    producer.flush()
    producer.close()
    print(f"sent {sent}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
