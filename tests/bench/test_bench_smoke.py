"""The benchmarks' code paths at tiny sizes, so they cannot rot; nothing here is timed.

``python -m bench`` (``make bench``) runs them at full size. Here each runs once, small:
the apps are synthesized in this process (the real CLI takes too long for a unit test),
and the report is rendered from what they measured.
"""

from __future__ import annotations

import json
import runpy
import shutil
import sys
from pathlib import Path
from typing import Any

import aws_cdk
import pytest
from bench.backfill import BackfillResult, measure_backfill
from bench.capacity import BODY_SIZES, CapacityResult, item_size, measure_capacity
from bench.coldstart import ColdStartResult, measure_cold_start, measure_typed_cold_start
from bench.common import EXAMPLE_APP
from bench.footprint import Footprint, measure_footprint
from bench.latency import BASELINE, OPERATIONS, LatencyResult, measure_latency
from bench.machine import describe_machine
from bench.ownercost import OwnerCostResult, measure_owner_cost
from bench.readcost import ReadCostResult, measure_read_cost
from bench.report import Results, render
from bench.scale import OPERATIONS as SCALE_OPERATIONS
from bench.scale import ScaleResult, measure_scale
from bench.shop import SHOP_APP
from bench.synth import APPS, SynthApp, SynthResult, measure_synth, template_drift
from bench.throughput import BASELINE as BASELINE_GET
from bench.throughput import ThroughputResult, measure_throughput
from bench.validation import ValidationResult, measure_validation

ISSUE_ROWS = (
    "Synth overhead",
    "Synth overhead, two typed collections",
    "Cold start",
    "Cold start, typed collection",
    "Validation time",
    "Warm latency",
    "Read cost as data grows",
    "Read cost of an index query",
    "Read cost with access rules",
    "Capacity per operation",
    "Local mode at size",
    "Local mode throughput",
    "Footprint",
)


def _context(app_dir: Path) -> dict[str, Any]:
    context: dict[str, Any] = json.loads((app_dir / "cdk.json").read_text())["context"]
    return context


def _synthesize(app_dir: Path, outdir: Path, environment: dict[str, str]) -> Path:
    """Run ``app_dir/app.py`` in this process, its ``cdk.App()`` writing to ``outdir``.

    jsii's Node process reads CDK_OUTDIR and the context once, when it starts, so they
    are passed to the App instead, with the app's cdk.json context as the CLI would.
    """
    real_app = aws_cdk.App
    context = _context(app_dir)

    def app(*_: Any, **__: Any) -> aws_cdk.App:
        return real_app(outdir=str(outdir), context=context)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(aws_cdk, "App", app)
        patch.chdir(app_dir)
        # As `python app.py` does: the app's own modules import from its folder.
        patch.syspath_prepend(str(app_dir))
        for name, value in environment.items():
            patch.setenv(name, value)
        runpy.run_path(str(app_dir / "app.py"), run_name="__main__")
    return outdir


@pytest.fixture(scope="module")
def assemblies(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, Path]:
    root = tmp_path_factory.mktemp("assemblies")
    assemblies = {}
    for app in APPS:
        assemblies[app.subject] = _synthesize(app.subject, root / app.key, {})
        assemblies[app.baseline] = _synthesize(
            app.baseline, root / f"{app.key}-baseline", app.baseline_environment()
        )
    return assemblies


@pytest.fixture(scope="module")
def synth(
    assemblies: dict[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, SynthResult]:
    """The synth benchmark, with a stand-in for `cdk synth` that copies the assemblies."""
    sources = {str(app_dir): str(out) for app_dir, out in assemblies.items()}
    script = f"import os, shutil, sys; shutil.copytree({sources!r}[os.getcwd()], sys.argv[1])"
    return measure_synth(
        1,
        tmp_path_factory.mktemp("synth"),
        warmup_pairs=0,
        command=lambda outdir: [sys.executable, "-c", script, str(outdir)],
    )


@pytest.fixture(scope="module")
def cold_start(
    assemblies: dict[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> ColdStartResult:
    return measure_cold_start(
        1, tmp_path_factory.mktemp("cold"), assembly=assemblies[EXAMPLE_APP], warmup_pairs=0
    )


@pytest.fixture(scope="module")
def typed_cold_start(
    assemblies: dict[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> ColdStartResult:
    return measure_typed_cold_start(
        1, tmp_path_factory.mktemp("typed"), assembly=assemblies[EXAMPLE_APP], warmup_pairs=0
    )


@pytest.fixture(scope="module")
def validation(tmp_path_factory: pytest.TempPathFactory) -> ValidationResult:
    return measure_validation(1, tmp_path_factory.mktemp("validation"))


@pytest.fixture(scope="module")
def latency(assemblies: dict[Path, Path]) -> LatencyResult:
    return measure_latency(1, 2, assembly=assemblies[EXAMPLE_APP])


@pytest.fixture(scope="module")
def read_cost(assemblies: dict[Path, Path]) -> ReadCostResult:
    return measure_read_cost(
        [(3, 1, 1), (30, 2, 30)],
        assembly=assemblies[EXAMPLE_APP],
        index_sizes=[3, 120],
        index_assembly=assemblies[SHOP_APP],
    )


@pytest.fixture(scope="module")
def owner_cost(notes_cdk_out: Path) -> OwnerCostResult:
    return measure_owner_cost([10, 120], assembly=notes_cdk_out)


@pytest.fixture(scope="module")
def backfill(assemblies: dict[Path, Path]) -> BackfillResult:
    return measure_backfill(assemblies[SHOP_APP], (120,))


@pytest.fixture(scope="module")
def capacity(assemblies: dict[Path, Path]) -> CapacityResult:
    return measure_capacity(assemblies[EXAMPLE_APP])


@pytest.fixture(scope="module")
def throughput(assemblies: dict[Path, Path]) -> ThroughputResult:
    return measure_throughput(assemblies[EXAMPLE_APP], 1, 0.2, concurrency=(2,))


@pytest.fixture(scope="module")
def scale(assemblies: dict[Path, Path]) -> ScaleResult:
    sizes = {"dynamodb-local": (5, 40), "moto": (5,)}
    return measure_scale(assemblies[EXAMPLE_APP], sizes, seconds=0.2, repetitions=1)


@pytest.fixture(scope="module")
def footprint(assemblies: dict[Path, Path]) -> Footprint:
    if shutil.which("uv") is None:
        pytest.fail("uv is not on PATH; run the tests through `make test`")
    return measure_footprint(assemblies[EXAMPLE_APP])


@pytest.mark.parametrize("app", APPS, ids=[app.key for app in APPS])
def test_baseline_app_synthesizes_its_apps_template(
    assemblies: dict[Path, Path], app: SynthApp
) -> None:
    example = (assemblies[app.subject] / app.stack_template).read_text()
    baseline = (assemblies[app.baseline] / app.stack_template).read_text()
    if example != baseline:
        message = template_drift(json.loads(example), json.loads(baseline), app)
        pytest.fail(message, pytrace=False)


def test_template_drift_says_where_the_templates_differ_and_what_to_change() -> None:
    stage = {"Type": "AWS::ApiGateway::Stage", "Properties": {"CacheTtl": 60, "Tags": [1, 2]}}
    drifted = {"Type": "AWS::ApiGateway::Stage", "Properties": {"CacheTtl": 300, "Tags": [1, 3]}}
    message = template_drift(
        {"Resources": {"Stage": stage}}, {"Resources": {"Stage": drifted, "Extra": {}}}
    )
    assert message.startswith("bench/baseline_app/app.py no longer synthesizes")
    assert message.splitlines()[-3:] == [
        "  Resources.Extra: only in the baseline app: {}",
        "  Resources.Stage.Properties.CacheTtl: example app 60, baseline app 300",
        "  Resources.Stage.Properties.Tags[1]: example app 2, baseline app 3",
    ]


def test_template_drift_names_keys_in_another_order() -> None:
    message = template_drift({"Outputs": {"A": 1, "B": 2}}, {"Outputs": {"B": 2, "A": 1}})
    assert message.splitlines()[-1] == (
        "  Outputs: keys in another order: key 1 is 'A' in the example app, 'B' in the baseline app"
    )


@pytest.mark.parametrize("app", APPS, ids=[app.key for app in APPS])
def test_baseline_app_has_its_apps_context(app: SynthApp) -> None:
    assert _context(app.baseline) == _context(app.subject)


def test_synth_compares_the_assemblies(synth: dict[str, SynthResult]) -> None:
    assert set(synth) == {app.key for app in APPS}
    for result in synth.values():
        assert result.templates_match, result.template_difference
        assert len(result.subject) == len(result.baseline) == 1


def test_cold_start_serves_a_get_in_both_processes(cold_start: ColdStartResult) -> None:
    assert len(cold_start.subject) == len(cold_start.baseline) == 1
    assert cold_start.subject[0].peak_rss_bytes > 0


def test_typed_cold_start_creates_an_item_in_both_processes(
    typed_cold_start: ColdStartResult,
) -> None:
    assert len(typed_cold_start.subject) == len(typed_cold_start.baseline) == 1
    assert typed_cold_start.subject[0].first_request_seconds > 0


def test_validation_reports_every_failing_field(validation: ValidationResult) -> None:
    assert set(validation.bodies) == {
        f"{size} {kind}" for size in ("1 KB", "100 KB") for kind in ("valid", "invalid")
    }
    assert validation.errors_as_expected
    assert validation.bodies["100 KB invalid"].errors > validation.bodies["1 KB invalid"].errors
    assert validation.load_seconds > 0 and validation.validator_bytes > 0


def test_latency_covers_every_operation(latency: LatencyResult) -> None:
    assert set(latency.p50) == {*OPERATIONS, BASELINE}


def test_read_cost_is_bounded_by_the_page(read_cost: ReadCostResult) -> None:
    assert read_cost.flat
    assert read_cost.index_flat
    assert [cell.page.items_returned for cell in read_cost.index_cells] == [1, 25]


def test_read_cost_with_access_rules_reads_only_the_callers_items(
    owner_cost: OwnerCostResult,
) -> None:
    """At 120 items over 100 owners and 10 tenants: user-000 owns notes 0 and 100;
    org-0 holds projects 0, 10, ..., 110, of which 0-90 are open."""
    assert owner_cost.flat
    _, large = owner_cost.owner_cells
    assert (large.owned, large.owner_page.items_returned) == (2, 2)
    assert large.support_page.items_returned == 25
    assert (large.other_get.items_read, large.other_get.items_returned) == (1, 0)
    writes = {name: (units.calls, units.write) for name, units in large.capacity.items()}
    for route in ("POST /notes", "PUT /notes/{id}", "DELETE /notes/{id}"):
        assert writes[route] == (["GetItem", "TransactWriteItems"][route == "POST /notes" :], 4)
    assert large.capacity["GET /notes/{id}, another's (404)"].read == 1
    _, tenant = owner_cost.tenant_cells
    assert (tenant.in_tenant, tenant.open_in_tenant, tenant.owned, tenant.owned_open) == (
        12,
        10,
        2,
        1,
    )
    assert [
        cell.items_returned
        for cell in (
            tenant.member_page,
            tenant.admin_page,
            tenant.member_query,
            tenant.admin_query,
        )
    ] == [2, 12, 1, 10]


def test_backfill_fills_both_indexes_at_every_size(backfill: BackfillResult) -> None:
    """measure_backfill fails a cell whose indexes miss an order; each order costs at
    least one write unit per index it enters."""
    assert [cell.items for cell in backfill.cells] == [120]
    for cell in backfill.cells:
        assert cell.written == cell.items
        assert cell.calls["UpdateItem"] == cell.items
        assert cell.write_units_per_item >= 2


def test_item_size_follows_dynamodb_s_rules() -> None:
    # DynamoDB's documented examples: names count, a number is ~1 byte per 2 digits + 1.
    assert item_size({"id": {"S": "abc"}}) == 2 + 3
    assert item_size({"n": {"N": "12345"}}) == 1 + 4
    assert item_size({"m": {"M": {"ab": {"BOOL": True}}}}) == 1 + 3 + 2 + 1 + 1
    assert item_size({"l": {"L": [{"NULL": True}, {"S": "xy"}]}}) == 1 + 3 + 2 + 3


def test_capacity_of_every_route(capacity: CapacityResult) -> None:
    small, large = BODY_SIZES
    post = capacity.units("POST /items", small)
    # A version and a head of under 1 KB each, transactional: 2 x 2 units.
    assert (post.read, post.write, post.calls) == (0, 4, ["TransactWriteItems"])
    keyed = capacity.units("POST /items with Idempotency-Key", small)
    assert (keyed.read, keyed.write) == (1, 6)  # + the key record, and its lookup
    replay = capacity.units("POST /items, a replay", small)
    assert (replay.write, replay.calls) == (0, ["GetItem", "GetItem"])
    assert capacity.units("seed: a write (one PutItem)", small).write == 1
    assert capacity.units("PUT /items/{id}", large).write == 4 * 100
    assert capacity.units("GET /items/{id}", large).read == 25
    assert capacity.units("GET /items, a page of 10", small).read == 1.5  # 10 KB, eventual
    assert {"PATCH /items/{id}", "POST /items/{id}/restore"} <= set(capacity.operations)


def test_throughput_answers_every_request(throughput: ThroughputResult) -> None:
    assert throughput.errors() == 0
    assert throughput.hit_fraction(2) > 0.5
    assert throughput.has(BASELINE_GET, 2)


def test_scale_measures_every_operation_at_every_size(scale: ScaleResult) -> None:
    assert scale.errors == 0
    for backend, sizes in scale.sizes.items():
        for items in sizes:
            assert all(scale.rate(backend, items, op) > 0 for op in SCALE_OPERATIONS)
    assert scale.ratio("dynamodb-local", "POST") > 0


def test_report_has_every_row_of_the_issue(
    synth: dict[str, SynthResult],
    cold_start: ColdStartResult,
    typed_cold_start: ColdStartResult,
    validation: ValidationResult,
    latency: LatencyResult,
    read_cost: ReadCostResult,
    owner_cost: OwnerCostResult,
    throughput: ThroughputResult,
    footprint: Footprint,
    capacity: CapacityResult,
    backfill: BackfillResult,
    scale: ScaleResult,
) -> None:
    page = render(
        Results(
            machine=describe_machine(),
            quick=True,
            seconds=1.0,
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
    )
    summary = page.split("## Summary", 1)[1].split("\n## ", 1)[0]
    for row in ISSUE_ROWS:
        assert f"\n| {row} |" in summary
    assert footprint.wheel_bytes > footprint.asset_zip_bytes > 0
