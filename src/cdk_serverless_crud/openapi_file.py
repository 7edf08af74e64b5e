"""The service's OpenAPI document, written into the cloud assembly beside its template."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import Stage
from constructs import Construct, IValidation

from cdk_serverless_crud.contract.openapi_document import write_document


@jsii.implements(IValidation)
class WriteOpenApiDocument:
    """Writes the service's OpenAPI document into the cloud assembly at synthesis.

    A validation runs once per synthesis, after every construct exists and before the
    assembly is written, so the document lands beside the templates it describes.

    A validation with a side effect, because aws-cdk-lib offers a construct no public
    hook into the synthesis session: ``addCustomSynthesis`` (``onSynthesize(session)``)
    lives in ``core/lib/private`` and is not exported to Python; a stack synthesizer
    (``IStackSynthesizer.synthesize(session)``) could write the file, but it is the
    stack's, chosen when the stack is built, and a construct cannot replace it; and the
    policy validation plugins are the app's. The write is idempotent and reports no
    error, so it never changes what the validation decides.
    """

    def __init__(self, scope: Construct, file_name: str, document: Mapping[str, Any]) -> None:
        """Write ``document`` as ``file_name`` in the assembly of ``scope``'s stage."""
        self._scope = scope
        self._file_name = file_name
        self._document = document

    def validate(self) -> list[str]:
        stage = Stage.of(self._scope)
        if stage is None:  # a construct tree without an App: nothing is written anywhere
            return []
        outdir = Path(stage.outdir)
        outdir.mkdir(parents=True, exist_ok=True)
        write_document(self._document, outdir / self._file_name)
        return []
