"""The template's Lambda functions: where each one's code is and how it is called."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import TemplateError
from .intrinsics import Resolver, Resources, resolve_str


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


class FunctionReader:
    """Reads the ``AWS::Lambda::Function`` resources that methods, pipes and rules name."""

    def __init__(
        self, stack_name: str, resources: Resources, assets: Mapping[str, Path], ref: Resolver
    ) -> None:
        """Functions of ``resources``, their code in ``assets`` (by S3 object key)."""
        self.stack_name = stack_name
        self.resources = resources
        self.assets = assets
        self.ref = ref
        self._read: dict[str, FunctionSpec] = {}

    def is_function(self, logical_id: str) -> bool:
        """Whether ``logical_id`` is a Lambda function of the stack."""
        return self.resources.type_of(logical_id) == "AWS::Lambda::Function"

    def read(self, logical_id: str) -> FunctionSpec:
        """The function ``logical_id``, read once however many resources name it."""
        if logical_id not in self._read:
            self._read[logical_id] = self._function(logical_id)
        return self._read[logical_id]

    def _function(self, logical_id: str) -> FunctionSpec:
        if not self.is_function(logical_id):
            raise TemplateError(f"integration target {logical_id} is not a Lambda function")
        props = self.resources.properties(logical_id)
        code_key = resolve_str(props.get("Code", {}).get("S3Key"), self.ref)
        code_dir = self.assets.get(code_key)
        if code_dir is None:
            raise TemplateError(f"function {logical_id}: no local asset for code {code_key!r}")
        variables = props.get("Environment", {}).get("Variables", {})
        return FunctionSpec(
            logical_id=logical_id,
            code_dir=code_dir,
            handler=str(props["Handler"]),
            environment={k: resolve_str(v, self.ref) for k, v in variables.items()},
            timeout_seconds=int(props.get("Timeout", 3)),
            memory_mb=int(props.get("MemorySize", 128)),
            name=f"{self.stack_name}-{logical_id}"[:64],
        )
