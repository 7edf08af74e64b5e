"""Validation time, in this fresh process, with a typed collection's own Lambda code.

Run as a script, never imported: the code folder goes first on sys.path and its
``item_service`` package (the runtime, its generated validator, the vendored
fastjsonschema) is imported as Lambda imports it. Usage:
``python -B validation_child.py CODE_DIR BODIES_FILE REPEATS``, where BODIES_FILE maps
names to JSON bodies (as text). Prints one JSON line: the seconds that loading the
validator took, then per body its size, the errors found and, per repeat, the seconds
``parse_body`` and the schema's ``check`` took.
"""

import json
import sys
import time


def main() -> None:
    code_dir, bodies_file, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
    sys.path.insert(0, code_dir)
    with open(bodies_file) as file:
        bodies = {name: text.encode() for name, text in json.load(file).items()}

    from item_service import schema
    from item_service.documents import parse_body
    from item_service.errors import InvalidBody

    started = time.perf_counter()
    validator = schema.load()
    load_seconds = time.perf_counter() - started
    if validator is None:
        raise SystemExit(f"{code_dir} has no generated validator")

    def check(data: object) -> int:
        """The schema's check, as the function runs it; the number of failing fields."""
        try:
            validator.check(data)
        except InvalidBody as failure:
            return len(failure.details)
        return 0

    results = {
        name: {"bytes": len(raw), "errors": check(parse_body(raw).data), "parse": [], "check": []}
        for name, raw in bodies.items()
    }
    names = list(bodies)
    for repeat in range(repeats):
        # Rotate the order, so no body always runs right after another.
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            started = time.perf_counter()
            body = parse_body(bodies[name])
            parsed = time.perf_counter()
            check(body.data)
            checked = time.perf_counter()
            results[name]["parse"].append(parsed - started)
            results[name]["check"].append(checked - parsed)
            # Freed now, untimed: else the next body's parse would pay for freeing this one.
            del body
    print(json.dumps({"load_seconds": load_seconds, "bodies": results}), flush=True)


if __name__ == "__main__":
    main()
