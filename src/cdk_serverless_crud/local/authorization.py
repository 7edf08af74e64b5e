"""What local mode says about the authorization the stage would enforce and it does not."""

from __future__ import annotations

from .template import StackSpec

_AUTHORIZATION_NAMES = {
    "AWS_IAM": "AWS_IAM authorization (SigV4 signatures)",
    "COGNITO_USER_POOLS": "COGNITO_USER_POOLS authorization (user pool tokens)",
    "CUSTOM": "CUSTOM authorization (Lambda authorizers)",
}


def authorization_notice(api: StackSpec) -> str | None:
    """One line saying which authorization the stage would enforce and local mode does not.

    Local mode cannot verify SigV4 signatures or Cognito tokens; for API keys it checks
    that ``x-api-key`` is present, not that it is a key of the usage plan.
    """
    kinds = sorted({m.authorization_type for m in api.methods} - {"NONE"})
    keys = any(m.api_key_required for m in api.methods)
    sentences = []
    if kinds:
        names = " or ".join(_AUTHORIZATION_NAMES.get(kind, kind) for kind in kinds)
        sentences.append(
            f"Local mode does not enforce {names}: every request is served as if authorized."
        )
    if keys:
        sentences.append(
            "Local mode only checks that an x-api-key header is present, not that it is a key "
            "of the usage plan, and applies no quota."
        )
    return " ".join(sentences) or None
