"""Synth overhead: ``cdk synth`` of each example app against its plain-L2 baseline app.

Each synth is a separate ``cdk synth`` process (the CLI, the Python app, and jsii's
Node), as a user runs it. An app and its baseline alternate, so background load hits
both; the apps take turns too.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import shop
from .common import BASELINE_APP, EXAMPLE_APP, REPO, median, paired_ratio, tool_environment


@dataclass(frozen=True)
class SynthApp:
    """An app whose synth is timed against a baseline app that must give its template."""

    key: str
    name: str
    """How the page and the drift message call it: "the example app"."""
    subject: Path
    baseline: Path
    stack_template: str
    baseline_source: str
    """The baseline app's file, for the drift message."""
    baseline_environment: Callable[[], dict[str, str]] = dict
    """What the baseline needs in its environment, prepared once before the timed runs."""


EXAMPLE = SynthApp(
    key="example",
    name="the example app",
    subject=EXAMPLE_APP,
    baseline=BASELINE_APP,
    stack_template="ServerlessCrudExample.template.json",
    baseline_source="bench/baseline_app/app.py",
)
SHOP = SynthApp(
    key="shop",
    name="the shop example",
    subject=shop.SHOP_APP,
    baseline=shop.BASELINE_SHOP,
    stack_template="ShopExample.template.json",
    baseline_source="bench/baseline_shop/app.py",
    baseline_environment=shop.baseline_environment,
)
APPS = (EXAMPLE, SHOP)
SHARED_BASELINE_SOURCE = "bench/baseline_app/plain_service.py"


def cdk_synth_command(outdir: Path) -> list[str]:
    """The CDK CLI's synth, as ``make synth`` runs it, into ``outdir``."""
    cdk = REPO / "node_modules" / ".bin" / "cdk"
    return [str(cdk), "synth", "--quiet", "--no-notices", "--output", str(outdir)]


@dataclass
class Run:
    """One timed process: wall-clock seconds and CPU seconds of it and its children."""

    wall: float
    cpu: float


def timed_run(command: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None) -> Run:
    """Run ``command`` to completion, ``env`` added; raise with its stderr if it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(
        list(command),
        cwd=cwd,
        env={**tool_environment(), **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed in {cwd}:\n{result.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(wall=wall, cpu=cpu)


@dataclass
class SynthResult:
    """Timings of one app and its baseline, pair by pair, and whether their templates match."""

    app: SynthApp
    subject: list[Run] = field(default_factory=list)
    baseline: list[Run] = field(default_factory=list)
    warmup_pairs: int = 0
    templates_match: bool = False
    template_difference: str = ""
    resource_count: int = 0
    assembly: Path | None = None

    @property
    def wall_ratio(self) -> float:
        return paired_ratio([r.wall for r in self.subject], [r.wall for r in self.baseline])

    @property
    def cpu_ratio(self) -> float:
        return paired_ratio([r.cpu for r in self.subject], [r.cpu for r in self.baseline])

    @property
    def pair_ratios(self) -> list[float]:
        """Wall-clock ratio of each pair."""
        return [s.wall / b.wall for s, b in zip(self.subject, self.baseline, strict=True)]

    def medians(self) -> dict[str, float]:
        return {
            "subject_wall": median([r.wall for r in self.subject]),
            "baseline_wall": median([r.wall for r in self.baseline]),
            "subject_cpu": median([r.cpu for r in self.subject]),
            "baseline_cpu": median([r.cpu for r in self.baseline]),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": [vars(r) for r in self.subject],
            "baseline": [vars(r) for r in self.baseline],
            "wall_ratio": self.wall_ratio,
            "cpu_ratio": self.cpu_ratio,
            "templates_match": self.templates_match,
            "resource_count": self.resource_count,
            **self.medians(),
        }


def measure_synth(
    pairs: int,
    workdir: Path,
    *,
    warmup_pairs: int = 1,
    apps: Sequence[SynthApp] = APPS,
    command: Callable[[Path], list[str]] = cdk_synth_command,
) -> dict[str, SynthResult]:
    """Synthesize each app and its baseline ``warmup_pairs + pairs`` times, by app key.

    Within a pair, which goes first alternates; the apps' pairs take turns. The warm-up
    pairs (discarded) fill the OS file cache and Node's compile cache. Each app's last
    assembly is kept in ``workdir/<key>-cdk.out`` for the benchmarks that serve it or
    measure its assets.
    """
    results = {app.key: SynthResult(app, warmup_pairs=warmup_pairs) for app in apps}
    environments = {app.key: app.baseline_environment() for app in apps}
    for index in range(warmup_pairs + pairs):
        for app in apps:
            baseline_out = workdir / f"{app.key}-baseline-cdk.out"
            sides = [
                ("subject", app.subject, workdir / f"{app.key}-cdk.out", {}),
                ("baseline", app.baseline, baseline_out, environments[app.key]),
            ]
            if index % 2:
                sides.reverse()
            for side, app_dir, outdir, env in sides:
                shutil.rmtree(outdir, ignore_errors=True)
                run = timed_run(command(outdir), app_dir, env)
                if index >= warmup_pairs:
                    getattr(results[app.key], side).append(run)
    for app in apps:
        result = results[app.key]
        result.assembly = workdir / f"{app.key}-cdk.out"
        baseline_out = workdir / f"{app.key}-baseline-cdk.out"
        _compare_templates(
            result, result.assembly / app.stack_template, baseline_out / app.stack_template
        )
    return results


def _compare_templates(result: SynthResult, example: Path, baseline: Path) -> None:
    """The baseline is only a baseline if it synthesizes the same template, byte for byte."""
    ours_text = example.read_text()
    theirs_text = baseline.read_text()
    ours = json.loads(ours_text)
    result.resource_count = len(ours.get("Resources", {}))
    result.templates_match = ours_text == theirs_text
    if not result.templates_match:
        result.template_difference = template_difference(ours, json.loads(theirs_text))


def template_difference(ours: dict[str, Any], theirs: dict[str, Any]) -> str:
    """Which logical IDs (or top-level sections) differ between two templates, in order too."""
    differing = [key for key in sorted(set(ours) | set(theirs)) if key != "Resources"]
    differing = [key for key in differing if not _same(ours.get(key), theirs.get(key))]
    resources_ours = ours.get("Resources", {})
    resources_theirs = theirs.get("Resources", {})
    for logical_id in sorted(set(resources_ours) | set(resources_theirs)):
        if not _same(resources_ours.get(logical_id), resources_theirs.get(logical_id)):
            differing.append(logical_id)
    if not differing and list(resources_ours) != list(resources_theirs):
        differing.append("the order of Resources")
    return ", ".join(differing)


def _same(ours: Any, theirs: Any) -> bool:
    """Equal, with object keys in the same order: what makes the files byte for byte equal."""
    return json.dumps(ours) == json.dumps(theirs)


_DRIFT_LINES = 40
"""How many differences the drift message lists; the first ones say enough to start."""


def template_drift(example: Any, baseline: Any, app: SynthApp = EXAMPLE) -> str:
    """What to change when a baseline app's template is not its app's.

    One line per differing place in the template: its path (``Resources.<LogicalId>.
    Properties...``) and the value each app synthesizes there, or where the same keys
    come in another order (the files must be equal byte for byte).
    """
    lines: list[str] = []
    _walk_difference("", example, baseline, lines)
    shown = lines[:_DRIFT_LINES]
    if len(lines) > len(shown):
        shown.append(f"... and {len(lines) - len(shown)} more")
    return "\n".join(
        [
            f"{app.baseline_source} no longer synthesizes {app.name}'s template, so the",
            "synth benchmark would time two different stacks. If the library's template was",
            "not meant to change, the change under src/ is what to fix. If it was, change",
            f"{app.baseline_source} or {SHARED_BASELINE_SOURCE} (plain aws-cdk-lib)",
            "until each of these matches:",
            *(f"  {line}" for line in shown),
        ]
    )


def _walk_difference(path: str, example: Any, baseline: Any, lines: list[str]) -> None:
    if _same(example, baseline):
        return
    if isinstance(example, dict) and isinstance(baseline, dict):
        ours = [key for key in example if key in baseline]
        theirs = [key for key in baseline if key in example]
        if ours != theirs:
            at = next(n for n, (a, b) in enumerate(zip(ours, theirs, strict=True)) if a != b)
            lines.append(
                f"{path or '(top level)'}: keys in another order: key {at + 1} is {ours[at]!r} "
                f"in the example app, {theirs[at]!r} in the baseline app"
            )
        for key in sorted(set(example) | set(baseline), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in baseline:
                lines.append(f"{where}: only in the example app: {_short(example[key])}")
            elif key not in example:
                lines.append(f"{where}: only in the baseline app: {_short(baseline[key])}")
            else:
                _walk_difference(where, example[key], baseline[key], lines)
    elif isinstance(example, list) and isinstance(baseline, list) and len(example) == len(baseline):
        for index, (ours, theirs) in enumerate(zip(example, baseline, strict=True)):
            _walk_difference(f"{path}[{index}]", ours, theirs, lines)
    else:
        lines.append(f"{path}: example app {_short(example)}, baseline app {_short(baseline)}")


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 160 else f"{text[:157]}..."


def new_workdir() -> Path:
    """A scratch folder for assemblies; never example_app/cdk.out, which `make run` serves."""
    return Path(tempfile.mkdtemp(prefix="serverless-crud-bench-"))
