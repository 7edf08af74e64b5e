"""Lambda, in process: each invocation gets its context, its environment and its turn.

Local mode runs every function in one process. Functions that agree on their variables
share the process's environment; when two disagree (``shared_environment``), each gets
its own around its invocations, so those run one at a time. The API's routes and the
pipes' and rules' functions all go through :meth:`Invoker.invoke`.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from typing import Any

from .context import LambdaContext
from .environment import patched_environ, shared_environment
from .functions import FunctionSpec
from .handlers import Handler
from .intrinsics import LOCAL_STAGE_BASE
from .template import StackSpec


class InvocationTimeout(Exception):
    """The function's turn did not come before its timeout."""


def lambda_context(function: FunctionSpec, request_id: str | None = None) -> LambdaContext:
    """The context of one invocation of ``function``: a new request id unless given."""
    return LambdaContext(
        function.name,
        request_id=request_id or str(uuid.uuid4()),
        timeout_seconds=function.timeout_seconds,
        memory_mb=function.memory_mb,
    )


class Invoker:
    """Runs the stack's functions as Lambda runs them, each with its handler imported."""

    def __init__(self, api: StackSpec, handlers: Mapping[str, Handler]) -> None:
        """Invoke ``api``'s functions with ``handlers`` (by logical id)."""
        self.handlers = handlers
        self.local_url = ""
        """Where the stage is served (``http://127.0.0.1:3000``), once it is."""
        self._own_environments = shared_environment(api) is None
        self._request_lock = threading.Lock()
        self._event_lock = threading.Lock()
        self._route_variables = {name for f in api.functions for name in f.environment}

    def invoke(self, function: FunctionSpec, event: Any, request_id: str | None = None) -> Any:
        """Run ``function`` on ``event`` and return its answer; its exception is raised.

        With ``request_id``, API Gateway invokes it for that request: it waits its turn
        no longer than the function's timeout, then raises :class:`InvocationTimeout`
        (another invocation holds it, one that calls this API, say).

        Without, a pipe or a rule invokes it, in its own environment, and such
        invocations run one at a time. One whose variables the routes' functions also
        set waits for the routes' invocations too, when those have environments of their
        own; one with variables of its own alone (the cache refresher's ``API_URL`` and
        ``REFRESH_ORIGINS``) does not, so it may call this API. ``API_URL``-like values
        that name the template's stage URL are pointed at :attr:`local_url`.
        """
        context = lambda_context(function, request_id)
        handler = self.handlers[function.logical_id]
        turn = self._request_turn(function) if request_id else self._event_turn(function)
        with turn:
            return handler(event, context)

    @contextmanager
    def _request_turn(self, function: FunctionSpec) -> Iterator[None]:
        if not self._own_environments:
            yield
            return
        if not self._request_lock.acquire(timeout=function.timeout_seconds):
            raise InvocationTimeout(function.logical_id)
        try:
            with patched_environ(function.environment):
                yield
        finally:
            self._request_lock.release()

    @contextmanager
    def _event_turn(self, function: FunctionSpec) -> Iterator[None]:
        environment = {
            name: value.replace(LOCAL_STAGE_BASE, self.local_url) if self.local_url else value
            for name, value in function.environment.items()
        }
        shares = self._own_environments and not self._route_variables.isdisjoint(environment)
        with (
            self._event_lock,
            self._request_lock if shares else nullcontext(),
            patched_environ(environment),
        ):
            yield
