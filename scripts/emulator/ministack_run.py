"""Run MiniStack (``python -m ministack``) with one fix, for the deploy rehearsal.

MiniStack 1.5.33's CloudFormation creates a DynamoDB table whose ``GlobalSecondaryIndexes``
list is the very list it records as the resource's template properties. An index created
later with UpdateTable (the index job of ``IndexBackfill`` creates every attribute
index so) is appended to that list, so the stack's record claims the template had it:
the next update then deletes it as "removed from the template", and a rollback recreates
it without its attribute definitions and fails. CloudFormation records the template, not
the table. The fix hands the table a copy of the properties.
"""

import copy
from typing import Any

from ministack.app import main  # type: ignore[import-not-found]  # the emulator venv only
from ministack.services.cloudformation import (  # type: ignore[import-not-found]
    provisioners,
)

_create_table = provisioners._ddb_create


def _create_table_from_a_copy(logical_id: str, props: dict[str, Any], stack_name: str) -> Any:
    return _create_table(logical_id, copy.deepcopy(props), stack_name)


provisioners._ddb_create = _create_table_from_a_copy
provisioners._RESOURCE_HANDLERS["AWS::DynamoDB::Table"]["create"] = _create_table_from_a_copy

main()
