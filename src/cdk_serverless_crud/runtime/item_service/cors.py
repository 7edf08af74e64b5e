"""CORS headers on the service's own answers, so browsers of allowed origins can read them.

API Gateway answers preflights itself but passes Lambda proxy answers through unchanged,
so the headers on actual answers are the function's job.
"""

from __future__ import annotations

from .config import CorsPolicy

#: Response headers a browser script may read besides the CORS-safelisted ones.
EXPOSE_HEADERS = "ETag, Location, Retry-After, Allow, Accept-Patch, Idempotent-Replayed"


def cors_headers(policy: CorsPolicy, origin: str | None) -> dict[str, str]:
    """The CORS headers for an answer to a request from ``origin``.

    A single allowed origin (or ``*``) is sent whatever the request's origin, so a cached
    answer serves every allowed browser alike. With several, the request's origin is
    echoed when allowed: API Gateway then keys its cache on the Origin header, as it
    ignores ``Vary``.
    """
    origins = policy.allow_origins
    if not origins:
        return {}
    headers = {"Access-Control-Expose-Headers": EXPOSE_HEADERS}
    if origins == ("*",):
        headers["Access-Control-Allow-Origin"] = "*"
        return headers
    headers["Vary"] = "Origin"
    if len(origins) == 1:
        headers["Access-Control-Allow-Origin"] = origins[0]
    elif origin in origins:
        headers["Access-Control-Allow-Origin"] = origin
    else:
        return {"Vary": "Origin"}
    if policy.allow_credentials:
        headers["Access-Control-Allow-Credentials"] = "true"
    return headers
