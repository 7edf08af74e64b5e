"""``python -m bench [--quick]``: run every benchmark and write docs/performance.md."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from .backfill import measure_backfill
from .capacity import measure_capacity
from .coldstart import measure_cold_start, measure_typed_cold_start
from .common import REPO
from .footprint import measure_footprint
from .latency import measure_latency
from .machine import describe_machine
from .ownercost import measure_owner_cost
from .readcost import measure_read_cost
from .report import Results, render
from .scale import measure_scale
from .synth import cdk_synth_command, measure_synth, new_workdir, timed_run
from .throughput import measure_throughput
from .validation import measure_validation

T = TypeVar("T")


@dataclass(frozen=True)
class Sizes:
    """How much of each benchmark to run."""

    synth_pairs: int
    synth_warmup_pairs: int
    cold_start_pairs: int
    cold_start_warmup_pairs: int
    validation_repeats: int
    latency_rounds: int
    latency_iterations: int
    read_sizes: tuple[tuple[int, int, int], ...]  # (items, versions, versions of the read item)
    index_read_sizes: tuple[int, ...]  # orders in the shop's table
    owner_read_sizes: tuple[int, ...]  # notes and projects of the notes example, 100 owners
    backfill_sizes: tuple[int, ...]  # orders backfilled into two new indexes, local mode
    throughput_repetitions: int
    throughput_seconds: float
    throughput_fresh_put_servers: bool  # each PUT run on an empty table
    scale_sizes: dict[str, tuple[int, ...]]  # items per backend for the local mode at size
    scale_seconds: float
    scale_repetitions: int


FULL = Sizes(
    synth_pairs=11,  # per-pair ratios spread over ~20 points on a shared machine
    synth_warmup_pairs=1,
    cold_start_pairs=15,
    cold_start_warmup_pairs=1,
    validation_repeats=200,
    latency_rounds=5,
    latency_iterations=100,
    read_sizes=(
        (10, 1, 1),
        (10, 100, 100),
        (10, 1000, 1000),
        (1000, 1, 1),
        (10000, 1, 1),
        (1000, 100, 100),
        (10000, 1, 1000),
    ),
    index_read_sizes=(10, 1000, 10000),
    owner_read_sizes=(10, 1000, 10000),
    backfill_sizes=(10, 1000, 10000),
    throughput_repetitions=3,
    throughput_seconds=3.0,
    throughput_fresh_put_servers=True,
    scale_sizes={"dynamodb-local": (100, 1000, 10000), "moto": (100, 1000)},
    scale_seconds=2.0,
    scale_repetitions=3,
)
QUICK = Sizes(
    synth_pairs=1,
    synth_warmup_pairs=0,
    cold_start_pairs=2,
    cold_start_warmup_pairs=0,
    validation_repeats=5,
    latency_rounds=1,
    latency_iterations=10,
    read_sizes=((10, 1, 1), (10, 30, 30), (30, 1, 1), (30, 1, 30)),
    index_read_sizes=(10, 60),
    owner_read_sizes=(10, 300),
    backfill_sizes=(10, 60),
    throughput_repetitions=1,
    throughput_seconds=0.5,
    throughput_fresh_put_servers=False,
    scale_sizes={"dynamodb-local": (10, 60), "moto": (10,)},
    scale_seconds=0.3,
    scale_repetitions=1,
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark cdk-serverless-crud and write docs/performance.md.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke-test sizes (about a minute); the page goes to a scratch folder",
    )
    parser.add_argument(
        "--output", type=Path, help="where to write the page (default: docs/performance.md)"
    )
    parser.add_argument("--json", type=Path, help="also write the raw measurements as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args(argv)

    sizes = QUICK if args.quick else FULL
    workdir = new_workdir()
    output = args.output or (
        workdir / "performance-quick.md" if args.quick else REPO / "docs" / "performance.md"
    )
    started = time.perf_counter()
    machine = describe_machine()
    try:
        synth = _step(
            "synth overhead",
            lambda: measure_synth(
                sizes.synth_pairs, workdir, warmup_pairs=sizes.synth_warmup_pairs
            ),
        )
        assembly = synth["example"].assembly
        shop_assembly = synth["shop"].assembly
        assert assembly is not None and shop_assembly is not None
        footprint = _step("footprint", lambda: measure_footprint(assembly))
        cold_start = _step(
            "cold start",
            lambda: measure_cold_start(
                sizes.cold_start_pairs,
                workdir,
                assembly=assembly,
                warmup_pairs=sizes.cold_start_warmup_pairs,
            ),
        )
        typed_cold_start = _step(
            "typed cold start",
            lambda: measure_typed_cold_start(
                sizes.cold_start_pairs,
                workdir,
                assembly=assembly,
                warmup_pairs=sizes.cold_start_warmup_pairs,
            ),
        )
        validation = _step(
            "validation time", lambda: measure_validation(sizes.validation_repeats, workdir)
        )
        latency = _step(
            "warm latency",
            lambda: measure_latency(
                sizes.latency_rounds, sizes.latency_iterations, assembly=assembly
            ),
        )
        read_cost = _step(
            "read cost",
            lambda: measure_read_cost(
                list(sizes.read_sizes),
                assembly=assembly,
                index_sizes=list(sizes.index_read_sizes),
                index_assembly=shop_assembly,
            ),
        )
        notes_assembly = workdir / "notes.out"
        owner_cost = _step(
            "read cost with access rules",
            lambda: (
                timed_run(cdk_synth_command(notes_assembly), REPO / "examples" / "notes"),
                measure_owner_cost(list(sizes.owner_read_sizes), assembly=notes_assembly),
            )[1],
        )
        capacity = _step("capacity per operation", lambda: measure_capacity(assembly))
        backfill = _step(
            "index backfill", lambda: measure_backfill(shop_assembly, sizes.backfill_sizes)
        )
        throughput = _step(
            "local mode throughput",
            lambda: measure_throughput(
                assembly,
                sizes.throughput_repetitions,
                sizes.throughput_seconds,
                fresh_put_servers=sizes.throughput_fresh_put_servers,
            ),
        )
        scale = _step(
            "local mode at size",
            lambda: measure_scale(
                assembly,
                sizes.scale_sizes,
                seconds=sizes.scale_seconds,
                repetitions=sizes.scale_repetitions,
            ),
        )
        machine.load_after = os.getloadavg()
        results = Results(
            machine=machine,
            quick=args.quick,
            seconds=time.perf_counter() - started,
            synth=synth,
            cold_start=cold_start,
            typed_cold_start=typed_cold_start,
            validation=validation,
            latency=latency,
            read_cost=read_cost,
            owner_cost=owner_cost,
            throughput=throughput,
            footprint=footprint,
            capacity=capacity,
            backfill=backfill,
            scale=scale,
        )
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(render(results))
        if args.json:
            args.json.write_text(json.dumps(raw(results), indent=2, default=str) + "\n")
    finally:
        if args.keep or (args.quick and args.output is None):
            print(f"scratch folder kept: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"wrote {output} in {(time.perf_counter() - started) / 60:.1f} min", file=sys.stderr)
    return 0


def raw(results: Results) -> dict[str, object]:
    """Every measurement, for comparing runs."""
    return {
        "machine": results.machine.to_json(),
        "quick": results.quick,
        "seconds": results.seconds,
        "synth": {key: synth.to_json() for key, synth in results.synth.items()},
        "cold_start": results.cold_start.to_json(),
        "typed_cold_start": results.typed_cold_start.to_json(),
        "validation": results.validation.to_json(),
        "latency": results.latency.to_json(),
        "read_cost": results.read_cost.to_json(),
        "owner_cost": results.owner_cost.to_json(),
        "backfill": results.backfill.to_json(),
        "capacity": results.capacity.to_json(),
        "scale": results.scale.to_json(),
        "throughput": results.throughput.to_json(),
        "footprint": results.footprint.to_json(),
    }


def _step(name: str, run: Callable[[], T]) -> T:
    print(f"bench: {name}...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    result = run()
    print(f"bench: {name} done in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return result


if __name__ == "__main__":
    sys.exit(main())
