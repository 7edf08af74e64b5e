"""The methods of a ``CachedRestApi``: routes and request models from the contract.

Every method is a Lambda proxy integration checked by the API's request validator. A
GET keys its cache on every parameter it declares and on the headers that tell answers
apart (``cache_keys.py``). A collection's routes, parameters and body models come from
the packaged OpenAPI contract (``contract/openapi.py``), each body model created once per
name and refusing only what is not a JSON object (``contract/draft_4.py``), so that the
function, which names every failing field, answers every other bad body; the methods a
path lacks answer 405 (``not_allowed.py``).
"""

from collections.abc import Iterable, Mapping, Sequence

from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from cdk_serverless_crud import acknowledgments, cors, not_allowed
from cdk_serverless_crud.contract import openapi as contract
from cdk_serverless_crud.contract.collection import Collection
from cdk_serverless_crud.contract.draft_4 import request_model
from cdk_serverless_crud.cors import CorsProps


class Routes:
    """Adds methods to ``rest_api``, creating models and acknowledgments in ``scope``."""

    def __init__(
        self,
        scope: Construct,
        rest_api: apigateway.RestApi,
        *,
        request_validator: apigateway.IRequestValidator,
        keyed_headers: Iterable[str],
    ) -> None:
        self._scope = scope
        self._rest_api = rest_api
        self._request_validator = request_validator
        self._keyed_headers = tuple(keyed_headers)
        self._models: dict[str, apigateway.IModel] = {}
        self._integrated: set[str] = set()

    def add_get(
        self,
        resource: apigateway.IResource,
        handler: lambda_.IFunction,
        parameters: Mapping[str, bool],
    ) -> apigateway.Method:
        """A GET whose cache key is every parameter, plus the headers that part answers."""
        keyed = dict(parameters)
        for header in self._keyed_headers:
            keyed.setdefault(header, False)
        return resource.add_method(
            "GET",
            self._integration(handler, cache_key_parameters=list(keyed)),
            request_parameters=keyed or None,
            request_validator=self._request_validator,
        )

    def add_collection_routes(
        self, collection: Collection, handler: lambda_.IFunction, cors_props: CorsProps | None
    ) -> None:
        """The contract's routes for ``collection``, and 405 for the methods they lack."""
        # The schema's other attributes too: the function answers a query by one with a
        # 400, which the cache must keep for that request, not for the plain listing.
        queryable = [index.attribute for index in collection.indexes]
        queryable += collection.sort_parameters
        queryable += collection.unindexed_attributes
        index_parameters = {f"method.request.querystring.{name}": False for name in queryable}
        model = self._collection_model(collection)
        allowed: dict[str, list[str]] = {}
        for template, verb in contract.operations():
            allowed.setdefault(template, ["OPTIONS"] if cors_props else []).append(verb)
            path = contract.collection_path(collection.name, template)
            resource = self._rest_api.root.resource_for_path(path)
            parameters = contract.request_parameters(template, verb)
            if verb == "GET":
                if template == contract.COLLECTION_PATH:
                    parameters |= index_parameters
                if collection.access is not None:
                    # The answer depends on the caller: with IAM, nothing else keys the
                    # cache on it (a signature changes with each request, so in effect
                    # this collection's GETs are not cached under IAM).
                    parameters |= {"method.request.header.Authorization": False}
                self.add_get(resource, handler, parameters)
                continue
            body = contract.request_body_name(template, verb)
            body_model: apigateway.IModel | None
            if body == contract.ITEM_DATA and model is not None:
                body_model = model  # the collection's own model stands for ItemData
            else:
                body_model = self._model(body) if body else None
            resource.add_method(
                verb,
                self._integration(handler),
                request_parameters=parameters or None,
                request_validator=self._request_validator,
                request_models=(
                    {contract.request_media_type(template, verb) or "": body_model}
                    if body_model
                    else None
                ),
            )
        answer_headers = cors.gateway_response_headers(cors_props)
        for template, verbs in allowed.items():
            resource = self._rest_api.root.resource_for_path(
                contract.collection_path(collection.name, template)
            )
            not_allowed.add_method_not_allowed(resource, verbs, answer_headers)

    def _integration(
        self, handler: lambda_.IFunction, *, cache_key_parameters: Sequence[str] = ()
    ) -> apigateway.LambdaIntegration:
        """A Lambda proxy integration: API Gateway invokes ``handler`` synchronously."""
        if isinstance(handler, Construct) and handler.node.path not in self._integrated:
            self._integrated.add(handler.node.path)
            acknowledgments.acknowledge(handler, "Serverless-LambdaDLQ", acknowledgments.LAMBDA_DLQ)
        return apigateway.LambdaIntegration(
            handler, cache_key_parameters=list(cache_key_parameters) or None
        )

    def _collection_model(self, collection: Collection) -> apigateway.IModel | None:
        """The body model of a collection with a schema, named ``<Name>Data``.

        Only that the body is an object: the function checks the schema, and names each
        failing field, which API Gateway's answer to a refused body cannot.
        """
        if collection.schema is None:
            return None
        return self._model(f"{collection.construct_prefix or 'Items'}Data")

    def _model(self, name: str) -> apigateway.IModel:
        """The request model ``name`` (one per name), which any JSON object passes."""
        if name not in self._models:
            schema = request_model(name)
            model = apigateway.CfnModel(
                self._scope,
                f"{name}Model",
                rest_api_id=self._rest_api.rest_api_id,
                content_type=contract.JSON_MEDIA_TYPE,
                name=name,
                description=f"{name}, from the OpenAPI contract",
                schema=dict(schema),
            )
            # As aws-cdk-lib's Model does: a changed schema deploys the stage again.
            deployment = self._rest_api.latest_deployment
            if deployment is not None:
                deployment.add_to_logical_id({"model": {"name": name, "schema": dict(schema)}})
            self._models[name] = apigateway.Model.from_model_name(
                self._scope, f"{name}ModelRef", model.ref
            )
        return self._models[name]
