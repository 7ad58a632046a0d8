#!/usr/bin/env python3
"""Validate till events against the contract's JSON Schemas with `jsonschema` (PyPI), an
implementation independent of the Rust one that generated and checks them.

Reads one event value (a JSON object) per line on standard input; each is checked against
`schemas/<event_type>.v<schema_version>.schema.json`. Prints one line per problem and exits 1
if there is any, 0 when every event validates.

    python3 tests/kafka_read.py ... | jq -c .value | python3 tests/validate_events.py
"""
import json
import pathlib
import sys

from jsonschema import Draft202012Validator

SCHEMAS = pathlib.Path(__file__).resolve().parent.parent / "schemas"


def main() -> int:
    validators = {}
    problems = 0
    checked = 0
    for n, line in enumerate(sys.stdin, 1):
        line = line.strip()
        if not line:
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError as e:
            print(f"line {n}: not JSON: {e}")
            problems += 1
            continue
        name = f"{event.get('event_type')}.v{event.get('schema_version')}"
        if name not in validators:
            path = SCHEMAS / f"{name}.schema.json"
            if not path.exists():
                print(f"line {n}: no schema {path.name} for this event")
                problems += 1
                continue
            validators[name] = Draft202012Validator(json.loads(path.read_text()))
        for err in validators[name].iter_errors(event):
            where = "/".join(str(p) for p in err.absolute_path) or "(top)"
            print(f"line {n} ({name} {event.get('event_id')}): {where}: {err.message}")
            problems += 1
        checked += 1
    print(f"{checked} events checked, {problems} problems", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
