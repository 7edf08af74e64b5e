"""The apps local mode's tests serve: one CDK app, one stack each, synthesized once.

A synthesis in a subprocess costs seconds (Python, then jsii's Node process), so the
apps share one: ``local_apps_cdk_out`` (``tests/local/conftest.py``) synthesizes it once
per test run, for every pytest-xdist worker, and a test serves its stack by name.
"""

from __future__ import annotations

import textwrap

APP = "https://app.example.com"
ADMIN = "https://admin.example.com"
DEV = "http://localhost:5173"

#: One allowed origin with credentials (test_local_cors.py).
ONE_ORIGIN = "OneOrigin"
#: Several origins behind API keys (test_local_cors.py).
SEVERAL_ORIGINS = "SeveralOrigins"
#: Change events on (test_local_events.py).
EVENTS = "Events"
#: Change events that refresh the cache, with several CORS origins
#: (test_local_cache_refresh.py).
REFRESHING = "Refreshing"
#: A subclass with a cached route of its own, stage v1, a 2 s cache (test_template_driven.py).
CUSTOM = "Custom"
#: ``cache_ttl=0`` (test_local_uncached.py).
UNCACHED = "Uncached"
#: A plain service: no change events (test_cli.py).
QUIET = "Quiet"

SOURCE = textwrap.dedent(
    f"""
    import aws_cdk as cdk
    from cdk_serverless_crud import (
        Authorization, CachedRestApiProps, ChangeEvents, CorsProps, ServerlessCrudService
    )


    class ShortCache(ServerlessCrudService):
        def add_routes(self) -> None:
            super().add_routes()
            # A cached route added by a subclass: its path parameter is a cache key.
            echo = self.api.rest_api.root.add_resource("mirror").add_resource("{{id}}")
            self.api.add_cached_get(echo, self.function.function)


    TAGS = {{"Environment": "test", "Project": "local", "Owner": "qa"}}
    app = cdk.App()
    ServerlessCrudService(
        cdk.Stack(app, "{ONE_ORIGIN}"),
        "Items",
        tags=TAGS,
        api_props=CachedRestApiProps(
            cors=CorsProps(
                allow_origins=["{APP}"],
                allow_credentials=True,
                allow_headers=["Content-Type", "If-Match"],
                max_age=cdk.Duration.seconds(300),
            )
        ),
    )
    ServerlessCrudService(
        cdk.Stack(app, "{SEVERAL_ORIGINS}"),
        "Items",
        tags=TAGS,
        authorization=Authorization.api_keys(),
        api_props=CachedRestApiProps(
            cors=CorsProps(allow_origins=["{APP}", "{ADMIN}", "{DEV}"])
        ),
    )
    ServerlessCrudService(
        cdk.Stack(app, "{EVENTS}"),
        "Items",
        tags={{**TAGS, "Project": "events"}},
        events=ChangeEvents(),
    )
    ServerlessCrudService(
        cdk.Stack(app, "{REFRESHING}"),
        "Items",
        tags={{**TAGS, "Project": "events"}},
        events=ChangeEvents(invalidate_cache=True),
        api_props=CachedRestApiProps(
            cors=CorsProps(allow_origins=["{APP}", "{ADMIN}", "{DEV}"])
        ),
    )
    ShortCache(
        cdk.Stack(app, "{CUSTOM}"),
        "Items",
        tags=TAGS,
        stage_name="v1",
        cache_ttl=cdk.Duration.seconds(2),
    )
    ServerlessCrudService(
        cdk.Stack(app, "{UNCACHED}"),
        "Items",
        tags=TAGS,
        cache_ttl=cdk.Duration.seconds(0),
    )
    ServerlessCrudService(cdk.Stack(app, "{QUIET}"), "Items", tags=TAGS)
    app.synth()
    """
)
