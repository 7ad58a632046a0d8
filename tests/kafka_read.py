#!/usr/bin/env python3
"""Read whole Kafka topics with kafka-python, a client independent of librdkafka, and
print one JSON object per record: topic, partition, offset, key, headers and the value.

Used by the end-to-end tests to check what really arrived on the broker.

    python3 tests/kafka_read.py --bootstrap 127.0.0.1:9092 --topic pos.payments.v1
    python3 tests/kafka_read.py --bootstrap 127.0.0.1:9094 --topic pos.payments.v1 \
        --security-protocol SASL_SSL --sasl-mechanism SCRAM-SHA-512 \
        --sasl-username admin --sasl-password-env KAFKA_PASSWORD --ssl-cafile ca.pem
"""
import argparse
import json
import os
import sys
import time

from kafka import KafkaConsumer, TopicPartition


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--topic", action="append", required=True)
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--security-protocol", default="PLAINTEXT")
    ap.add_argument("--sasl-mechanism")
    ap.add_argument("--sasl-username")
    ap.add_argument("--sasl-password-env", help="name of the variable holding the password")
    ap.add_argument("--ssl-cafile")
    args = ap.parse_args()

    security = {"security_protocol": args.security_protocol}
    if args.sasl_mechanism:
        security.update(
            sasl_mechanism=args.sasl_mechanism,
            sasl_plain_username=args.sasl_username,
            sasl_plain_password=os.environ.get(args.sasl_password_env or "", ""),
        )
    if args.ssl_cafile:
        security["ssl_cafile"] = args.ssl_cafile
    consumer = KafkaConsumer(
        bootstrap_servers=args.bootstrap,
        enable_auto_commit=False,
        group_id=None,
        auto_offset_reset="earliest",
        request_timeout_ms=30000,
        **security,
    )
    deadline = time.monotonic() + args.timeout
    tps = []
    for topic in args.topic:
        parts = None
        while parts is None and time.monotonic() < deadline:
            parts = consumer.partitions_for_topic(topic)
            if parts is None:
                consumer.topics()
                time.sleep(0.2)
        if parts is None:
            print(f"topic {topic} not found", file=sys.stderr)
            return 2
        tps.extend(TopicPartition(topic, p) for p in sorted(parts))
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    end = consumer.end_offsets(tps)
    remaining = {tp for tp in tps if end[tp] > 0}
    while remaining:
        if time.monotonic() > deadline:
            print(f"timed out; still reading {sorted(str(tp) for tp in remaining)}", file=sys.stderr)
            return 3
        for tp, records in consumer.poll(timeout_ms=500).items():
            for r in records:
                print(json.dumps({
                    "topic": r.topic,
                    "partition": r.partition,
                    "offset": r.offset,
                    "key": r.key.decode() if r.key is not None else None,
                    "headers": {k: v.decode() for k, v in (r.headers or [])},
                    "value": json.loads(r.value.decode()),
                }))
            if tp in remaining and consumer.position(tp) >= end[tp]:
                remaining.discard(tp)
        for tp in list(remaining):
            if consumer.position(tp) >= end[tp]:
                remaining.discard(tp)
    consumer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
