"""The README's Python examples synthesize as written."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


#: Runs each named script with its own CDK_OUTDIR, in one process: the README's apps
#: share one Python and one jsii start (about 15 s each when run apart).
_DRIVER = """
import os, runpy, sys
import aws_cdk

class App(aws_cdk.App):  # jsii reads CDK_OUTDIR once: each app is told its own
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("outdir", os.environ["CDK_OUTDIR"])
        super().__init__(*args, **kwargs)

aws_cdk.App = App
for name in sys.argv[1:]:
    os.environ["CDK_OUTDIR"] = os.path.join(os.getcwd(), name + ".out")
    runpy.run_path(name + ".py", run_name="__main__")
"""


def _scripts() -> dict[str, str]:
    """The README's app examples as scripts, each completed into an app of its own."""
    blocks = _python_blocks()
    (usage,) = [b for b in blocks if "app.synth()" in b]
    (subclass,) = [b for b in blocks if "class WatchedItems" in b]
    (alarms,) = [b for b in blocks if "ServiceMonitoringProps(" in b]
    return {
        "usage": usage,
        "subclassing": subclass
        + textwrap.dedent(
            """
            import aws_cdk as cdk

            app = cdk.App()
            stack = cdk.Stack(app, "Watched")
            WatchedItems(stack, "Items", tags={"Environment": "t", "Project": "p", "Owner": "o"})
            app.synth()
            """
        ),
        "alarms": "import aws_cdk as cdk\n\napp = cdk.App()\nstack = cdk.Stack(app, 'Watched')\n"
        + alarms
        + "\napp.synth()\n",
    }


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Each example's templates by stack name, synthesized once for the module."""
    folder = tmp_path_factory.mktemp("readme-apps")
    scripts = _scripts()
    for name, script in scripts.items():
        (folder / f"{name}.py").write_text(script)
    subprocess.run([sys.executable, "-c", _DRIVER, *scripts], cwd=folder, check=True)
    templates: dict[str, dict[str, Any]] = {}
    for name in scripts:
        templates[name] = {
            path.name.removesuffix(".template.json"): json.loads(path.read_text())
            for path in (folder / f"{name}.out").glob("*.template.json")
        }
    return templates


def test_usage_example(synthesized: dict[str, dict[str, Any]]) -> None:
    resources = synthesized["usage"]["Shop"]["Resources"]
    (stage,) = [r for r in resources.values() if r["Type"] == "AWS::ApiGateway::Stage"]
    assert stage["Properties"]["StageName"] == "v1"
    settings = stage["Properties"]["MethodSettings"]
    assert {s.get("CacheTtlInSeconds") for s in settings} == {30}
    assert {s.get("ThrottlingRateLimit") for s in settings} == {50}


def test_subclassing_example(synthesized: dict[str, dict[str, Any]]) -> None:
    resources = synthesized["subclassing"]["Watched"]["Resources"]
    (table,) = [r for r in resources.values() if r["Type"] == "AWS::DynamoDB::Table"]
    assert table["Properties"]["ContributorInsightsSpecification"] == {"Enabled": True}
    health = [
        r
        for r in resources.values()
        if r["Type"] == "AWS::ApiGateway::Resource" and r["Properties"]["PathPart"] == "health"
    ]
    assert len(health) == 1


def test_alarms_example(synthesized: dict[str, dict[str, Any]]) -> None:
    resources = synthesized["alarms"]["Watched"]["Resources"]
    alarms_found = [
        r["Properties"] for r in resources.values() if r["Type"] == "AWS::CloudWatch::Alarm"
    ]
    (topic,) = [lid for lid, r in resources.items() if r["Type"] == "AWS::SNS::Topic"]
    assert len(alarms_found) == 5
    assert all(a["AlarmActions"] == [{"Ref": topic}] for a in alarms_found)
    assert {a.get("ExtendedStatistic"): a["Threshold"] for a in alarms_found}["p99"] == 800
    assert [r for r in resources.values() if r["Type"] == "AWS::CloudWatch::Dashboard"]


def _typed_section() -> str:
    text = README.read_text()
    return text[text.index("## Typed collections") : text.index("## Change events")]


def test_typed_collections_example_answers_as_the_readme_shows() -> None:
    """The README's schema, its curl body and the error it shows agree with the code.

    The body must get past API Gateway's request model (the function answers it) and fail
    the generated validator with exactly the details shown.
    """
    import ast

    import jsonschema
    import pytest

    from cdk_serverless_crud import Collection, Index
    from cdk_serverless_crud.contract import schemas
    from cdk_serverless_crud.contract.draft_4 import request_model
    from cdk_serverless_crud.runtime.item_service.errors import InvalidBody
    from cdk_serverless_crud.runtime.item_service.schema import Schema

    section = _typed_section()
    (code,) = [
        block
        for block in re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
        if "ORDER_SCHEMA = " in block
    ]
    assignment = next(
        node
        for node in ast.parse(code).body
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "ORDER_SCHEMA"
    )
    schema = ast.literal_eval(assignment.value)
    collection = Collection(
        "orders", schema=schema, indexes=[Index("status"), Index("customer_id")]
    )
    assert collection.schema is not None
    (curl,) = re.findall(r"-d '(.*?)'\n```", section, flags=re.DOTALL)
    body = json.loads(curl)
    (shown,) = re.findall(r"```json\n(.*?)```", section, flags=re.DOTALL)

    model = request_model("OrdersData")
    assert jsonschema.Draft4Validator(model).is_valid(body)
    namespace: dict[str, object] = {}
    exec(schemas.validator_source(collection.schema), namespace)
    with pytest.raises(InvalidBody) as refused:
        Schema(validate=namespace["validate"]).check(body)  # type: ignore[arg-type]
    assert refused.value.payload() == json.loads(shown)
