"""A production-ready serverless CRUD service as AWS CDK v2 constructs.

``ServerlessCrudService`` composes the four parts, each usable on its own:
``VersionedStore`` (S3), ``TimeSeriesTable`` (DynamoDB), ``TaggedFunction`` (Lambda)
and ``CachedRestApi`` (API Gateway). Each takes an optional props object of the same
name plus ``Props``. ``Authorization`` picks how callers authenticate (AWS IAM by
default), ``CorsProps`` opens the API to browsers of other origins, and
``ServiceMonitoring`` raises CloudWatch alarms when the service fails its callers.
``Collection`` and ``Index`` declare the entity types it serves, each with an optional
JSON Schema, attributes to query by and ``Allow`` rules of who may do what.
``ChangeEvents`` publishes an EventBridge event for every new version of an item.

The constructs are imported on first use, so local mode (``cdk_serverless_crud.local``)
starts without loading aws-cdk-lib and its Node.js process.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

# The public API, written once: these imports. Type checkers read them; at run time the
# constructs are imported on first use (__getattr__), from the modules named here.
if TYPE_CHECKING:
    from cdk_serverless_crud.api import CachedRestApi as CachedRestApi
    from cdk_serverless_crud.api import CachedRestApiProps as CachedRestApiProps
    from cdk_serverless_crud.authorization import ApiKeyAuthorization as ApiKeyAuthorization
    from cdk_serverless_crud.authorization import Authorization as Authorization
    from cdk_serverless_crud.authorization import AuthorizationMode as AuthorizationMode
    from cdk_serverless_crud.authorization import CognitoAuthorization as CognitoAuthorization
    from cdk_serverless_crud.authorization import IamAuthorization as IamAuthorization
    from cdk_serverless_crud.authorization import NoAuthorization as NoAuthorization
    from cdk_serverless_crud.authorization_binding import (
        AuthorizationBinding as AuthorizationBinding,
    )
    from cdk_serverless_crud.contract.access import Allow as Allow
    from cdk_serverless_crud.contract.access import Tenancy as Tenancy
    from cdk_serverless_crud.contract.collection import Collection as Collection
    from cdk_serverless_crud.contract.collection import Index as Index
    from cdk_serverless_crud.cors import CorsProps as CorsProps
    from cdk_serverless_crud.events import ChangeEvents as ChangeEvents
    from cdk_serverless_crud.events import CollectionEvents as CollectionEvents
    from cdk_serverless_crud.events import ServiceEvents as ServiceEvents
    from cdk_serverless_crud.function import TaggedFunction as TaggedFunction
    from cdk_serverless_crud.function import TaggedFunctionProps as TaggedFunctionProps
    from cdk_serverless_crud.monitoring import ServiceMonitoring as ServiceMonitoring
    from cdk_serverless_crud.monitoring import ServiceMonitoringProps as ServiceMonitoringProps
    from cdk_serverless_crud.service import CollectionParts as CollectionParts
    from cdk_serverless_crud.service import ServerlessCrudService as ServerlessCrudService
    from cdk_serverless_crud.store import VersionedStore as VersionedStore
    from cdk_serverless_crud.store import VersionedStoreProps as VersionedStoreProps
    from cdk_serverless_crud.table import TimeSeriesTable as TimeSeriesTable
    from cdk_serverless_crud.table import TimeSeriesTableProps as TimeSeriesTableProps


def _exports() -> dict[str, str]:
    """Each public name and its module, read from the TYPE_CHECKING imports above."""
    tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
    guarded = next(
        node
        for node in tree.body
        if isinstance(node, ast.If)
        and isinstance(node.test, ast.Name)
        and node.test.id == "TYPE_CHECKING"
    )
    return {
        alias.name: statement.module
        for statement in guarded.body
        if isinstance(statement, ast.ImportFrom) and statement.module
        for alias in statement.names
    }


_EXPORTS = _exports()
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
