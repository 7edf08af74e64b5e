"""Read a synthesized cloud assembly (``cdk.out``) into what local mode serves.

The template is the source of truth: routes, CORS preflights, the stage and its cache
settings, the Lambda handlers with their environment, the tables and the buckets all come
from the CloudFormation the user would deploy, so props and subclass changes show up
locally. One reader per kind of resource does the reading: ``storage.py`` (tables and
buckets), ``functions.py``, ``rest_api.py`` (with ``preflights.py``, ``mocks.py`` and
``models.py``) and ``buses.py`` (pipes and rules).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .buses import BusReader, PipeSpec, RuleSpec
from .errors import TemplateError
from .functions import FunctionReader, FunctionSpec
from .intrinsics import LOCAL_REST_API_ID, LOCAL_STAGE_BASE, Resources
from .mocks import GatewayResponses, MockSpec
from .preflights import PreflightSpec
from .rest_api import MethodSpec, read_rest_api
from .storage import BucketSpec, Storage, TableSpec

__all__ = [
    "LOCAL_REST_API_ID",
    "LOCAL_STAGE_BASE",
    "ApiSpec",
    "BucketSpec",
    "FunctionSpec",
    "MethodSpec",
    "MockSpec",
    "PipeSpec",
    "PreflightSpec",
    "RuleSpec",
    "StackSpec",
    "TableSpec",
    "TemplateError",
    "load_api",
]

JsonObject = Mapping[str, Any]


@dataclass(frozen=True)
class StackSpec:
    """What local mode reads from one stack's template.

    The REST API's stage and its methods, and what they need: the tables, the buckets,
    the pipes from the tables' streams and the rules on their buses.
    """

    stack_name: str
    stage_name: str
    cache_cluster_enabled: bool
    access_log_format: str | None
    methods: tuple[MethodSpec, ...]
    preflights: tuple[PreflightSpec, ...] = field(default=())
    mocks: tuple[MockSpec, ...] = field(default=())
    """Methods API Gateway answers itself (MOCK), other than CORS preflights."""
    tables: tuple[TableSpec, ...] = field(default=())
    buckets: tuple[BucketSpec, ...] = field(default=())
    artifact_id: str = ""
    """The stack's artifact id in the cloud assembly (what its files are named after)."""
    gateway_responses: GatewayResponses = field(default_factory=lambda: GatewayResponses({}))
    """The template's gateway responses: how API Gateway answers errors of its own."""
    pipes: tuple[PipeSpec, ...] = field(default=())
    """The pipes from the tables' streams to event buses (change events)."""
    rules: tuple[RuleSpec, ...] = field(default=())
    """The rules on those buses that invoke the stack's functions."""
    notices: tuple[str, ...] = field(default=())
    """What local mode leaves out of the template, one line each."""

    @property
    def functions(self) -> tuple[FunctionSpec, ...]:
        """Every function that an API method integrates with, once."""
        return tuple({m.function.logical_id: m.function for m in self.methods}.values())

    @property
    def invoked_functions(self) -> tuple[FunctionSpec, ...]:
        """Every function local mode runs: the routes', the pipes' enrichments, the rules'."""
        enrichments = [pipe.enrichment for pipe in self.pipes if pipe.enrichment is not None]
        targets = [function for rule in self.rules for function in rule.functions]
        return (*self.functions, *enrichments, *targets)


ApiSpec = StackSpec
"""The name :class:`StackSpec` had when it held the REST API alone; kept for importers."""


def load_api(cdk_out: Path, stack_name: str | None = None) -> StackSpec:
    """Read the one REST API of ``stack_name`` (or of the only stack that has one)."""
    manifest = _read_json(cdk_out / "manifest.json")
    stacks = {
        name: artifact
        for name, artifact in manifest.get("artifacts", {}).items()
        if artifact.get("type") == "aws:cloudformation:stack"
    }
    candidates: dict[str, tuple[JsonObject, Resources]] = {}
    for name, artifact in stacks.items():
        resources = Resources(_read_json(cdk_out / artifact["properties"]["templateFile"]))
        if resources.of_type("AWS::ApiGateway::RestApi"):
            candidates[artifact.get("displayName", name)] = ({**artifact, "id": name}, resources)
    if stack_name is not None:
        matches = {k: v for k, v in candidates.items() if stack_name in (k, k.split("/")[-1])}
        if not matches:
            raise TemplateError(
                f"stack {stack_name!r} has no REST API; stacks with one: {sorted(candidates)}"
            )
        candidates = matches
    if len(candidates) != 1:
        found = sorted(candidates) or "none"
        raise TemplateError(
            f"expected exactly one stack with a REST API, found {found}; pass --stack"
        )
    ((display_name, (artifact, resources)),) = candidates.items()
    assets = _asset_dirs(cdk_out, artifact)
    return _read_stack(display_name.split("/")[-1], str(artifact["id"]), resources, assets)


def _read_stack(
    stack_name: str, artifact_id: str, resources: Resources, assets: Mapping[str, Path]
) -> StackSpec:
    """Compose the readers: storage first, as the others' references resolve to it."""
    storage = Storage(stack_name, resources)
    functions = FunctionReader(stack_name, resources, assets, storage.ref)
    api = read_rest_api(stack_name, resources, functions)
    buses = BusReader(stack_name, resources, storage.tables, functions, storage.ref)
    pipes, notices = buses.pipes()
    rules, rule_notices = buses.rules({pipe.bus_name for pipe in pipes})
    return StackSpec(
        stack_name=stack_name,
        stage_name=api.stage_name,
        cache_cluster_enabled=api.cache_cluster_enabled,
        access_log_format=api.access_log_format,
        methods=api.methods,
        preflights=api.preflights,
        mocks=api.mocks,
        tables=tuple(storage.tables.values()),
        buckets=tuple(storage.buckets.values()),
        artifact_id=artifact_id,
        gateway_responses=api.gateway_responses,
        pipes=tuple(pipes),
        rules=tuple(rules),
        notices=tuple(notices + rule_notices),
    )


def _asset_dirs(cdk_out: Path, stack: JsonObject) -> dict[str, Path]:
    """Map each file asset's S3 object key to its unpacked folder in ``cdk.out``."""
    result: dict[str, Path] = {}
    for dependency in stack.get("dependencies", []):
        manifest_file = cdk_out / f"{dependency}.json"
        if not dependency.endswith(".assets") or not manifest_file.exists():
            continue
        for asset in _read_json(manifest_file).get("files", {}).values():
            source = cdk_out / asset["source"]["path"]
            for destination in asset.get("destinations", {}).values():
                result[destination["objectKey"]] = source
    return result


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError as error:
        raise TemplateError(f"{path} not found; synthesize the app first") from error
