"""The environment the runtime runs in under moto: dummy credentials, region, its settings.

Local mode, the runtime's tests and the benchmarks all point boto3 at moto through these
variables, so none of them can reach AWS with a developer's real credentials.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager

from .errors import TemplateError
from .template import StackSpec

REGION = "us-east-1"

#: Everything boto3 needs to talk to moto and never to AWS. The credentials are moto's
#: conventional dummies.
MOTO_ENVIRONMENT: Mapping[str, str] = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}

#: Variables that would lead boto3 to real credentials or another endpoint: unset.
MASKED: tuple[str, ...] = (
    "AWS_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_S3",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
)


def function_environment(api: StackSpec) -> dict[str, str]:
    """The environment variables of the API's functions, merged.

    Lambda gives each function its own process; local mode runs them in one, so two
    functions that disagree on a variable cannot both be served.
    """
    merged: dict[str, str] = {}
    for function in api.functions:
        for key, value in function.environment.items():
            if merged.get(key, value) != value:
                raise TemplateError(
                    f"functions disagree on environment variable {key}; "
                    "local mode runs them in one process"
                )
            merged[key] = value
    return merged


def shared_environment(api: StackSpec) -> dict[str, str] | None:
    """The functions' variables merged, or None when two functions disagree on one.

    Functions that agree (one collection, or handlers of your own with the same
    settings) share the process's environment, as before; those that disagree get their
    own around each invocation (see ``local/invoker.py``).
    """
    try:
        return function_environment(api)
    except TemplateError:
        return None


def runtime_environment(
    api: StackSpec, endpoint: str | None = None, *, functions: bool = True
) -> dict[str, str]:
    """moto's environment plus the functions' own; ``endpoint`` is moto's server, if any.

    Without ``endpoint``, boto3 goes to its default endpoints, which an in-process
    ``moto.mock_aws`` intercepts. Unset :data:`MASKED` alongside. With
    ``functions=False`` the functions' variables are left out: the local gateway sets
    each function's own around each of its invocations.
    """
    values = {**MOTO_ENVIRONMENT, **(function_environment(api) if functions else {})}
    if endpoint is not None:
        values["AWS_ENDPOINT_URL"] = endpoint
    return values


@contextmanager
def patched_environ(values: Mapping[str, str], unset: Iterable[str] = ()) -> Iterator[None]:
    """Set (and unset) environment variables for the block, then put them back."""
    saved = {key: os.environ.get(key) for key in (*values, *unset)}
    for key in unset:
        os.environ.pop(key, None)
    os.environ.update(values)
    try:
        yield
    finally:
        for key, previous in saved.items():
            if previous is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = previous
