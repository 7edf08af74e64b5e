"""CORS: which web origins may call the API, and how each part of the API tells browsers.

Three parts answer browsers: API Gateway's preflight (``OPTIONS``, a MOCK integration),
API Gateway's own error answers (gateway responses), and the Lambda's answers, which
carry the headers themselves from the environment :func:`cors_environment` gives.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Annotations, Duration
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from cdk_serverless_crud import defaults, validation

READ_WRITE_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
"""The HTTP methods of the item routes, which a preflight allows."""

_ORIGIN = r"\*|https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?"


@dataclass(frozen=True, kw_only=True)
class CorsProps:
    """Cross-origin access for browsers (CORS): which web origins may call the API.

    API Gateway answers the preflight (``OPTIONS``) itself, without authorization, as
    browsers send it without credentials.
    """

    allow_origins: Sequence[str]
    """The origins allowed, such as ``https://app.example.com``; ``["*"]`` for any.

    A wildcard cannot be combined with ``allow_credentials`` or with other origins.
    """

    allow_credentials: bool = False
    """Let browsers send cookies and HTTP authentication with cross-origin requests.

    :default: False
    """

    allow_headers: Sequence[str] = defaults.CORS_ALLOW_HEADERS
    """Request headers a cross-origin request may send.

    :default: Content-Type, If-Match, If-None-Match, Idempotency-Key, Cache-Control,
        Authorization, X-Api-Key and the SigV4 headers (X-Amz-Date,
        X-Amz-Security-Token, X-Amz-Content-Sha256)
    """

    max_age: Duration = defaults.CORS_MAX_AGE
    """How long browsers may cache a preflight answer, 0 to 7200 seconds.

    :default: Duration.minutes(10)
    """

    def __post_init__(self) -> None:
        origins = list(self.allow_origins)
        if not origins:
            raise ValueError(
                "CorsProps.allow_origins must list at least one origin, such as "
                "'https://app.example.com'; got []. Leave cors unset to turn CORS off."
            )
        for origin in origins:
            validation.check_format(
                "CorsProps.allow_origins",
                origin,
                _ORIGIN,
                "'*' or an origin such as 'https://app.example.com' (scheme, host and "
                "optional port, no path)",
            )
        if "*" in origins and self.allow_credentials:
            raise ValueError(
                "CorsProps.allow_origins cannot be ['*'] with allow_credentials=True: "
                "browsers refuse credentials for a wildcard origin, and any site could act "
                "as the user. List the origins explicitly."
            )
        if "*" in origins and len(origins) > 1:
            raise ValueError(
                f"CorsProps.allow_origins must be ['*'] alone or explicit origins; got {origins!r}."
            )
        validation.check_seconds("CorsProps.max_age", self.max_age, 0, 7200)

    @property
    def echoes_origin(self) -> bool:
        """Whether answers name the request's own origin, so that they differ per origin.

        With one origin (or ``*``) the same header suits every allowed browser.
        """
        return len(self.allow_origins) > 1


def preflight_options(cors: CorsProps | None) -> apigateway.CorsOptions | None:
    """The preflight every resource answers, or None without CORS."""
    if cors is None:
        return None
    return apigateway.CorsOptions(
        allow_origins=list(cors.allow_origins),
        allow_methods=["OPTIONS", *READ_WRITE_METHODS],
        allow_headers=list(cors.allow_headers),
        allow_credentials=cors.allow_credentials,
        max_age=cors.max_age,
    )


def gateway_response_headers(cors: CorsProps | None) -> dict[str, str]:
    """CORS headers for API Gateway's own error answers; only for a single origin.

    Gateway responses cannot echo the request's origin, so with several origins browsers
    cannot read them.
    """
    if cors is None or cors.echoes_origin:
        return {}
    (origin,) = cors.allow_origins
    headers = {"Access-Control-Allow-Origin": f"'{origin}'"}
    if origin != "*":
        headers["Vary"] = "'Origin'"
    if cors.allow_credentials:
        headers["Access-Control-Allow-Credentials"] = "'true'"
    return headers


def cors_environment(cors: CorsProps | None) -> dict[str, str]:
    """The environment that tells the item service runtime the CORS policy.

    ``CORS_ALLOW_ORIGINS`` (comma-separated) and ``CORS_ALLOW_CREDENTIALS``
    (``true``/``false``); empty when CORS is off.
    """
    if cors is None:
        return {}
    return {
        "CORS_ALLOW_ORIGINS": ",".join(cors.allow_origins),
        "CORS_ALLOW_CREDENTIALS": "true" if cors.allow_credentials else "false",
    }


def refresh_environment(cors: CorsProps | None) -> dict[str, str]:
    """The environment that tells the cache refresher whose cached answers to refresh.

    With several origins the stage caches a GET's answer apart per ``Origin`` (each names
    its own origin), so ``REFRESH_ORIGINS`` lists them, comma-separated: the refresher
    asks once for each as well as once without ``Origin``. Empty with one origin or
    ``*``, whose single answer serves every browser, and without CORS.
    """
    if cors is None or not cors.echoes_origin:
        return {}
    return {"REFRESH_ORIGINS": ",".join(cors.allow_origins)}


def configure_handler(scope: Construct, cors: CorsProps | None, handler: lambda_.IFunction) -> None:
    """Give ``handler`` the CORS environment; warn on ``scope`` if it cannot be set."""
    environment = cors_environment(cors)
    if not environment:
        return
    if isinstance(handler, lambda_.Function):
        for name, value in environment.items():
            handler.add_environment(name, value)
        return
    Annotations.of(scope).add_warning_v2(
        "cdk-serverless-crud:cors-environment",
        f"CORS is on, but the item routes' handler {handler.node.path} is not a "
        "lambda_.Function of this app, so its environment cannot be set: set "
        f"{', '.join(f'{k}={v}' for k, v in environment.items())} on it, or browsers "
        "cannot read its answers.",
    )
