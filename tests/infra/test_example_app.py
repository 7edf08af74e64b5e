"""The example app synthesizes offline into one stack holding one service."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).parents[2]
APP = REPO / "example_app" / "app.py"
CDK_JSON = APP.with_name("cdk.json")


@pytest.fixture(scope="module")
def example_template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    outdir = tmp_path_factory.mktemp("example.out")
    context = {**json.loads(CDK_JSON.read_text())["context"], "owner": "team-a"}
    # What `cdk synth` does: run the app in a fresh process, in its folder, with the
    # output directory and the context in the environment.
    # The checkout's sources come first, whether or not the package is installed.
    python_path = os.pathsep.join(filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH")]))
    env = {
        **os.environ,
        "PYTHONPATH": python_path,
        "CDK_OUTDIR": str(outdir),
        "CDK_CONTEXT_JSON": json.dumps(context),
    }
    subprocess.run([sys.executable, APP.name], cwd=APP.parent, env=env, check=True)
    template: dict[str, object] = json.loads(
        (outdir / "ServerlessCrudExample.template.json").read_text()
    )
    return template


def test_cdk_json_runs_the_app_with_python() -> None:
    assert json.loads(CDK_JSON.read_text())["app"] == "python app.py"


def test_example_holds_one_service_tagged_from_context(example_template: dict[str, object]) -> None:
    resources = example_template["Resources"]
    assert isinstance(resources, dict)
    types = [resource["Type"] for resource in resources.values()]
    assert types.count("AWS::ApiGateway::RestApi") == 1
    # The item function and the change events' enrichment; one pipe, one bus.
    assert types.count("AWS::Lambda::Function") == 2
    assert types.count("AWS::Pipes::Pipe") == 1
    assert types.count("AWS::Events::EventBus") == 1
    (table,) = [r for r in resources.values() if r["Type"] == "AWS::DynamoDB::Table"]
    assert {tag["Key"]: tag["Value"] for tag in table["Properties"]["Tags"]} == {
        "Environment": "dev",
        "Project": "cdk-serverless-crud-example",
        "Owner": "team-a",
    }
