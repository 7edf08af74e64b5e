"""JSON numbers as fastjsonschema's generated code expects them, compared exactly.

The runtime parses every number as a Decimal (codec.py), and the generated code takes
numbers to be ints or floats: ``integer`` accepts an int or an integral float, ``enum``
and ``const`` compare only ints and floats, and ``multipleOf`` computes
``Decimal(repr(value))``. A Decimal fails the first two and crashes the third; floats
would round DynamoDB's 38 digits to 17, so ``"maximum": 10`` would let
10.000000000000000001 through. So validation sees a copy: integral numbers as ints
(exact at any size) and the others as :class:`ExactNumber`.
"""

from __future__ import annotations

import math
from decimal import Decimal

from .codec import Json


def for_validation(value: Json) -> object:
    """A copy of ``value`` for the generated code; strings, bools and null are shared."""
    if isinstance(value, dict):
        return {key: for_validation(item) for key, item in value.items()}
    if isinstance(value, list):
        return [for_validation(item) for item in value]
    if isinstance(value, Decimal):
        # parse_body has bounded the exponent, so the int is at most 126 digits.
        return int(value) if value == value.to_integral_value() else ExactNumber(value)
    return value


class ExactNumber(float):
    """A non-integral number: a float to type checks, its exact Decimal to comparisons.

    A float in the schema stands for the shortest decimal that reads back as it (its
    ``repr``), which is what the schema's author wrote: ``"enum": [0.1]`` accepts 0.1.
    """

    __slots__ = ("exact",)
    exact: Decimal

    def __new__(cls, exact: Decimal) -> ExactNumber:
        """The float nearest ``exact``, remembering ``exact``."""
        number = super().__new__(cls, exact)
        number.exact = exact
        return number

    def __repr__(self) -> str:
        """The exact digits, so that ``Decimal(repr(value))`` (multipleOf) loses none."""
        return str(self.exact)

    def __hash__(self) -> int:
        """Equal numbers hash alike (uniqueItems puts items in a set)."""
        return hash(self.exact)

    def is_integer(self) -> bool:
        """Never: integral numbers are validated as ints."""
        return False

    def __eq__(self, other: object) -> bool:
        """Exact equality (enum, const, uniqueItems)."""
        exact = _exact(other)
        return NotImplemented if exact is None else self.exact == exact

    def __ne__(self, other: object) -> bool:
        """Exact inequality."""
        exact = _exact(other)
        return NotImplemented if exact is None else self.exact != exact

    def __lt__(self, other: object) -> bool:
        """Exact order: minimum, maximum and their exclusive forms use <, <=, > and >=."""
        exact = _exact(other)
        return NotImplemented if exact is None else self.exact < exact

    def __le__(self, other: object) -> bool:
        """Exact order."""
        exact = _exact(other)
        return NotImplemented if exact is None else self.exact <= exact

    def __gt__(self, other: object) -> bool:
        """Exact order."""
        exact = _exact(other)
        return NotImplemented if exact is None else self.exact > exact

    def __ge__(self, other: object) -> bool:
        """Exact order."""
        exact = _exact(other)
        return NotImplemented if exact is None else self.exact >= exact

    def __truediv__(self, other: object) -> Decimal:  # type: ignore[override]
        """Exact division (multipleOf by an int), in the caller's decimal context."""
        exact = _exact(other)
        return NotImplemented if exact is None else self.exact / exact


def _exact(other: object) -> Decimal | None:
    """``other`` as an exact Decimal; None for what this comparison does not take."""
    if isinstance(other, ExactNumber):
        return other.exact
    if isinstance(other, float):
        return Decimal(repr(other)) if math.isfinite(other) else None
    if isinstance(other, int | Decimal):
        return Decimal(other)
    return None
