"""cdk-nag's AwsSolutions and Serverless packs find nothing unacknowledged: in the example
app, in a default service and in every non-default configuration."""

import json
from pathlib import Path

import pytest

from .conftest import (
    CONFIGURATIONS,
    Synthesized,
    acknowledgments,
    synthesize_example,
    violations,
)


def test_the_example_app_has_no_unacknowledged_finding(example: Synthesized) -> None:
    assert violations(example.app) == []


@pytest.mark.parametrize("configuration", list(CONFIGURATIONS))
def test_each_configuration_has_no_unacknowledged_finding(
    configurations: Synthesized, configuration: str
) -> None:
    assert violations(configurations.stack(configuration)) == []


def test_the_example_app_fails_cdk_synth_on_any_unacknowledged_finding(
    example: Synthesized, tmp_path: Path
) -> None:
    # Without the library's acknowledgments, the plugins the app registers stop synthesis,
    # and report exactly the findings the library acknowledges.
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        synthesize_example(tmp_path, acknowledge=False)
    report = json.loads((tmp_path / "validation-report.json").read_text())
    assert {plugin["pluginName"] for plugin in report["pluginReports"]} == {
        "AwsSolutions",
        "Serverless",
    }
    reported = {
        f"{violation['ruleName']} at {construct['constructPath']}"
        for plugin in report["pluginReports"]
        for violation in plugin["violations"]
        for construct in violation["violatingConstructs"]
    }
    assert reported == {f"{a.rule} at {a.path}" for a in acknowledgments(example.app)}
