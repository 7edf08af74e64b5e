"""docs/api.md is generated from the docstrings and committed up to date."""

from __future__ import annotations

from tests.release.helpers import REPO, load_script

api_docs = load_script("api_docs")


def test_committed_api_reference_is_up_to_date() -> None:
    generated, _ = api_docs.generate()
    committed = (REPO / "docs" / "api.md").read_text()
    assert committed == generated, "docs/api.md is out of date: run `make api-docs`"


def test_api_reference_has_a_section_for_every_export() -> None:
    import cdk_serverless_crud

    generated, _ = api_docs.generate()
    for name in cdk_serverless_crud.__all__:
        assert f"\n## `{name}`\n" in generated
