"""Indicators of a tick over its series: ``sma_5``, ``sma_20`` and ``volatility_10``.

``prices`` are the series' prices in event order ending with the tick itself. An
indicator without enough history is absent (never 0). Arithmetic is Decimal at
:data:`WORK_PRECISION` digits and each result is rounded once to 38 significant digits
(what DynamoDB stores), never to a fixed number of decimal places: an SMA of a coin
priced at 0.00000001 keeps its digits.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Context, Decimal, localcontext
from itertools import pairwise

from pricing.numbers import round_storable

SMA_WINDOWS = (5, 20)
VOLATILITY_RETURNS = 10
#: Prices needed for the longest indicator, including the tick itself.
MAX_WINDOW = max(*SMA_WINDOWS, VOLATILITY_RETURNS + 1)
WORK_PRECISION = 50
#: Attribute names of the indicators, in the order they are reported.
INDICATOR_NAMES = (*(f"sma_{n}" for n in SMA_WINDOWS), f"volatility_{VOLATILITY_RETURNS}")


def sma(prices: Sequence[Decimal], n: int) -> Decimal | None:
    """Mean of the last ``n`` prices, or ``None`` with fewer than ``n``."""
    if len(prices) < n:
        return None
    with localcontext(Context(prec=WORK_PRECISION)):
        mean = sum(prices[-n:], Decimal(0)) / n
    return round_storable(mean)


def volatility(prices: Sequence[Decimal], returns: int = VOLATILITY_RETURNS) -> Decimal | None:
    """Sample standard deviation (n-1) of the last ``returns`` log returns (``returns + 1`` prices).

    Not annualised. ``None`` with fewer than ``returns + 1`` prices.
    """
    if returns < 2 or len(prices) < returns + 1:
        return None
    window = prices[-(returns + 1) :]
    with localcontext(Context(prec=WORK_PRECISION)):
        # ln(b / a) rather than ln(b) - ln(a): no cancellation when a return is tiny.
        rets = [(b / a).ln() for a, b in pairwise(window)]
        mean = sum(rets, Decimal(0)) / len(rets)
        variance = sum(((r - mean) ** 2 for r in rets), Decimal(0)) / (len(rets) - 1)
        stdev = variance.sqrt()
    return round_storable(stdev)


def indicators(prices: Sequence[Decimal]) -> dict[str, Decimal]:
    """The indicators present for the last price of ``prices`` (keys are attribute names)."""
    values: dict[str, Decimal | None] = {f"sma_{n}": sma(prices, n) for n in SMA_WINDOWS}
    values[f"volatility_{VOLATILITY_RETURNS}"] = volatility(prices)
    return {name: value for name, value in values.items() if value is not None}
