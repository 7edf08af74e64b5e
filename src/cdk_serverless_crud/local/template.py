"""Read a synthesized cloud assembly (``cdk.out``) into what local mode serves.

The template is the source of truth: routes, CORS preflights, the stage and its cache
settings, the Lambda handlers with their environment, the tables and the buckets all come
from the CloudFormation the user would deploy, so props and subclass changes show up
locally.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cdk_serverless_crud.contract.stage_settings import method_caching

from .errors import TemplateError
from .mocks import GatewayResponses, MockSpec, read_gateway_responses, read_mock
from .models import BodyModel, body_model, required_parameters
from .preflights import PreflightSpec, read_preflight

__all__ = [
    "ApiSpec",
    "FunctionSpec",
    "MethodSpec",
    "MockSpec",
    "PipeSpec",
    "PreflightSpec",
    "RuleSpec",
    "TemplateError",
    "load_api",
]

JsonObject = Mapping[str, Any]

LOCAL_REST_API_ID = "local-api"
"""What ``Ref`` of the REST API resolves to locally."""
LOCAL_STAGE_BASE = f"https://{LOCAL_REST_API_ID}.execute-api.us-east-1.amazonaws.com"
"""The stage's URL as a function's environment names it, before the stage is served."""

#: Logical ids become local physical names; CloudFormation would add a random suffix.
_BUCKET_NAME_INVALID = re.compile(r"[^a-z0-9-]+")


@dataclass(frozen=True, eq=False)
class FunctionSpec:
    """A Lambda function: where its code is and how it is called."""

    logical_id: str
    code_dir: Path
    handler: str
    environment: Mapping[str, str]
    timeout_seconds: int
    memory_mb: int
    name: str


@dataclass(frozen=True)
class MethodSpec:
    """One API Gateway method with a Lambda proxy integration."""

    resource_path: str
    http_method: str
    function: FunctionSpec
    cache_key_parameters: tuple[str, ...]
    caching_enabled: bool
    cache_ttl_seconds: int
    authorization_type: str = "NONE"
    api_key_required: bool = False
    body_model: BodyModel | None = None
    """The JSON model API Gateway checks the body against before Lambda, if any."""
    required_parameters: tuple[str, ...] = ()
    """``method.request.querystring.*`` / ``.header.*`` the validator requires."""


@dataclass(frozen=True)
class TableSpec:
    """A DynamoDB table as ``CreateTable`` arguments."""

    name: str
    create_args: Mapping[str, Any]


@dataclass(frozen=True)
class BucketSpec:
    """An S3 bucket and whether it is versioned."""

    name: str
    versioned: bool


@dataclass(frozen=True)
class PipeSpec:
    """An EventBridge pipe from a table's stream to a bus, as local mode runs it."""

    logical_id: str
    table_name: str
    patterns: tuple[str, ...]
    """The filter's EventBridge patterns (JSON): a record passes if one matches."""
    enrichment: FunctionSpec | None
    bus_name: str
    source: str
    detail_type: str
    """The events' ``DetailType``: as given, or a JSON path (``$.detail_type``) into each
    answer of the enrichment."""
    input_template: str | None
    """What the target receives of each answer: ``<$.path>`` placeholders, or None for
    the answer itself."""


@dataclass(frozen=True)
class RuleSpec:
    """An EventBridge rule on a bus, with the functions it invokes."""

    logical_id: str
    bus_name: str
    pattern: str
    """The rule's event pattern (JSON)."""
    functions: tuple[FunctionSpec, ...]


@dataclass(frozen=True)
class ApiSpec:
    """A REST API stage, its methods and what they need."""

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


def load_api(cdk_out: Path, stack_name: str | None = None) -> ApiSpec:
    """Read the one REST API of ``stack_name`` (or of the only stack that has one)."""
    manifest = _read_json(cdk_out / "manifest.json")
    stacks = {
        name: artifact
        for name, artifact in manifest.get("artifacts", {}).items()
        if artifact.get("type") == "aws:cloudformation:stack"
    }
    candidates: dict[str, tuple[JsonObject, JsonObject]] = {}
    for name, artifact in stacks.items():
        template = _read_json(cdk_out / artifact["properties"]["templateFile"])
        if _of_type(template, "AWS::ApiGateway::RestApi"):
            candidates[artifact.get("displayName", name)] = ({**artifact, "id": name}, template)
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
    ((display_name, (artifact, template)),) = candidates.items()
    assets = _asset_dirs(cdk_out, stacks, artifact)
    api = _Reader(display_name.split("/")[-1], template, assets).api()
    return dataclasses.replace(api, artifact_id=artifact["id"])


class _Reader:
    """Resolves one template's resources into specs."""

    def __init__(self, stack_name: str, template: JsonObject, assets: Mapping[str, Path]) -> None:
        self.stack_name = stack_name
        self.resources: JsonObject = template.get("Resources", {})
        self.assets = assets
        self.tables = {
            lid: self._table(lid, res) for lid, res in _of_type(template, "AWS::DynamoDB::Table")
        }
        self.buckets = {
            lid: self._bucket(lid, res) for lid, res in _of_type(template, "AWS::S3::Bucket")
        }

    def api(self) -> ApiSpec:
        rest_apis = _of_type({"Resources": self.resources}, "AWS::ApiGateway::RestApi")
        if len(rest_apis) != 1:
            raise TemplateError(
                f"stack {self.stack_name} has {len(rest_apis)} REST APIs; expected 1"
            )
        ((api_id, _),) = rest_apis
        stages = [
            res
            for _, res in _of_type({"Resources": self.resources}, "AWS::ApiGateway::Stage")
            if res["Properties"].get("RestApiId") == {"Ref": api_id}
        ]
        if len(stages) != 1:
            raise TemplateError(f"REST API {api_id} has {len(stages)} stages; expected 1")
        stage = stages[0]["Properties"]
        cluster = stage.get("CacheClusterEnabled") is True
        functions: dict[str, FunctionSpec] = {}
        methods = []
        preflights = []
        mocks = []
        for _, method in _of_type({"Resources": self.resources}, "AWS::ApiGateway::Method"):
            props = method["Properties"]
            if props.get("RestApiId") != {"Ref": api_id}:
                continue
            path = self._path(props["ResourceId"])
            integration = props.get("Integration", {})
            if props["HttpMethod"] == "OPTIONS" and integration.get("Type") == "MOCK":
                preflights.append(read_preflight(path, props))
                continue
            if integration.get("Type") == "MOCK":
                mocks.append(read_mock(path, props))
                continue
            if integration.get("Type") != "AWS_PROXY":
                raise TemplateError(
                    f"method {props['HttpMethod']} {path} uses a {integration.get('Type')} "
                    "integration; local mode serves Lambda proxy and MOCK integrations only"
                )
            fn_id = _find_getatt_arn(integration.get("Uri"))
            if fn_id not in functions:
                functions[fn_id] = self._function(fn_id)
            caching = method_caching(stage, path, props["HttpMethod"])
            methods.append(
                MethodSpec(
                    resource_path=path,
                    http_method=props["HttpMethod"],
                    function=functions[fn_id],
                    cache_key_parameters=tuple(integration.get("CacheKeyParameters", [])),
                    caching_enabled=caching.enabled,
                    cache_ttl_seconds=caching.ttl_seconds,
                    authorization_type=str(props.get("AuthorizationType", "NONE")),
                    api_key_required=props.get("ApiKeyRequired") is True,
                    body_model=body_model(self.resources, props),
                    required_parameters=required_parameters(self.resources, props),
                )
            )
        log_setting = stage.get("AccessLogSetting") or {}
        pipes, notices = self._pipes()
        rules, rule_notices = self._rules({pipe.bus_name for pipe in pipes})
        return ApiSpec(
            stack_name=self.stack_name,
            stage_name=str(stage["StageName"]),
            cache_cluster_enabled=cluster,
            access_log_format=log_setting.get("Format"),
            methods=tuple(sorted(methods, key=lambda m: (m.resource_path, m.http_method))),
            preflights=tuple(sorted(preflights, key=lambda p: p.resource_path)),
            mocks=tuple(sorted(mocks, key=lambda m: (m.resource_path, m.http_method))),
            tables=tuple(self.tables.values()),
            buckets=tuple(self.buckets.values()),
            gateway_responses=read_gateway_responses(self.resources, api_id),
            pipes=tuple(pipes),
            rules=tuple(rules),
            notices=tuple(notices + rule_notices),
        )

    def _pipes(self) -> tuple[list[PipeSpec], list[str]]:
        """The pipes local mode runs (table stream to bus), and a notice for each other."""
        pipes, notices = [], []
        for logical_id, resource in _of_type({"Resources": self.resources}, "AWS::Pipes::Pipe"):
            try:
                pipes.append(self._pipe(logical_id, resource["Properties"]))
            except TemplateError as error:
                notices.append(f"Pipe {logical_id} is not run locally: {error}")
        return pipes, notices

    def _pipe(self, logical_id: str, props: JsonObject) -> PipeSpec:
        source = props.get("Source")
        getatt = source.get("Fn::GetAtt") if isinstance(source, Mapping) else None
        if not (getatt and getatt[1] == "StreamArn" and getatt[0] in self.tables):
            raise TemplateError("local mode reads the streams of the stack's own tables only")
        table = self.tables[getatt[0]]
        if "StreamSpecification" not in table.create_args:
            raise TemplateError(f"table {getatt[0]} has no stream")
        source_parameters = props.get("SourceParameters", {})
        filters = source_parameters.get("FilterCriteria", {}).get("Filters", [])
        enrichment = props.get("Enrichment")
        enrichment_id = _find_getatt_arn(enrichment) if enrichment is not None else ""
        if enrichment is not None and not enrichment_id:
            raise TemplateError("its enrichment is not a Lambda function of the stack")
        parameters = props.get("TargetParameters", {})
        bus = parameters.get("EventBridgeEventBusParameters", {})
        return PipeSpec(
            logical_id=logical_id,
            table_name=table.name,
            patterns=tuple(str(f["Pattern"]) for f in filters),
            enrichment=self._function(enrichment_id) if enrichment_id else None,
            bus_name=self._bus_name(props.get("Target")),
            source=str(bus.get("Source", f"Pipe {logical_id}")),
            detail_type=str(bus.get("DetailType", "Event from aws:dynamodb")),
            input_template=parameters.get("InputTemplate"),
        )

    def _rules(self, buses: set[str]) -> tuple[list[RuleSpec], list[str]]:
        """The rules on ``buses`` (those the pipes put to) and their Lambda targets."""
        rules, notices = [], []
        for logical_id, resource in _of_type({"Resources": self.resources}, "AWS::Events::Rule"):
            props = resource["Properties"]
            if "EventPattern" not in props or "EventBusName" not in props:
                continue
            bus = self._bus_name_of(props["EventBusName"])
            if bus not in buses:
                continue
            functions = []
            for target in props.get("Targets", []):
                function_id = _find_getatt_arn(target.get("Arn"))
                if self.resources.get(function_id, {}).get("Type") == "AWS::Lambda::Function":
                    functions.append(self._function(function_id))
                else:
                    notices.append(
                        f"Rule {logical_id}: target {target.get('Id')} is not run locally "
                        "(local mode invokes the stack's Lambda functions only)"
                    )
            rules.append(
                RuleSpec(logical_id, bus, json.dumps(props["EventPattern"]), tuple(functions))
            )
        return rules, notices

    def _bus_name_of(self, value: Any) -> str:
        """A rule's ``EventBusName``: a name, or ``Ref`` of the stack's bus."""
        if isinstance(value, Mapping) and "Ref" in value:
            return self._bus_name({"Fn::GetAtt": [value["Ref"], "Arn"]})
        return _resolve_str(value, self._ref)

    def _bus_name(self, target: Any) -> str:
        """The name of the bus a pipe targets: the stack's own, or one given by ARN."""
        getatt = target.get("Fn::GetAtt") if isinstance(target, Mapping) else None
        if getatt and self.resources.get(getatt[0], {}).get("Type") == "AWS::Events::EventBus":
            name = self.resources[getatt[0]].get("Properties", {}).get("Name")
            return name if isinstance(name, str) else f"{self.stack_name}-{getatt[0]}"
        arn = _resolve_str(target, self._ref) if target is not None else ""
        if ":event-bus/" not in arn:
            raise TemplateError("its target is not an event bus")
        return arn.rsplit(":event-bus/", 1)[1]

    def _path(self, ref: Any) -> str:
        """The full path of an ``AWS::ApiGateway::Resource`` (or the root)."""
        if isinstance(ref, Mapping) and "Fn::GetAtt" in ref:
            return "/"
        logical_id = ref["Ref"]
        props = self.resources[logical_id]["Properties"]
        parent = self._path(props["ParentId"])
        return f"{parent.rstrip('/')}/{props['PathPart']}"

    def _function(self, logical_id: str) -> FunctionSpec:
        resource = self.resources.get(logical_id)
        if resource is None or resource["Type"] != "AWS::Lambda::Function":
            raise TemplateError(f"integration target {logical_id} is not a Lambda function")
        props = resource["Properties"]
        code_key = _resolve_str(props.get("Code", {}).get("S3Key"), self._ref)
        code_dir = self.assets.get(code_key)
        if code_dir is None:
            raise TemplateError(f"function {logical_id}: no local asset for code {code_key!r}")
        variables = props.get("Environment", {}).get("Variables", {})
        return FunctionSpec(
            logical_id=logical_id,
            code_dir=code_dir,
            handler=str(props["Handler"]),
            environment={k: _resolve_str(v, self._ref) for k, v in variables.items()},
            timeout_seconds=int(props.get("Timeout", 3)),
            memory_mb=int(props.get("MemorySize", 128)),
            name=f"{self.stack_name}-{logical_id}"[:64],
        )

    def _ref(self, logical_id: str, attribute: str | None) -> str:
        """The local value of ``Ref`` / ``Fn::GetAtt`` for the resources local mode creates."""
        if logical_id in self.tables:
            name = self.tables[logical_id].name
            return (
                name
                if attribute is None
                else f"arn:aws:dynamodb:us-east-1:123456789012:table/{name}"
            )
        if logical_id in self.buckets:
            name = self.buckets[logical_id].name
            return name if attribute is None else f"arn:aws:s3:::{name}"
        kind = self.resources.get(logical_id, {}).get("Type")
        if kind == "AWS::ApiGateway::RestApi" and attribute is None:
            return LOCAL_REST_API_ID
        if kind == "AWS::ApiGateway::Stage" and attribute is None:
            return str(self.resources[logical_id]["Properties"]["StageName"])
        raise TemplateError(f"cannot resolve a reference to {logical_id} locally")

    def _table(self, logical_id: str, resource: JsonObject) -> TableSpec:
        props = resource["Properties"]
        name = props.get("TableName")
        name = name if isinstance(name, str) else f"{self.stack_name}-{logical_id}"[:255]
        args: dict[str, Any] = {
            "TableName": name,
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": "PAY_PER_REQUEST",
        }
        indexes = [
            {k: gsi[k] for k in ("IndexName", "KeySchema", "Projection")}
            for gsi in props.get("GlobalSecondaryIndexes", [])
        ]
        if indexes:
            args["GlobalSecondaryIndexes"] = indexes
        stream = props.get("StreamSpecification")
        if stream:
            args["StreamSpecification"] = {
                "StreamEnabled": True,
                "StreamViewType": stream["StreamViewType"],
            }
        return TableSpec(name=name, create_args=args)

    def _bucket(self, logical_id: str, resource: JsonObject) -> BucketSpec:
        props = resource.get("Properties", {})
        name = props.get("BucketName")
        if not isinstance(name, str):
            name = _BUCKET_NAME_INVALID.sub("-", f"{self.stack_name}-{logical_id}".lower())
            name = name[:63].strip("-")
        status = props.get("VersioningConfiguration", {}).get("Status")
        return BucketSpec(name=name, versioned=status == "Enabled")


def _asset_dirs(
    cdk_out: Path, stacks: Mapping[str, JsonObject], stack: JsonObject
) -> dict[str, Path]:
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


def _of_type(template: JsonObject, resource_type: str) -> list[tuple[str, JsonObject]]:
    return [
        (lid, res)
        for lid, res in template.get("Resources", {}).items()
        if res.get("Type") == resource_type
    ]


def _find_getatt_arn(value: Any) -> str:
    """The logical id in the ``Fn::GetAtt [X, Arn]`` inside an integration URI."""
    if isinstance(value, Mapping):
        getatt = value.get("Fn::GetAtt")
        if isinstance(getatt, list) and len(getatt) == 2 and getatt[1] == "Arn":
            return str(getatt[0])
        for inner in value.values():
            found = _find_getatt_arn(inner)
            if found:
                return found
    elif isinstance(value, list):
        for inner in value:
            found = _find_getatt_arn(inner)
            if found:
                return found
    return ""


_PSEUDO = {
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "local",
}


def _resolve_str(value: Any, ref: Any) -> str:
    """Resolve the intrinsic functions that appear in environments and code keys."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Mapping) and len(value) == 1:
        ((fn, arg),) = value.items()
        if fn == "Ref":
            return _PSEUDO[arg] if arg in _PSEUDO else str(ref(arg, None))
        if fn == "Fn::GetAtt":
            return str(ref(arg[0], arg[1]))
        if fn == "Fn::Join":
            return str(arg[0]).join(_resolve_str(part, ref) for part in arg[1])
        if fn == "Fn::Sub" and isinstance(arg, str):
            return re.sub(r"\$\{([^}]+)\}", lambda m: _PSEUDO.get(m[1], m[0]), arg)
    raise TemplateError(f"cannot resolve {json.dumps(value)} locally")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError as error:
        raise TemplateError(f"{path} not found; synthesize the app first") from error
