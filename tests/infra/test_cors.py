"""CORS reaches the item service's own answers: its environment, and cache keys on Origin."""

import pytest
from aws_cdk import Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Annotations, Match, Template

from cdk_serverless_crud import (
    CachedRestApi,
    CachedRestApiProps,
    ChangeEvents,
    CorsProps,
    ServerlessCrudService,
)

from .helpers import (
    REQUIRED_TAGS,
    design_variables,
    methods_by_route,
    new_stack,
    props,
    resources,
)

APP = "https://app.example.com"
ADMIN = "https://admin.example.com"
ORIGIN_KEY = "method.request.header.Origin"
CACHED_GETS = ("GET /items", "GET /items/{id}", "GET /items/{id}/versions")


def _service(cors: CorsProps | None) -> Template:
    stack = new_stack()
    ServerlessCrudService(
        stack, "Items", tags=REQUIRED_TAGS, api_props=CachedRestApiProps(cors=cors)
    )
    return Template.from_stack(stack)


@pytest.fixture(scope="module")
def one_origin() -> Template:
    return _service(CorsProps(allow_origins=[APP], allow_credentials=True))


@pytest.fixture(scope="module")
def two_origins() -> Template:
    return _service(CorsProps(allow_origins=[APP, ADMIN]))


def _environment(template: Template) -> dict[str, object]:
    variables: dict[str, object] = props(template, "AWS::Lambda::Function")["Environment"][
        "Variables"
    ]
    return variables


def test_the_function_learns_the_cors_policy(one_origin: Template, two_origins: Template) -> None:
    # Every variable of the item function but those of typed collections' indexes and
    # of change events.
    assert set(_environment(one_origin)) == set(design_variables()) - {
        "INDEXES",
        "ATTRIBUTES",
        "EVENT_DATA_LIMIT",
        "EVENT_DETAIL",
        "API_URL",
        "AWS_REGION",
        "REFRESH_ORIGINS",
        "ACCESS",
        "OWNED_LIST_INDEX",
        "TENANCY",
        "LISTING_ORDER",
    }
    assert _environment(one_origin)["CORS_ALLOW_ORIGINS"] == APP
    assert _environment(one_origin)["CORS_ALLOW_CREDENTIALS"] == "true"
    assert _environment(two_origins)["CORS_ALLOW_ORIGINS"] == f"{APP},{ADMIN}"
    assert _environment(two_origins)["CORS_ALLOW_CREDENTIALS"] == "false"


def test_without_cors_the_function_gets_no_cors_variables(template: Template) -> None:
    assert not [name for name in _environment(template) if name.startswith("CORS_")]


def test_with_several_origins_cached_gets_key_on_origin(two_origins: Template) -> None:
    methods = methods_by_route(two_origins)
    for route in CACHED_GETS:
        assert ORIGIN_KEY in methods[route]["Integration"]["CacheKeyParameters"], route
        assert methods[route]["RequestParameters"][ORIGIN_KEY] is False, route


def test_with_one_origin_the_answer_is_the_same_for_every_origin(one_origin: Template) -> None:
    methods = methods_by_route(one_origin)
    for route in CACHED_GETS:
        assert ORIGIN_KEY not in methods[route]["Integration"]["CacheKeyParameters"], route


def test_a_cached_get_of_your_own_must_key_on_origin_with_several_origins() -> None:
    stack = new_stack()
    cors = CorsProps(allow_origins=[APP, ADMIN])
    api = CachedRestApi(stack, "Api", props=CachedRestApiProps(cors=cors, cloud_watch_role=False))
    api.rest_api.root.add_resource("raw").add_method("GET", apigateway.MockIntegration())
    with pytest.raises(
        RuntimeError, match=r"GET /raw is cached .* method\.request\.header\.Origin"
    ):
        Template.from_stack(stack)


def test_add_cached_get_keys_on_origin_with_several_origins() -> None:
    stack = new_stack()
    cors = CorsProps(allow_origins=[APP, ADMIN])
    api = CachedRestApi(stack, "Api", props=CachedRestApiProps(cors=cors, cloud_watch_role=False))
    api.add_cached_get(api.rest_api.root.add_resource("report"), _imported(stack))
    methods = methods_by_route(Template.from_stack(stack))
    assert methods["GET /report"]["Integration"]["CacheKeyParameters"] == [ORIGIN_KEY]


def test_an_imported_item_handler_gets_a_warning_naming_the_variables() -> None:
    stack = new_stack()
    cors = CorsProps(allow_origins=[APP])
    api = CachedRestApi(stack, "Api", props=CachedRestApiProps(cors=cors, cloud_watch_role=False))
    api.add_item_routes(_imported(stack))
    warnings = Annotations.from_stack(stack).find_warning(
        "/Test/Api", Match.string_like_regexp(f"CORS_ALLOW_ORIGINS={APP}")
    )
    assert len(warnings) == 1


def _imported(stack: Stack) -> lambda_.IFunction:
    return lambda_.Function.from_function_arn(
        stack, "Handler", "arn:aws:lambda:us-east-1:123456789012:function:items"
    )


def test_the_cache_refresher_learns_the_origins_the_cache_keeps_apart() -> None:
    stack = new_stack()
    services = {
        origins: ServerlessCrudService(
            stack,
            f"Items{len(origins)}",
            tags=REQUIRED_TAGS,
            api_props=CachedRestApiProps(cors=CorsProps(allow_origins=origins)),
            events=ChangeEvents(invalidate_cache=True),
        )
        for origins in ((APP, ADMIN), (APP,))
    }
    functions = resources(Template.from_stack(stack), "AWS::Lambda::Function")

    def refresher_environment(origins: tuple[str, ...]) -> dict[str, object]:
        events = services[origins].service_events
        assert events is not None and events.cache_refresher is not None
        function = events.cache_refresher.function.node.default_child
        variables: dict[str, object] = functions[stack.get_logical_id(function)][  # type: ignore[arg-type]
            "Properties"
        ]["Environment"]["Variables"]
        return variables

    # Several origins: each has its own cache entry, so each must be refreshed.
    assert refresher_environment((APP, ADMIN))["REFRESH_ORIGINS"] == f"{APP},{ADMIN}"
    # One origin: one answer serves every browser, and one GET without Origin refreshes it.
    assert "REFRESH_ORIGINS" not in refresher_environment((APP,))
