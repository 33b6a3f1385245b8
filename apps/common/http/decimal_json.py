"""JSON from providers with every fraction as Decimal and no NaN or Infinity.

Python's json reads NaN and Infinity (not JSON, RFC 8259) as floats; in a price, a charge or a
balance that would slip a float, and a non-number, into money arithmetic. They make the answer
malformed instead, like any other body that is not JSON.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def loads_decimal_json(content: bytes | str) -> Any:
    """CONTENT parsed with fractions as Decimal; ValueError when it is not strict JSON."""
    return json.loads(content, parse_float=Decimal, parse_constant=refuse_nan_and_infinity)


def refuse_nan_and_infinity(name: str) -> Any:
    """json's parse_constant: NaN, Infinity and -Infinity make the body malformed."""
    raise ValueError(f"{name} is not a number we accept")
