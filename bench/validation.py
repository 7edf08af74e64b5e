"""Validation time: a typed collection's function checking bodies against its schema.

The 30-property product schema (``product.py``), valid and invalid bodies of about
1 KB and 100 KB, checked as the function checks a POST or PUT body: ``parse_body`` (JSON
to Decimals, DynamoDB's limits), then the schema module's ``Schema.check``, which
converts the numbers for the generated code, validates, and collects every failing
field. It runs in a fresh process with the asset the library builds for the schema
(``validation_child.py``), so the generated validator and the vendored fastjsonschema
are what Lambda would import. Nothing to compare with: reported, as medians of repeats.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cdk_serverless_crud.assets import SCHEMA_MODULE, collection_asset

from .common import REPO, median, tool_environment
from .product import PRODUCT_SCHEMA, expected_errors, invalid_product_body, product_body

CHILD = REPO / "bench" / "validation_child.py"
SIZES = {"1 KB": 1024, "100 KB": 100 * 1024}


@dataclass
class BodyTimes:
    """One body: its size, the failing fields found, and the seconds of each repeat."""

    bytes: int
    errors: int
    expected_errors: int
    parse: list[float] = field(default_factory=list)
    check: list[float] = field(default_factory=list)

    @property
    def median_check(self) -> float:
        return median(self.check)

    @property
    def median_parse(self) -> float:
        return median(self.parse)


@dataclass
class ValidationResult:
    """Per body (``"1 KB valid"``...), its times; and the validator's cold import."""

    repeats: int
    load_seconds: float = 0.0
    properties: int = 0
    validator_bytes: int = 0
    """The size of the generated validator module."""
    bodies: dict[str, BodyTimes] = field(default_factory=dict)

    @property
    def errors_as_expected(self) -> bool:
        """Every invalid body's failures were all listed, and valid ones had none."""
        return all(body.errors == body.expected_errors for body in self.bodies.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "repeats": self.repeats,
            "load_seconds": self.load_seconds,
            "validator_bytes": self.validator_bytes,
            "bodies": {name: vars(body) for name, body in self.bodies.items()},
        }


def measure_validation(repeats: int, workdir: Path) -> ValidationResult:
    """Check each body ``repeats`` times (after one untimed check) in a fresh process."""
    code_dir = workdir / "validation-asset"
    shutil.rmtree(code_dir, ignore_errors=True)
    shutil.copytree(
        collection_asset(PRODUCT_SCHEMA),
        code_dir,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"),
    )
    bodies: dict[str, dict[str, Any]] = {}
    expected: dict[str, int] = {}
    for label, size in SIZES.items():
        bodies[f"{label} valid"] = product_body(size)
        expected[f"{label} valid"] = 0
        invalid = invalid_product_body(size)
        bodies[f"{label} invalid"] = invalid
        expected[f"{label} invalid"] = expected_errors(invalid)
    bodies_file = workdir / "validation-bodies.json"
    bodies_file.write_text(json.dumps({name: json.dumps(body) for name, body in bodies.items()}))
    completed = subprocess.run(
        [sys.executable, "-B", str(CHILD), str(code_dir), str(bodies_file), str(repeats)],
        env=tool_environment(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"validation benchmark failed:\n{completed.stderr[-2000:]}")
    measured = json.loads(completed.stdout.strip().splitlines()[-1])
    result = ValidationResult(
        repeats=repeats,
        load_seconds=measured["load_seconds"],
        properties=len(PRODUCT_SCHEMA["properties"]),
        validator_bytes=(code_dir / SCHEMA_MODULE).stat().st_size,
    )
    for name, times in measured["bodies"].items():
        result.bodies[name] = BodyTimes(
            bytes=times["bytes"],
            errors=times["errors"],
            expected_errors=expected[name],
            parse=times["parse"],
            check=times["check"],
        )
    return result
