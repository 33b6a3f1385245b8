"""Provider JSON: fractions as Decimal, and NaN/Infinity refused like any malformed body."""

from decimal import Decimal

import pytest

from apps.common.http.decimal_json import loads_decimal_json


def test_fractions_are_decimal_digit_for_digit_and_integers_stay_integers():
    assert loads_decimal_json(b'{"charge": 0.10, "rate": 1e-2, "quantity": 250}') == {
        "charge": Decimal("0.10"),
        "rate": Decimal("0.01"),
        "quantity": 250,
    }


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(constant):
    with pytest.raises(ValueError, match="not a number we accept"):
        loads_decimal_json(f'{{"charge": {constant}}}')
