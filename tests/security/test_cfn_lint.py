"""cfn-lint finds no error and no warning in the synthesized templates."""

import pytest
from cfnlint.api import lint_file

from .conftest import CONFIGURATIONS, EXAMPLE_STACK, Synthesized


def test_the_example_template_is_clean(example: Synthesized) -> None:
    assert [str(match) for match in lint_file(example.template_path(EXAMPLE_STACK))] == []


@pytest.mark.parametrize(
    "configuration", ["Cognito", "ApiKeys", "Public", "Hardened", "Uncached", "Typed", "Events"]
)
def test_the_non_default_templates_are_clean(
    configurations: Synthesized, configuration: str
) -> None:
    assert configuration in CONFIGURATIONS
    matches = lint_file(configurations.template_path(configuration))
    assert [str(match) for match in matches] == []
