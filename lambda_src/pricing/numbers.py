"""Exact decimal numbers within what a DynamoDB ``N`` attribute stores exactly."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Context, Decimal

#: DynamoDB keeps at most 38 significant digits.
MAX_DIGITS = 38
#: Smallest and largest adjusted exponent of a non-zero DynamoDB number
#: (magnitudes 1E-130 to 9.9999999999999999999999999999999999999E+125).
MIN_ADJUSTED = -130
MAX_ADJUSTED = 125

_ROUND_38 = Context(prec=MAX_DIGITS, rounding=ROUND_HALF_EVEN)


def storable(value: Decimal) -> Decimal | None:
    """Return ``value`` in a form DynamoDB stores exactly, or ``None`` if it cannot.

    Trailing zeros are dropped only when the coefficient would otherwise exceed 38
    digits (``1.50`` stays ``1.50``; the number is the same). Zero becomes ``0``.
    """
    if not value.is_finite():
        return None
    if value.is_zero():
        return Decimal(0)
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite, so never 'n', 'N' or 'F'
    if len(digits) > MAX_DIGITS:
        text = "".join(map(str, digits)).rstrip("0")
        if len(text) > MAX_DIGITS:
            return None
        exponent += len(digits) - len(text)
        value = Decimal((sign, tuple(int(c) for c in text), exponent))
    if not MIN_ADJUSTED <= value.adjusted() <= MAX_ADJUSTED:
        return None
    return value


def round_storable(value: Decimal) -> Decimal | None:
    """Round a computed value to 38 significant digits; ``None`` if out of DynamoDB's range."""
    if not value.is_finite():
        return None
    return storable(_ROUND_38.plus(value))
