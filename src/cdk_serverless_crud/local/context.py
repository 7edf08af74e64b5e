"""The Lambda context object, as much of it as handlers read.

This module imports nothing but ``time``: the cold start benchmark loads it before its
clock starts, and nothing it imports may shorten the handler's own import.
"""

from __future__ import annotations

import time

#: How long API Gateway waits for a Lambda proxy integration.
API_GATEWAY_TIMEOUT_SECONDS = 29.0


class LambdaContext:
    """The context of one invocation: names, a request id and a running deadline."""

    def __init__(
        self,
        function_name: str = "local",
        *,
        request_id: str = "local-request",
        timeout_seconds: float = API_GATEWAY_TIMEOUT_SECONDS,
        memory_mb: int = 128,
        region: str = "us-east-1",
        account_id: str = "123456789012",
    ) -> None:
        """A context whose deadline is ``timeout_seconds`` from now.

        :default: 29 seconds, as long as API Gateway waits.
        """
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{account_id}:function:{function_name}"
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function's timeout."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))
