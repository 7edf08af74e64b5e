"""Tests of the item service runtime (the Lambda code).

The runtime is imported as Lambda imports it, with its asset root on sys.path, as
the top-level package ``item_service``: that proves the asset needs nothing from
the parent package, and keeps aws_cdk and jsii out of these tests.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2] / "src" / "cdk_serverless_crud" / "runtime"))
