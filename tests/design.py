"""What docs/design.md documents, read for the suites that check code against it.

No aws-cdk-lib here: the runtime suite reads it too.
"""

import re
from pathlib import Path

DESIGN = Path(__file__).parents[1] / "docs" / "design.md"


def design_variables() -> dict[str, bool]:
    """The function's environment documented in docs/design.md: name to always set.

    A variable whose meaning starts with "only with" is set only with that option.
    """
    rows = re.findall(r"^\| `([A-Z_]+)` \| (.*) \|$", DESIGN.read_text(), flags=re.MULTILINE)
    return {name: not meaning.startswith("only with") for name, meaning in rows}
