"""A production-ready serverless CRUD service as AWS CDK v2 constructs.

``ServerlessCrudService`` composes the four parts, each usable on its own:
``VersionedStore`` (S3), ``TimeSeriesTable`` (DynamoDB), ``TaggedFunction`` (Lambda)
and ``CachedRestApi`` (API Gateway). Each takes an optional props object of the same
name plus ``Props``. ``Authorization`` picks how callers authenticate (AWS IAM by
default), ``CorsProps`` opens the API to browsers of other origins, and
``ServiceMonitoring`` raises CloudWatch alarms when the service fails its callers.
``Collection`` and ``Index`` declare the entity types it serves, each with an optional
JSON Schema and attributes to query by. ``ChangeEvents`` publishes an EventBridge event
for every new version of an item.

The constructs are imported on first use, so local mode (``cdk_serverless_crud.local``)
starts without loading aws-cdk-lib and its Node.js process.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cdk_serverless_crud.api import CachedRestApi, CachedRestApiProps
    from cdk_serverless_crud.authorization import (
        ApiKeyAuthorization,
        Authorization,
        AuthorizationBinding,
        AuthorizationMode,
        CognitoAuthorization,
        IamAuthorization,
        NoAuthorization,
    )
    from cdk_serverless_crud.contract.collection import Collection, Index
    from cdk_serverless_crud.cors import CorsProps
    from cdk_serverless_crud.events import ChangeEvents, CollectionEvents, ServiceEvents
    from cdk_serverless_crud.function import TaggedFunction, TaggedFunctionProps
    from cdk_serverless_crud.monitoring import ServiceMonitoring, ServiceMonitoringProps
    from cdk_serverless_crud.service import CollectionParts, ServerlessCrudService
    from cdk_serverless_crud.store import VersionedStore, VersionedStoreProps
    from cdk_serverless_crud.table import TimeSeriesTable, TimeSeriesTableProps

_EXPORTS = {
    "ApiKeyAuthorization": "authorization",
    "Authorization": "authorization",
    "AuthorizationBinding": "authorization",
    "AuthorizationMode": "authorization",
    "CognitoAuthorization": "authorization",
    "IamAuthorization": "authorization",
    "NoAuthorization": "authorization",
    "CachedRestApi": "api",
    "CachedRestApiProps": "api",
    "ChangeEvents": "events",
    "Collection": "contract.collection",
    "CollectionEvents": "events",
    "CollectionParts": "service",
    "CorsProps": "cors",
    "Index": "contract.collection",
    "ServerlessCrudService": "service",
    "ServiceEvents": "events",
    "ServiceMonitoring": "monitoring",
    "ServiceMonitoringProps": "monitoring",
    "TaggedFunction": "function",
    "TaggedFunctionProps": "function",
    "TimeSeriesTable": "table",
    "TimeSeriesTableProps": "table",
    "VersionedStore": "store",
    "VersionedStoreProps": "store",
}

__all__ = [
    "ApiKeyAuthorization",
    "Authorization",
    "AuthorizationBinding",
    "AuthorizationMode",
    "CachedRestApi",
    "CachedRestApiProps",
    "ChangeEvents",
    "CognitoAuthorization",
    "Collection",
    "CollectionEvents",
    "CollectionParts",
    "CorsProps",
    "IamAuthorization",
    "Index",
    "NoAuthorization",
    "ServerlessCrudService",
    "ServiceEvents",
    "ServiceMonitoring",
    "ServiceMonitoringProps",
    "TaggedFunction",
    "TaggedFunctionProps",
    "TimeSeriesTable",
    "TimeSeriesTableProps",
    "VersionedStore",
    "VersionedStoreProps",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
