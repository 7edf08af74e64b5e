"""The template's pipes (a table's stream to an event bus) and the rules on those buses.

Local mode runs a pipe whose source is the stream of one of the stack's own tables, and
the rules on the buses those pipes put to that invoke the stack's functions
(``pipes.py``). Anything else gets a notice, one line each.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import TemplateError
from .functions import FunctionReader, FunctionSpec
from .intrinsics import Resolver, Resources, find_getatt_arn, resolve_str
from .storage import TableSpec

JsonObject = Mapping[str, Any]


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


class BusReader:
    """Reads the pipes and rules of one template."""

    def __init__(
        self,
        stack_name: str,
        resources: Resources,
        tables: Mapping[str, TableSpec],
        functions: FunctionReader,
        ref: Resolver,
    ) -> None:
        """Pipes may read the streams of ``tables`` (by logical id)."""
        self.stack_name = stack_name
        self.resources = resources
        self.tables = tables
        self.functions = functions
        self.ref = ref

    def pipes(self) -> tuple[list[PipeSpec], list[str]]:
        """The pipes local mode runs (table stream to bus), and a notice for each other."""
        pipes, notices = [], []
        for logical_id, resource in self.resources.of_type("AWS::Pipes::Pipe"):
            try:
                pipes.append(self._pipe(logical_id, resource["Properties"]))
            except TemplateError as error:
                notices.append(f"Pipe {logical_id} is not run locally: {error}")
        return pipes, notices

    def rules(self, buses: set[str]) -> tuple[list[RuleSpec], list[str]]:
        """The rules on ``buses`` (those the pipes put to) and their Lambda targets."""
        rules, notices = [], []
        for logical_id, resource in self.resources.of_type("AWS::Events::Rule"):
            props = resource["Properties"]
            if "EventPattern" not in props or "EventBusName" not in props:
                continue
            bus = self._bus_name_of(props["EventBusName"])
            if bus not in buses:
                continue
            functions = []
            for target in props.get("Targets", []):
                function_id = find_getatt_arn(target.get("Arn"))
                if self.functions.is_function(function_id):
                    functions.append(self.functions.read(function_id))
                else:
                    notices.append(
                        f"Rule {logical_id}: target {target.get('Id')} is not run locally "
                        "(local mode invokes the stack's Lambda functions only)"
                    )
            rules.append(
                RuleSpec(logical_id, bus, json.dumps(props["EventPattern"]), tuple(functions))
            )
        return rules, notices

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
        enrichment_id = find_getatt_arn(enrichment) if enrichment is not None else ""
        if enrichment is not None and not enrichment_id:
            raise TemplateError("its enrichment is not a Lambda function of the stack")
        parameters = props.get("TargetParameters", {})
        bus = parameters.get("EventBridgeEventBusParameters", {})
        return PipeSpec(
            logical_id=logical_id,
            table_name=table.name,
            patterns=tuple(str(f["Pattern"]) for f in filters),
            enrichment=self.functions.read(enrichment_id) if enrichment_id else None,
            bus_name=self._bus_name(props.get("Target")),
            source=str(bus.get("Source", f"Pipe {logical_id}")),
            detail_type=str(bus.get("DetailType", "Event from aws:dynamodb")),
            input_template=parameters.get("InputTemplate"),
        )

    def _bus_name_of(self, value: Any) -> str:
        """A rule's ``EventBusName``: a name, or ``Ref`` of the stack's bus."""
        if isinstance(value, Mapping) and "Ref" in value:
            return self._bus_name({"Fn::GetAtt": [value["Ref"], "Arn"]})
        return resolve_str(value, self.ref)

    def _bus_name(self, target: Any) -> str:
        """The name of the bus a pipe targets: the stack's own, or one given by ARN."""
        getatt = target.get("Fn::GetAtt") if isinstance(target, Mapping) else None
        if getatt and self.resources.type_of(getatt[0]) == "AWS::Events::EventBus":
            name = self.resources.properties(getatt[0]).get("Name")
            return name if isinstance(name, str) else f"{self.stack_name}-{getatt[0]}"
        arn = resolve_str(target, self.ref) if target is not None else ""
        if ":event-bus/" not in arn:
            raise TemplateError("its target is not an event bus")
        return arn.rsplit(":event-bus/", 1)[1]
