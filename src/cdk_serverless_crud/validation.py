"""Prop checks shared by the constructs.

Each check raises ``ValueError`` with the prop's name, the value it got and what is
allowed. Values that are unresolved tokens are left alone: only CloudFormation knows them.
"""

import re
import unicodedata
from collections.abc import Collection, Mapping

from aws_cdk import Duration, Token
from aws_cdk import aws_logs as logs

# AWS tags: letters, numbers and separators (spaces) in any script, plus these symbols.
_TAG_SYMBOLS = frozenset("_.:/=+-@")
_MAX_TAG_KEY_LENGTH = 128
_MAX_TAG_VALUE_LENGTH = 256
_MAX_TAGS_PER_RESOURCE = 50


def check_range(
    prop: str, value: float, minimum: float, maximum: float | None = None, unit: str = ""
) -> None:
    """Fail unless ``minimum <= value <= maximum`` (no upper bound when ``maximum`` is None)."""
    if Token.is_unresolved(value):
        return
    if value >= minimum and (maximum is None or value <= maximum):
        return
    allowed = f"at least {minimum}" if maximum is None else f"from {minimum} to {maximum}"
    suffix = f" {unit}" if unit else ""
    raise ValueError(f"{prop} must be {allowed}{suffix}; got {value!r}.")


def check_seconds(prop: str, value: Duration, minimum: int, maximum: int) -> None:
    """Fail unless ``value`` is a whole number of seconds from ``minimum`` to ``maximum``."""
    if value.is_unresolved():
        return
    millis = value.to_milliseconds()
    if millis % 1000 == 0 and minimum * 1000 <= millis <= maximum * 1000:
        return
    raise ValueError(
        f"{prop} must be a whole number of seconds from {minimum} to {maximum}; "
        f"got {millis / 1000:g} seconds."
    )


def check_pattern(prop: str, value: str, pattern: str, max_length: int) -> None:
    """Fail unless ``value`` fully matches ``pattern`` and has at most ``max_length`` chars."""
    if Token.is_unresolved(value):
        return
    if re.fullmatch(pattern, value) and len(value) <= max_length:
        return
    raise ValueError(
        f"{prop} must match {pattern} and be at most {max_length} characters; got {value!r}."
    )


def check_format(prop: str, value: str, pattern: str, description: str) -> None:
    """Fail unless ``value`` fully matches ``pattern``; ``description`` says what is allowed."""
    if Token.is_unresolved(value) or re.fullmatch(pattern, value):
        return
    raise ValueError(f"{prop} must be {description}; got {value!r}.")


def check_one_of(prop: str, value: str, allowed: Collection[str]) -> None:
    """Fail unless ``value`` is one of ``allowed``."""
    if Token.is_unresolved(value) or value in allowed:
        return
    raise ValueError(f"{prop} must be one of {', '.join(allowed)}; got {value!r}.")


def check_finite_retention(prop: str, value: logs.RetentionDays) -> None:
    """Fail if a log retention keeps logs forever."""
    if value == logs.RetentionDays.INFINITE:
        raise ValueError(
            f"{prop} must be a finite retention; got RetentionDays.INFINITE. "
            "Pick any other logs.RetentionDays value."
        )


def check_object_prefix(prop: str, value: str) -> None:
    """Fail unless ``value`` is a plain S3 key prefix ending in ``/``, with no wildcards."""
    if Token.is_unresolved(value):
        return
    if value.endswith("/") and len(value) > 1 and not set(value) & {"*", "?"}:
        return
    raise ValueError(
        f"{prop} must be a key prefix ending in '/' without '*' or '?', such as 'items/'; "
        f"got {value!r}."
    )


def check_tags(prop: str, tags: Mapping[str, str], required: Collection[str]) -> None:
    """Fail unless ``tags`` holds every required key and each tag is one AWS accepts."""
    missing = [key for key in required if key not in tags]
    if missing:
        raise ValueError(
            f"{prop} is missing {', '.join(missing)}; it must contain {', '.join(required)}. "
            f"Got keys: {sorted(tags)!r}."
        )
    if len(tags) > _MAX_TAGS_PER_RESOURCE:
        raise ValueError(
            f"{prop} has {len(tags)} tags; AWS allows at most {_MAX_TAGS_PER_RESOURCE} "
            "per resource."
        )
    for key, value in tags.items():
        _check_tag_text(f"{prop} key", key, 1, _MAX_TAG_KEY_LENGTH)
        if not Token.is_unresolved(key) and key.lower().startswith("aws:"):
            raise ValueError(f"{prop} key {key!r} is not allowed: the 'aws:' prefix is reserved.")
        _check_tag_text(f"{prop}[{key!r}]", value, 0, _MAX_TAG_VALUE_LENGTH)


def _check_tag_text(prop: str, text: str, min_length: int, max_length: int) -> None:
    if Token.is_unresolved(text):
        return
    if not min_length <= len(text) <= max_length:
        raise ValueError(
            f"{prop} must be {min_length} to {max_length} characters long; "
            f"got {len(text)} characters in {text!r}."
        )
    bad = sorted({char for char in text if not _is_tag_char(char)})
    if bad:
        raise ValueError(
            f"{prop} {text!r} contains {''.join(bad)!r}; tags allow letters, numbers, spaces "
            "and _ . : / = + - @ only."
        )


def _is_tag_char(char: str) -> bool:
    return char in _TAG_SYMBOLS or unicodedata.category(char)[0] in "LNZ"
