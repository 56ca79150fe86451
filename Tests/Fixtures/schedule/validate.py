#!/usr/bin/env python3
"""Validates a schedule.json against a c3voc JSON schema (draft 6), one error per line.

usage: validate.py SCHEMA DOCUMENT [--formats]
The c3voc schema.json carries `// TODO` comment lines (not JSON): lines starting with // are
dropped before loading it. With --formats, `format` keywords (date-time, uuid, uri) are asserted.
Exit 0: valid; 1: invalid (errors on stdout); 2: could not run.
"""
import json
import sys

try:
    import jsonschema
except ImportError:
    print("python3-jsonschema is missing: run scripts/setup-deps", file=sys.stderr)
    sys.exit(2)

schema_path, document_path = sys.argv[1], sys.argv[2]
with open(schema_path, encoding="utf-8") as f:
    schema = json.loads("".join(line for line in f if not line.lstrip().startswith("//")))
with open(document_path, encoding="utf-8") as f:
    document = json.load(f)
checker = jsonschema.FormatChecker() if "--formats" in sys.argv else None
validator = jsonschema.Draft6Validator(schema, format_checker=checker)
errors = sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
for e in errors:
    print("$" + "".join(f"[{p!r}]" for p in e.absolute_path) + ": " + e.message[:300])
sys.exit(1 if errors else 0)
