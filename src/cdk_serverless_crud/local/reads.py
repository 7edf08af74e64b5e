"""What DynamoDB read for the runtime, counted from its own answers.

Query's ``ScannedCount`` and the item a GetItem returns are what DynamoDB bills reads
by; moto's ``ConsumedCapacity`` is a placeholder.
"""

from __future__ import annotations

from typing import Any


class ReadCounter:
    """Items DynamoDB read, and the calls made, since the last :meth:`take`.

    Register :meth:`after_call` for botocore's ``after-call.dynamodb`` event on a client.
    """

    def __init__(self) -> None:
        """Start at zero."""
        self.items = 0
        self.calls: list[str] = []

    def after_call(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        """botocore's ``after-call.dynamodb`` event: count what the call read."""
        self.calls.append(model.name)
        if model.name == "Query":
            self.items += int(parsed.get("ScannedCount", 0))
        elif model.name == "GetItem":
            self.items += 1 if "Item" in parsed else 0

    def take(self) -> tuple[int, list[str]]:
        """The count and calls so far, then start again."""
        taken = (self.items, self.calls)
        self.items, self.calls = 0, []
        return taken
