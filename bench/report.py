"""docs/performance.md, written from one benchmark run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .backfill import BackfillResult
from .capacity import BODY_SIZES, KB, CapacityResult
from .coldstart import ColdStartResult
from .footprint import Footprint
from .latency import BASELINE as RAW_GET_ITEM
from .latency import OPERATIONS, LatencyResult
from .machine import Machine
from .ownercost import OWNERS, TENANTS, OwnerCell, OwnerCostResult, TenantCell
from .readcost import (
    CUSTOMERS,
    INDEX_ATTRIBUTE,
    PAGE,
    QUERIED_STATUS,
    SORTED_QUERY,
    Cell,
    IndexCell,
    ReadCostResult,
    Reads,
)
from .scale import GOAL as SCALE_GOAL
from .scale import OPERATIONS as SCALE_OPERATIONS
from .scale import ScaleResult
from .synth import SynthResult
from .throughput import BASELINE as BASELINE_GET
from .throughput import KINDS, ThroughputResult
from .validation import ValidationResult

GOAL_RATIO = 1.10


@dataclass
class Results:
    """Everything one run measured."""

    machine: Machine
    quick: bool
    seconds: float
    synth: Mapping[str, SynthResult]
    """By app: ``example`` (example_app/) and ``shop`` (examples/shop/)."""
    cold_start: ColdStartResult
    typed_cold_start: ColdStartResult
    validation: ValidationResult
    latency: LatencyResult
    read_cost: ReadCostResult
    owner_cost: OwnerCostResult
    throughput: ThroughputResult
    footprint: Footprint
    capacity: CapacityResult
    backfill: BackfillResult
    scale: ScaleResult


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def secs(seconds: float) -> str:
    return f"{seconds:.2f} s"


def ratio(value: float) -> str:
    return f"{value:.2f}x"


def size(count: float) -> str:
    return f"{count / 1024:.1f} KiB ({int(count):,} bytes)"


def mib(count: float) -> str:
    return f"{count / 1024**2:.1f} MiB"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table."""
    lines = [header, ["---"] * len(header), *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def render(results: Results) -> str:
    """The whole page."""
    sections = [
        _header(results),
        _summary(results),
        _synth(results.synth),
        _cold_start(results.cold_start),
        _typed_cold_start(results.typed_cold_start, results.validation),
        _validation(results.validation),
        _latency(results.latency),
        _read_cost(results.read_cost),
        _owner_cost(results.owner_cost),
        _capacity(results.capacity),
        _backfill(results.backfill),
        _throughput(results.throughput),
        _scale(results.scale),
        _footprint(results.footprint),
        _method(results),
    ]
    return "\n\n".join(section.strip("\n") for section in sections) + "\n"


def _header(results: Results) -> str:
    m = results.machine
    mode = " **Quick mode: smoke-test sizes, not results.**" if results.quick else ""
    versions = ", ".join(f"{name} {version}" for name, version in m.versions.items())
    dirty = " with uncommitted changes to src/ or example_app/" if m.dirty else ""
    load = "/".join(f"{x:.2f}" for x in m.load_before)
    load_after = "/".join(f"{x:.2f}" for x in m.load_after)
    return f"""
# Performance

What the library costs its users, measured by `make bench` (`python -m bench`, see
[`bench/README.md`](../bench/README.md)), which writes this page; do not edit it by hand.{mode}

- **Run:** {m.date}, commit `{m.commit}`{dirty}, {results.seconds / 60:.1f} minutes.
- **Machine:** {m.platform}, {m.cpu}, {m.cpus} CPUs, {m.memory_gb} GB; load average
  (1/5/15 min) {load} at the start and {load_after} at the end. Other work shared it.
- **Software:** Python {m.python}, {versions}.

Where a number depends on the machine it is a **ratio against a baseline measured in the
same run**, the two interleaved so that background load hits both; absolute times are
there for orientation only. Each ratio is the median of per-pair ratios; every other
figure is a median over repeated runs.
"""


def _verdict(value: float, goal: float = GOAL_RATIO) -> str:
    """Short form, for the summary table."""
    if value <= goal:
        return "**Met**"
    return f"**Not met**: {value:.3f}x, {(value / goal - 1) * 100:.1f}% over the goal"


def _goal_sentence(value: float, goal: float = GOAL_RATIO) -> str:
    met = "**Met**" if value <= goal else "**Not met**"
    return f"Goal: at most {goal:.2f}x the baseline. {met}: {ratio(value)}."


def _summary(results: Results) -> str:
    synth, cold, typed, lat, reads, tp, fp = (
        results.synth,
        results.cold_start,
        results.typed_cold_start,
        results.latency,
        results.read_cost,
        results.throughput,
        results.footprint,
    )
    latency_cells = ", ".join(
        f"{op} {ms(lat.median_p50(op))}/{ms(lat.median_p99(op))}" for op in OPERATIONS
    )
    counts = _read_summary(reads)
    throughput_cells = ", ".join(
        f"{kind} x{c}: {tp.rate(kind, c):,.0f}/s" for kind in KINDS for c in tp.concurrency
    )
    rows = [
        [
            "Synth overhead",
            "`cdk synth` of `example_app/` vs a plain-L2 app with the same template, "
            "separate processes",
            f"At most {GOAL_RATIO:.2f}x the baseline",
            _synth_cell(synth["example"]),
            _verdict(synth["example"].wall_ratio),
        ],
        [
            "Synth overhead, two typed collections",
            "`cdk synth` of `examples/shop/` (orders and customers, schemas and indexes) vs a "
            "plain-L2 app with the same template, its validator assets built beforehand",
            f"At most {GOAL_RATIO:.2f}x the baseline",
            _synth_cell(synth["shop"]),
            _verdict(synth["shop"].wall_ratio),
        ],
        [
            "Cold start",
            "Fresh process: import the handler and serve the first GET from a moto server, "
            "vs a minimal boto3 handler",
            f"At most {GOAL_RATIO:.2f}x the baseline",
            f"**{ratio(cold.ratio)}**; peak RSS {mib(cold.median('subject', 'peak_rss_bytes'))}"
            f" ({ratio(cold.rss_ratio)} the baseline's)",
            _verdict(cold.ratio),
        ],
        [
            "Cold start, typed collection",
            "Fresh process: import a typed collection's handler (30-property schema) and serve "
            "its first POST, which imports the validator and validates, vs a minimal boto3 "
            "handler doing the same write",
            f"At most {GOAL_RATIO:.2f}x the baseline",
            f"**{ratio(typed.ratio)}**; peak RSS "
            f"{mib(typed.median('subject', 'peak_rss_bytes'))} ({ratio(typed.rss_ratio)} the "
            "baseline's)",
            _verdict(typed.ratio),
        ],
        [
            "Validation time",
            "The function's check of a body against the 30-property schema, valid and "
            "invalid, 1 KB and 100 KB; medians",
            "Reported",
            _validation_summary(results.validation),
            "Reported",
        ],
        [
            "Warm latency",
            "Each operation through the handler, in process, against moto; p50/p99",
            "Reported",
            latency_cells,
            "Reported",
        ],
        [
            "Read cost as data grows",
            "Items DynamoDB reads for GET latest, one list page, one versions page; "
            "1/100/1,000 versions per item and 10/1,000/10,000 items",
            "Flat in versions and items",
            counts,
            "**Met**" if reads.flat else "**Not met**",
        ],
        [
            "Read cost of an index query",
            f"Items DynamoDB reads for one page of `GET /orders?{INDEX_ATTRIBUTE}="
            f"{QUERIED_STATUS}` (shop example) at "
            + "/".join(f"{cell.items:,}" for cell in reads.index_cells)
            + " orders",
            "Flat in items",
            _index_summary(reads),
            "**Met**" if reads.index_flat else "**Not met**",
        ],
        [
            "Read cost with access rules",
            f"Items DynamoDB reads for one caller's page, GET and 404 among {OWNERS} owners "
            f"and {TENANTS} tenants (notes example) at "
            + "/".join(f"{cell.items:,}" for cell in results.owner_cost.owner_cells)
            + " items",
            "Flat in items",
            _owner_summary(results.owner_cost),
            "**Met**" if results.owner_cost.flat else "**Not met**",
        ],
        [
            "Capacity per operation",
            "DynamoDB read and write units of every route for a 1 KB and a 100 KB item, "
            "from the items each call wrote and read, by DynamoDB's billing rules",
            "Reported",
            _capacity_summary(results.capacity),
            "Reported",
        ],
        [
            "Local mode at size",
            "Requests/s of one client for each operation, at "
            + "/".join(f"{n:,}" for n in results.scale.sizes[SCALE_BACKEND])
            + " items",
            f"At the largest size, at least {SCALE_GOAL:.2f}x the rate at the smallest",
            _scale_summary(results.scale),
            "**Met**" if results.scale.meets_goal(SCALE_BACKEND) else "**Not met**",
        ],
        [
            "Local mode throughput",
            "Requests/s with 1 and 8 clients sending back to back",
            "Reported",
            throughput_cells,
            "Reported",
        ],
        [
            "Footprint",
            "Lambda asset and wheel",
            "Reported",
            f"asset {size(fp.asset_bytes)}, {size(fp.asset_zip_bytes)} zipped; "
            f"wheel {size(fp.wheel_bytes)}",
            "Reported",
        ],
    ]
    header = ["What", "How", "Goal", "Result", "Goal met?"]
    return "## Summary\n\n" + table(header, rows)


def _units(value: float) -> str:
    return f"{value:g}"


def _capacity_summary(capacity: CapacityResult) -> str:
    cells = []
    for operation in ("POST /items", "PUT /items/{id}", "GET /items/{id}"):
        small, large = (capacity.units(operation, size) for size in BODY_SIZES)
        cells.append(
            f"{operation} {_units(small.read)} R/{_units(small.write)} W (1 KB), "
            f"{_units(large.read)} R/{_units(large.write)} W (100 KB)"
        )
    return "; ".join(cells)


def _capacity(capacity: CapacityResult) -> str:
    header = ["Operation", "DynamoDB calls"]
    for size in BODY_SIZES:
        header += [f"{size // KB} KB item: read units", f"{size // KB} KB item: write units"]
    rows = []
    for operation in capacity.operations:
        units = [capacity.units(operation, size) for size in BODY_SIZES]
        row = [f"`{operation}`" if not operation.startswith("seed") else operation]
        row.append(", ".join(units[0].calls))
        for unit in units:
            row += [_units(unit.read), _units(unit.write)]
        rows.append(row)
    return f"""
## Capacity per operation

DynamoDB units each route costs, for an item whose version record is just under 1 KB
and just under 100 KB. Each request runs through the runtime against moto; the units
are computed from the items each DynamoDB call actually wrote and read, with DynamoDB's
rules (moto's `ConsumedCapacity` is a placeholder): a write unit per 1 KB of each item
written, rounded up per item, twice for a transaction; a read unit per 4 KB, rounded up,
per item for GetItem and over the sum of the items for a Query, half for an eventually
consistent read (every index Query). On-demand tables bill these as request units. The
units do not depend on the machine.

{table(header, rows)}

- **Every write is one transaction of two puts**, the version and the head (docs/design.md
  says why), so it costs about 4x the seed's single `PutItem`: twice for the two records
  and twice for the transaction. An `Idempotency-Key` adds one small record (2 units) and
  one read; a replay reads the key record and the version it names, and writes nothing.
- **Reads before writes.** PUT, PATCH, DELETE and restore read the head first (strongly
  consistent, the whole item: DynamoDB bills a read by the item's size, whatever is
  projected), which is what makes `If-Match`, 404 and the ordering of writers possible.
- **Pages** read what they return: a page of 10 items costs what those items weigh.
  DynamoDB stops a page at 1 MB, so a page of 100 KB items may hold fewer than asked.
"""


def _synth_cell(synth: SynthResult) -> str:
    differ = "" if synth.templates_match else "; **the templates differ**"
    return f"**{ratio(synth.wall_ratio)}** wall clock ({ratio(synth.cpu_ratio)} CPU){differ}"


def _read_summary(reads: ReadCostResult) -> str:
    get = {cell.get.items_read for cell in reads.cells}
    lists = {cell.list_page.items_read for cell in reads.cells}
    versions = {cell.versions_page.items_read for cell in reads.cells}
    return (
        f"GET reads {_span(get)} item; a list page {_span(lists)} and a versions page "
        f"{_span(versions)} items (at most a page, {PAGE}), one call each, at every size"
        if reads.flat
        else "some requests read more than they return: see the table below"
    )


def _index_summary(reads: ReadCostResult) -> str:
    if not reads.index_flat:
        return "some pages read more than they return: see the table below"
    pages = "/".join(f"{cell.page.items_read}" for cell in reads.index_cells)
    bounded = "/".join(f"{cell.sorted_page.items_read}" for cell in reads.index_cells)
    return (
        f"a page reads {pages} items, a sorted and bounded page {bounded}: what it returns "
        f"(at most a page, {PAGE}), one Query each, whatever the table's size"
    )


def _validation_summary(validation: ValidationResult) -> str:
    cells = []
    for label in ("1 KB", "100 KB"):
        valid = validation.bodies[f"{label} valid"]
        invalid = validation.bodies[f"{label} invalid"]
        cells.append(
            f"{label}: {ms(valid.median_check)} valid, {ms(invalid.median_check)} invalid "
            f"({invalid.errors} errors)"
        )
    return "; ".join(cells)


def _span(values: set[int]) -> str:
    return str(min(values)) if len(values) == 1 else f"{min(values)} to {max(values)}"


_SYNTH_SUBJECTS = {"example": "`example_app/`", "shop": "`examples/shop/`"}


def _synth(synths: Mapping[str, SynthResult]) -> str:
    rows = []
    for key, synth in synths.items():
        med = synth.medians()
        app = _SYNTH_SUBJECTS.get(key, key)
        rows += [
            [
                f"{app}, wall clock",
                secs(med["subject_wall"]),
                secs(med["baseline_wall"]),
                f"**{ratio(synth.wall_ratio)}**",
            ],
            [
                f"{app}, CPU (all processes)",
                secs(med["subject_cpu"]),
                secs(med["baseline_cpu"]),
                ratio(synth.cpu_ratio),
            ],
        ]
    timings = table(["Median", "App (library)", "Baseline app (plain L2s)", "Ratio"], rows)
    spreads = "; ".join(
        f"{_SYNTH_SUBJECTS.get(key, key)} {min(s.pair_ratios):.2f} to {max(s.pair_ratios):.2f}"
        for key, s in synths.items()
    )
    goals = "\n\n".join(
        f"{_SYNTH_SUBJECTS.get(key, key)}: {_goal_sentence(synth.wall_ratio)}"
        + (
            ""
            if synth.wall_ratio <= GOAL_RATIO
            else _synth_gap(synth.wall_ratio, synth.cpu_ratio, synth.pair_ratios)
        )
        for key, synth in synths.items()
    )
    first = next(iter(synths.values()))
    return f"""
## Synth overhead

{_pairs(len(first.subject), first.warmup_pairs)} per app of `cdk synth --quiet` runs: the
CLI, the Python app and jsii's Node process each time. An app and its baseline take turns
going first, and the two apps' pairs alternate. `example_app/` is one schemaless
collection; `examples/shop/` has two typed collections (orders, with two indexes, and
customers, with one), each with its own table, function, request model and generated
validator.

{timings}

The ratios are medians of the per-pair ratios; the wall-clock ones ranged from
{spreads}. {_templates(synths)}

Both baselines are plain aws-cdk-lib, written once in `bench/baseline_app/plain_service.py`
and called with each app's collections. The shop's baseline declares its two request
models as literal JSON and points each function's `Code.from_asset` at the asset folder
the library builds for that collection, built once before the timed runs. So generating
the validators (fastjsonschema's code generation, and hashing the runtime's and
fastjsonschema's files to name the folder), checking the schemas against the draft-07
metaschema and deriving the draft 4 models are counted as the library's cost, as they
are at every synth of a user's app; copying the folder into the assembly is on both
sides.

{goals}
"""


def _templates(synths: Mapping[str, SynthResult]) -> str:
    """Whether each baseline gave its app's template, which is what makes it a baseline."""
    differing = [
        f"**The templates of {_SYNTH_SUBJECTS.get(key, key)} and its baseline differ** "
        f"({synth.template_difference}): fix `{synth.app.baseline_source}` before trusting "
        "its ratio."
        for key, synth in synths.items()
        if not synth.templates_match
    ]
    if differing:
        return " ".join(differing)
    counts = " and ".join(str(synth.resource_count) for synth in synths.values())
    return (
        f"Each app and its baseline synthesize identical templates, byte for byte ({counts} "
        "resources), and all of them run cdk-nag's AwsSolutions and Serverless checks, as "
        "the apps do; so each ratio is the cost of the library itself: its Python layer "
        "(props and their validation, the OpenAPI contract, acknowledgments) and the "
        "synth-time checks and aspects that jsii calls back into Python for."
    )


def _pairs(pairs: int, warmup: int) -> str:
    text = f"{pairs} pair{'s' if pairs != 1 else ''}"
    if warmup:
        text += f" (after {warmup} discarded warm-up pair{'s' if warmup != 1 else ''})"
    return text


def _synth_gap(wall: float, cpu: float, pair_ratios: list[float]) -> str:
    spread = max(pair_ratios) - min(pair_ratios)
    return (
        f" Gap: {(wall - 1) * 100:.0f}% over the baseline's time. CPU time, which background "
        f"load disturbs less, puts it at {(cpu - 1) * 100:.0f}%; the pairs spread over "
        f"{spread * 100:.0f} points, so "
        + (
            "the gap is within this run's noise; rerun on a quiet machine."
            if cpu <= GOAL_RATIO
            else "the library's own synth work is the cause."
        )
    )


def _cold_start_rows(cold: ColdStartResult, request: str) -> str:
    """The measure, its parts, the whole process and peak RSS, for one side and the other."""
    rows = []
    for label, name in (
        (f"Import + first {request} (the measure)", "total_seconds"),
        ("of which import", "import_seconds"),
        (f"of which first {request}", "first_request_seconds"),
        ("Whole process, interpreter start included", "process_seconds"),
    ):
        subject = cold.median("subject", name)
        baseline = cold.median("baseline", name)
        shown = (
            f"**{ratio(cold.ratio)}** (per pair)"
            if name == "total_seconds"
            else ratio(subject / baseline)
        )
        rows.append(f"| {label} | {ms(subject)} | {ms(baseline)} | {shown} |")
    subject_rss = cold.median("subject", "peak_rss_bytes")
    baseline_rss = cold.median("baseline", "peak_rss_bytes")
    rows.append(
        f"| Peak RSS (VmHWM) | {mib(subject_rss)} | {mib(baseline_rss)} | {ratio(cold.rss_ratio)} |"
    )
    return "\n".join(rows)


def _cold_start(cold: ColdStartResult) -> str:
    gap = "" if cold.ratio <= GOAL_RATIO else _cold_start_gap(cold)
    return f"""
## Cold start

{_pairs(len(cold.subject), cold.warmup_pairs)} of fresh processes, taking turns to start
first. Each imports its handler from a copy of its Lambda code
without byte code (run with `-B`, so the modules are compiled at every start, as Lambda
does with a read-only asset) and serves one GET of an existing item from a moto server on
127.0.0.1. The baseline, [`bench/baseline_handler.py`](../bench/baseline_handler.py),
imports boto3, creates a DynamoDB and an S3 client and calls `get_item` once.

| Median | Item service | Baseline | Ratio |
| --- | --- | --- | --- |
{_cold_start_rows(cold, "GET")}

The measure's ratio is the median of the per-pair ratios (what the goal is checked
against); the other rows divide the medians. The item service creates only the DynamoDB
client on a GET, on first use; its S3 client waits for the first offloaded body. That is
why its import is shorter, its first GET longer and its peak RSS smaller than the
baseline's.

{_goal_sentence(cold.ratio)}{gap}
"""


def _cold_start_gap(cold: ColdStartResult) -> str:
    extra = cold.median("subject", "total_seconds") - cold.median("baseline", "total_seconds")
    imports = cold.median("subject", "import_seconds") - cold.median("baseline", "import_seconds")
    first = cold.median("subject", "first_request_seconds") - cold.median(
        "baseline", "first_request_seconds"
    )
    return (
        f" Gap: {ms(extra)} more than the baseline. Against the baseline, the item "
        f"service's import takes {imports * 1000:+.0f} ms (boto3 plus its own modules, "
        f"compiled from source as in Lambda; the baseline's import includes creating its "
        f"two clients) and its first GET {first * 1000:+.0f} ms (it creates its DynamoDB "
        "client then, on first use)."
    )


def _typed_cold_start(cold: ColdStartResult, validation: ValidationResult) -> str:
    body = validation.bodies["1 KB valid"]
    gap = "" if cold.ratio <= GOAL_RATIO else _typed_cold_start_gap(cold, validation)
    return f"""
## Cold start of a typed collection

{_pairs(len(cold.subject), cold.warmup_pairs)} of fresh processes, as for GET. The
subject is the Lambda code the library builds for a collection with the
{validation.properties}-property product schema of [`bench/product.py`](../bench/product.py)
(`collection_asset`: the item service, the validator fastjsonschema generated from the
schema, {validation.validator_bytes / 1024:.1f} KiB of Python, and fastjsonschema itself),
copied without byte code and run with `-B`. It serves a POST of a valid product of about
1 KB, every property set, with the example app's table and bucket. The runtime imports the
generated validator only on the first POST or PUT, so the measure includes importing and
compiling the validator and fastjsonschema, validating the body, creating the DynamoDB
client and writing the item: one TransactWriteItems of its first version and its head.

The baseline, `create_handler` in
[`bench/baseline_handler.py`](../bench/baseline_handler.py), imports boto3 and creates its
two clients at import, as for GET, then parses the body and writes the same two records in
one `transact_write_items`, without validating anything. So the pair compares a typed
collection's first write with the least boto3 code that stores the same item.

| Median | Typed collection | Baseline | Ratio |
| --- | --- | --- | --- |
{_cold_start_rows(cold, "POST")}

The measure's ratio is the median of the per-pair ratios; the other rows divide the
medians. The typed collection's first POST is longer than the baseline's because it
creates the DynamoDB client then (the baseline does during its import) and imports the
validator: {ms(validation.load_seconds)} for the generated module and fastjsonschema,
compiled from source, in the validation benchmark's fresh process. Validating the body
itself took {ms(body.median_check)} there (warm).

{_goal_sentence(cold.ratio)}{gap}
"""


def _typed_cold_start_gap(cold: ColdStartResult, validation: ValidationResult) -> str:
    extra = cold.median("subject", "total_seconds") - cold.median("baseline", "total_seconds")
    imports = cold.median("subject", "import_seconds") - cold.median("baseline", "import_seconds")
    first = cold.median("subject", "first_request_seconds") - cold.median(
        "baseline", "first_request_seconds"
    )
    return (
        f" Gap: {ms(extra)} more than the baseline. The typed collection's import takes "
        f"{imports * 1000:+.0f} ms against the baseline's (which creates two clients), its "
        f"first POST {first * 1000:+.0f} ms: the DynamoDB client, created on first use, and "
        f"the validator's import ({ms(validation.load_seconds)}), which a reads-only "
        "container never pays."
    )


def _validation(validation: ValidationResult) -> str:
    rows = []
    for name, body in validation.bodies.items():
        rows.append(
            [
                name,
                f"{body.bytes:,} bytes",
                f"{body.errors}" + ("" if body.errors == body.expected_errors else " ✗"),
                ms(body.median_parse),
                f"**{ms(body.median_check)}**",
            ]
        )
    times = table(
        ["Body", "Size", "Failing fields found", "Parse (median)", "Validation (median)"], rows
    )
    found = (
        "every one was reported"
        if validation.errors_as_expected
        else "**the bodies marked ✗ were not reported as expected**"
    )
    variants = validation.bodies["100 KB valid"]
    return f"""
## Validation time

A typed collection's function checking a body against its schema, the
{validation.properties}-property product schema of
[`bench/product.py`](../bench/product.py), as it does on every POST and PUT: `Schema.check`
in the runtime's schema module (`item_service/schema.py`) copies the parsed body with its
numbers converted for the generated code (exact Decimals as ints or exact floats), runs
the validator fastjsonschema generated at synth time with `fast_fail=False`, so it
collects every failure, and turns the failures into details with JSON pointers. It runs
in a fresh process with the asset the library builds for the schema;
{validation.repeats} repeats after one untimed check, the bodies taking turns, medians.
Parsing (`parse_body`: JSON to exact Decimals, DynamoDB's limits), which every write does
with or without a schema, is beside it for scale.

{times}

Valid bodies set all {validation.properties} properties; the larger ones grow the
`variants` array (its items are `$ref`s to a `$defs` object), {variants.bytes:,} bytes in
all. Invalid bodies have 5 top-level errors (a wrong enum, a price below its minimum, a
malformed date-time, a missing required property, one not in the schema) and a negative
stock in every tenth variant; {found}. Importing the generated validator
({validation.validator_bytes / 1024:.1f} KiB of Python) and the vendored fastjsonschema
without byte code, which a container does once, on its first write, took
{ms(validation.load_seconds)}. Goal: reported.
"""


def _latency(lat: LatencyResult) -> str:
    rows = []
    for op in (*OPERATIONS, RAW_GET_ITEM):
        label = "raw GetItem (baseline)" if op == RAW_GET_ITEM else op
        rows.append(
            f"| {label} | {ms(lat.median_p50(op))} | {ms(lat.median_p99(op))} | "
            f"{ratio(lat.ratio(op))} | {ms(lat.median_own_p50(op))} |"
        )
    table = "\n".join(rows)
    return f"""
## Warm latency

The handler called in process, warm (clients and settings cached, as in a reused Lambda
container), with moto's in-process mock as DynamoDB and S3. {lat.rounds} rounds of
{lat.iterations} calls of each operation, the operations taking turns; p50 and p99 per
round, medians over the rounds. The table holds {lat.table_records} records ({lat.items}
items, pages of {lat.page} full); what creates and updates add is deleted, untimed, after
each call, so it stays that size. The baseline is a bare `get_item` on the runtime's own
boto3 client: one AWS call on this machine.

| Operation | p50 | p99 | p50 vs raw GetItem | Outside AWS calls (p50) |
| --- | --- | --- | --- | --- |
{table}

"Outside AWS calls" is the handler's time minus the time between botocore's
`before-call` and `after-call` events: the runtime's own work plus botocore's request
marshalling. It is {_own_span(lat)} per operation; the rest is moto. Writes
(create: one TransactWriteItems; update: a GetItem and a TransactWriteItems) and Queries
cost more than a GetItem **in moto**, which deep-copies the whole table for each
transaction and reads every record of the table for each Query. DynamoDB does neither,
so these ratios say little about latency on AWS; they are here to catch a regression in
the runtime. Goal: reported.
"""


def _own_span(lat: LatencyResult) -> str:
    own = [lat.median_own_p50(op) for op in OPERATIONS]
    return f"{ms(min(own))} to {ms(max(own))}"


def _read_cost(reads: ReadCostResult) -> str:
    header = [
        "Items",
        "Versions per item",
        "Records in the table",
        "GET latest: read / returned",
        "List page: read / returned",
        "Versions page: read / returned",
        "Flat",
    ]
    rows = table(header, [_read_row(cell) for cell in reads.cells])
    verdict = (
        "**Met**: at every size each request made one call and read exactly what it returned, "
        f"so its cost is bounded by the page size ({PAGE}), not by the data."
        if reads.flat
        else "**Not met**: the cells marked ✗ read more than they returned, or made more calls."
    )
    return f"""
## Read cost as data grows

Items DynamoDB read for each request, from its own answers on the runtime's client
(`ScannedCount` of a Query, the item of a GetItem): the measure reads are billed by.
moto's `ConsumedCapacity` is a placeholder, so it is not used. Data is seeded in the
layout of [`docs/design.md`](design.md); GET reads the item `item-00000`, the list page
and the versions page are the API's first pages (default size {PAGE}). Counts do not
depend on the machine, so each size is measured once.

{rows}

The sizes cover both axes from 10 items with 1 version: versions at 10 items, items at
1 version, every item with 100 versions at 1,000 items, and the read item with 1,000
versions among 10,000 items. The remaining corners (1,000 x 1,000, 10,000 x 100 and
10,000 x 1,000 versions: 1 to 10 million records) are not seeded: moto keeps everything
in memory. They would read the same: GET is one GetItem on the head record, the list
page one Query with `Limit` on the sparse index, which holds one record per live item
whatever its history, and the versions page one Query with `Limit` on the item's own
partition.

Goal: flat in versions and items. {verdict}

{_index_read_cost(reads).strip()}
"""


def _owner_summary(cost: OwnerCostResult) -> str:
    if not cost.flat:
        return "some requests read more than they return: see the table below"
    return (
        "each page read exactly what it returned (at most a page, "
        f"{PAGE}) in one Query, a GET or a 404 one item, at every size"
    )


def _owner_cost(cost: OwnerCostResult) -> str:
    notes = table(
        [
            "Notes",
            "The owner's",
            "Owner's page",
            "Owner's GET",
            "Another's GET (404)",
            "Support's page",
            "Flat",
        ],
        [_owner_row(cell) for cell in cost.owner_cells],
    )
    projects = table(
        [
            "Projects",
            "In the tenant",
            "The member's",
            "Member's page",
            "Admin's page",
            "Member's `?status=open`",
            "Admin's `?status=open`",
            "Flat",
        ],
        [_tenant_row(cell) for cell in cost.tenant_cells],
    )
    largest = cost.owner_cells[-1]
    capacity = table(
        ["Operation", "Read units", "Write units", "Calls"],
        [
            [name, _units(units.read), _units(units.write), ", ".join(units.calls)]
            for name, units in largest.capacity.items()
        ],
    )
    verdict = (
        "**Met**: every page read exactly the items it returned, in one Query, from keys "
        "holding only what the caller may read; no page was read and then filtered."
        if cost.flat
        else "**Not met**: the cells marked ✗ read more than they returned, or made more calls."
    )
    return f"""
### Read cost with access rules

The notes example (`examples/notes`, Cognito) under moto, items seeded as the runtime
writes them (`seed_owned_items`: each tenant's keys, the owner, every index key the
owner's rules need). Item `n` belongs to user `n % {OWNERS}`, and users to {TENANTS}
organizations (`custom:org`); cells are read / returned, counted as above.

`notes`, `access=[Allow.owner(), Allow.group("support").to("read")]`: the owner's list
page comes from the owners' listing index (partition: a digest of the owner), a GET of
another's note is the same one GetItem as any GET and answers 404, and a support member's
page is the whole listing.

{notes}

Capacity per operation with the owner rule on, at {largest.items:,} notes, in DynamoDB's
units as in [Capacity per operation](#capacity-per-operation) (notes of about 100 bytes;
a write is the version and the head in one transaction, the head carrying the owner and
a 64-character digest per owners' index, so it stays within the same 1 KB units as
without rules):

{capacity}

`projects`, `tenancy=Tenancy.claim("custom:org")`, `access=[Allow.owner(),
Allow.group("admins")]`, `indexes=[Index("status")]`: the member's pages come from the
owners' indexes within the tenant, the admin's from the tenant's own listing partition
and index keys (`<tenant>/open`).

{projects}

Goal: flat in items. {verdict}
"""


def _reads_cell(reads: Reads) -> str:
    return f"{reads.items_read} / {reads.items_returned}"


def _owner_row(cell: OwnerCell) -> list[str]:
    return [
        f"{cell.items:,}",
        f"{cell.owned:,}",
        _reads_cell(cell.owner_page),
        _reads_cell(cell.owner_get),
        _reads_cell(cell.other_get),
        _reads_cell(cell.support_page),
        "✓" if cell.flat else "✗",
    ]


def _tenant_row(cell: TenantCell) -> list[str]:
    return [
        f"{cell.items:,}",
        f"{cell.in_tenant:,}",
        f"{cell.owned:,}",
        _reads_cell(cell.member_page),
        _reads_cell(cell.admin_page),
        _reads_cell(cell.member_query),
        _reads_cell(cell.admin_query),
        "✓" if cell.flat else "✗",
    ]


def _index_read_cost(reads: ReadCostResult) -> str:
    header = [
        "Orders",
        "Records in the table",
        f"Orders with {INDEX_ATTRIBUTE} {QUERIED_STATUS}",
        "Page: read / returned",
        "Calls",
        "Sorted, bounded: matching",
        "Page: read / returned",
        "Calls",
        "Flat",
    ]
    rows = table(header, [_index_row(cell) for cell in reads.index_cells])
    verdict = (
        "**Met**: at every size the page read exactly the orders it returned, a full page "
        f"({PAGE}) once there were enough, in one Query, however many orders the table "
        "holds."
        if reads.index_flat
        else "**Not met**: the sizes marked ✗ read more than they returned, or made more calls."
    )
    return f"""
### Index query

One page of `GET /orders?{INDEX_ATTRIBUTE}={QUERIED_STATUS}` (the API's default page size,
{PAGE}) on the shop example's orders function and table, whose `by-{INDEX_ATTRIBUTE}` index
has the partition key `ix_{INDEX_ATTRIBUTE}` and the sort key `id`; and one page of the
sorted, bounded query `GET /orders?{_query_text(SORTED_QUERY)}` from the
`by-customer_id.placed_at` index (`Index("customer_id", sort="placed_at")`: partition key
`ix_customer_id`, sort key `sx_customer_id`, the instant then the id), whose bound is a
key condition, never a filter. Orders are seeded with one version each, their heads
carrying every index key as the runtime writes them (`seed_owned_items`), a quarter of
them with each of the four statuses, one in {CUSTOMERS} with each customer, placed over
28 days of March; counted as above.

{rows}

Only the heads of live items carry the index keys, so the index holds one record per live
order under its latest status: a query reads neither other statuses nor versions.

Goal: flat in items. {verdict}
"""


def _query_text(query: Mapping[str, str]) -> str:
    return "&".join(f"{name}={value}" for name, value in query.items())


def _index_row(cell: IndexCell) -> list[str]:
    return [
        f"{cell.items:,}",
        f"{cell.records:,}",
        f"{cell.matching:,}",
        f"{cell.page.items_read} / {cell.page.items_returned}",
        ", ".join(cell.page.calls),
        f"{cell.sorted_matching:,}",
        f"{cell.sorted_page.items_read} / {cell.sorted_page.items_returned}",
        ", ".join(cell.sorted_page.calls),
        "✓" if cell.flat else "✗",
    ]


def _read_row(cell: Cell) -> list[str]:
    versions = (
        f"{cell.versions:,}"
        if cell.versions == cell.probe_versions
        else f"{cell.versions:,} ({cell.probe_versions:,} for the item read)"
    )
    mark = "✓" if cell.flat else "✗"
    return [
        f"{cell.items:,}",
        versions,
        f"{cell.records:,}",
        f"{cell.get.items_read} / {cell.get.items_returned}",
        f"{cell.list_page.items_read} / {cell.list_page.items_returned}",
        f"{cell.versions_page.items_read} / {cell.versions_page.items_returned}",
        mark,
    ]


def _throughput(tp: ThroughputResult) -> str:
    concurrency = list(tp.concurrency)
    header = " | ".join(_clients(c) for c in concurrency)
    rows = []
    for kind in (*KINDS, BASELINE_GET):
        if not all(tp.has(kind, c) for c in concurrency):
            continue
        cells = " | ".join(
            f"{tp.rate(kind, c):,.0f}/s ({ratio(tp.ratio(kind, c))})" for c in concurrency
        )
        label = {BASELINE_GET: "baseline: stdlib server, fixed answer"}.get(kind, kind)
        rows.append(f"| {label} | {cells} |")
    table = "\n".join(rows)
    hits = ", ".join(f"{tp.hit_fraction(c) * 100:.0f}% with {_clients(c)}" for c in concurrency)
    separator = " | ".join("---" for _ in concurrency)
    put_server = ", from a fresh server each run" if tp.fresh_put_servers else ""
    repetitions = len(tp.runs[tp.key(BASELINE_GET, concurrency[0])])
    return f"""
## Local mode throughput

`serve_local` on the example app's synthesized assembly, in its own process on
127.0.0.1, with clients that each send requests back to back on their own connection
(werkzeug's server closes it after each answer; the client reconnects) for
{tp.duration:g} s; {repetitions} repetitions, the order of the runs turning each time,
medians. Cached GETs read one item again and again (stage cache hits:
{hits}); uncached GETs send `Cache-Control: max-age=0`, so each goes through the Lambda
handler to DynamoDB Local (local mode's default); PUTs write a new version of one item
per client{put_server}.
In brackets: the fraction of the baseline's rate with as many clients,
the baseline being the standard library's `ThreadingHTTPServer` answering a fixed body
with `TCP_NODELAY` (this machine's ceiling for a Python server, in the same run).
{tp.errors()} requests failed.

| Requests per second | {header} |
| --- | {separator} |
{table}
{_limits(tp, concurrency)}
Goal: reported.
"""


def _limits(tp: ThroughputResult, concurrency: list[int]) -> str:
    one, many = min(concurrency), max(concurrency)
    scaling = (
        f" With {_clients(many)}, uncached GETs run at {_gain(tp, 'uncached GET', one, many)}"
        f" the rate of {_clients(one)} and PUTs at {_gain(tp, 'PUT', one, many)}, while"
        " cached GETs, which the stage cache answers without calling the function, run at"
        f" {_gain(tp, 'cached GET', one, many)}."
        if many > one
        else ""
    )
    return f"""
Local mode sets `TCP_NODELAY` on its connections. Before commit 7ab89de it did not, and
one keep-alive client got about 23 cached GETs per second, each answer waiting ~40 ms for
Nagle's algorithm and the client's delayed ACK. Since local mode moved to werkzeug's
server, which sends `Connection: close` on every answer, each request also opens a new
connection: cached GETs fell from about 2,800/s (1 client, standard library server with
keep-alive) to about 1,600/s, the price of a server that does not reset 64 simultaneous
clients. In this run, {_clients(one)} got
{tp.rate("cached GET", one):,.0f} per second. What limits uncached GETs and PUTs is the function's
own work in one Python process (one GIL) and DynamoDB Local's answers; DynamoDB Local serves
calls concurrently, whereas moto, behind `--dynamodb moto`, serves one AWS call at a time
(`_atomic` in `src/cdk_serverless_crud/local/aws.py`) so that its transactions stay
atomic.{scaling} How each operation's rate holds as the table
grows is in "Local mode at size", below.
"""


SCALE_BACKEND = "dynamodb-local"
"""The backend the goal applies to: local mode's default DynamoDB."""


def _scale_summary(scale: ScaleResult) -> str:
    return ", ".join(
        f"{operation} {ratio(scale.ratio(SCALE_BACKEND, operation))}"
        for operation in SCALE_OPERATIONS
    )


def _scale(scale: ScaleResult) -> str:
    rows = []
    for backend, sizes in scale.sizes.items():
        for items in sizes:
            rows.append(
                [backend, f"{items:,}"]
                + [f"{scale.rate(backend, items, op):,.0f}" for op in SCALE_OPERATIONS]
            )
        if len(sizes) > 1:
            rows.append(
                [backend, f"**{sizes[-1]:,} vs {sizes[0]:,}**"]
                + [f"**{ratio(scale.ratio(backend, op))}**" for op in SCALE_OPERATIONS]
            )
    repetitions = len(next(iter(next(iter(scale.rates.values())).values()))["POST"])
    verdict = "**Met**" if scale.meets_goal(SCALE_BACKEND) else "**Not met**"
    return f"""
## Local mode at size

`serve_local` on the example app in its own process, its table seeded straight into its
DynamoDB (one version per item, ~200-byte items), then one client sending each
operation back to back for {scale.seconds:g} s, {repetitions} repetitions, medians: GET of
an item, a list page (`?limit=25`) and a versions page, all with
`Cache-Control: max-age=0` so that each reaches the function; PUT of seeded items; POST
of new ones. Ids are spread over the table. `dynamodb-local` is local mode's default
DynamoDB; `moto` is what `--dynamodb moto` serves, measured at sizes it can seed in
reasonable time. {scale.errors} requests failed.

{table(["DynamoDB", "Items", *[f"{op}/s" for op in SCALE_OPERATIONS]], rows)}

Goal: at {scale.sizes[SCALE_BACKEND][-1]:,} items, every operation at least
{SCALE_GOAL:.2f}x its rate at {scale.sizes[SCALE_BACKEND][0]:,}, with DynamoDB Local.
{verdict}. moto's rates fall with the table because its TransactWriteItems copies every
table it touches once per item of the transaction, and its index Query reads every item
of the table (docs/design.md, "Local mode's DynamoDB").
"""


def _gain(tp: ThroughputResult, kind: str, one: int, many: int) -> str:
    return ratio(tp.rate(kind, many) / tp.rate(kind, one))


def _clients(count: int) -> str:
    return f"{count} client{'s' if count > 1 else ''}"


def _footprint(fp: Footprint) -> str:
    sizes = table(
        ["Artifact", "Size"],
        [
            [
                f"Lambda asset: the item service as synthesized, {fp.asset_files} files",
                size(fp.asset_bytes),
            ],
            ["Lambda asset, zipped (deflate, level 9), as uploaded", size(fp.asset_zip_bytes)],
            [
                f"Wheel `{fp.wheel_name}`, {fp.wheel_files} files (`uv build --wheel`)",
                size(fp.wheel_bytes),
            ],
        ],
    )
    return f"""
## Footprint

{sizes}

The asset is the runtime's source only: boto3 comes with the Lambda runtime, so nothing
is bundled and no Docker is needed. Lambda's limit is 50 MB zipped. Goal: reported.
"""


def _method(results: Results) -> str:
    return """
## How to read and rerun

- `make bench` runs the full benchmark and rewrites this page; `python -m bench --quick`
  runs every benchmark at smoke-test sizes in about a minute and writes its page to a
  scratch folder. `tests/bench/test_bench_smoke.py` runs the same code at tiny sizes in
  the test suite, with no timing assertions.
- Only 127.0.0.1 servers the benchmark starts itself are loaded, each for a bounded
  time and number of requests. No AWS account is used: moto stands in for DynamoDB and
  S3 everywhere.
- Absolute times are from a shared machine under other load and from Python 3.11 on
  x86_64; the function runs Python 3.14 on arm64 in Lambda. Compare ratios across runs,
  not times.
"""


def _backfill(result: BackfillResult) -> str:
    rows = [
        [
            f"{cell.items:,}",
            secs(cell.seconds),
            f"{cell.items_per_second:,.0f}",
            f"{cell.write_units_per_item:.2f}",
            f"{cell.read_units_per_item:.3f}",
            ", ".join(f"{name} {count:,}" for name, count in sorted(cell.calls.items())),
        ]
        for cell in result.cells
    ]
    header = ["Orders", "Time", "Orders/s", "Write units/order", "Read units/order", "Calls"]
    return f"""## Index backfill

An index added to a collection that holds items: how fast the items get its keys, and
what that costs DynamoDB (`bench/backfill.py`). The shop's `orders`, seeded on DynamoDB
Local (local mode's default) without index keys, then both of its indexes (`status`,
`customer_id`) backfilled in one run of the runtime's own job, as a deploy's
`IndexBackfill` and local mode run it. Units are DynamoDB Local's `ConsumedCapacity`
for every call the job made, indexes included; afterwards a scan of each index must
count every order.

{table(header, rows)}

Per order: one `UpdateItem` writing the missing keys (the head is under 1 KB, so one
unit for the table, one for each index the head enters, one for `latest-items`, which
projects the whole head), and its share of a `Scan` page of 100 live heads (half a unit
per 4 KB, eventually consistent); per page, one `PutItem` saving progress. The rate is
this machine's DynamoDB Local; on AWS the job is bounded by the table's write capacity,
not by the scan.
"""
