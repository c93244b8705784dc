"""Event source mapping filter criteria: the JSON pattern language Lambda applies to records.

A mapping's ``FilterCriteria.Filters`` is a list of patterns; a record goes to the
function when any pattern matches it and is dropped (never retried) otherwise.
Supported, as in Lambda event filtering: nested objects, value lists (OR),
exact strings/numbers/booleans/null, ``prefix``, ``suffix``,
``equals-ignore-case``, ``wildcard``, ``anything-but`` (value, list, prefix,
suffix, equals-ignore-case), ``numeric`` ranges, ``exists``, ``cidr`` and
``$or``. An array in the record matches when any element matches.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

_MISSING = object()
_NUMERIC_OPS = {
    "=": lambda a, b: a == b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


class FilterError(ValueError):
    """A filter pattern Lambda would reject."""


def parse_filters(filter_criteria: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The patterns of a mapping's ``FilterCriteria`` (JSON strings), parsed and checked."""
    patterns: list[dict[str, Any]] = []
    for entry in (filter_criteria or {}).get("Filters") or []:
        raw = entry.get("Pattern", "")
        try:
            pattern = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise FilterError(f"filter pattern is not JSON: {raw!r}") from exc
        if not isinstance(pattern, dict):
            raise FilterError(f"filter pattern must be a JSON object: {raw!r}")
        _check(pattern)
        patterns.append(pattern)
    return patterns


def _check(pattern: Mapping[str, Any]) -> None:
    for key, value in pattern.items():
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2:
                raise FilterError("$or needs a list of at least two patterns")
            for sub in value:
                if not isinstance(sub, dict):
                    raise FilterError("$or entries must be objects")
                _check(sub)
        elif isinstance(value, dict):
            _check(value)
        elif isinstance(value, list):
            if not value:
                raise FilterError(f"empty matcher list for {key!r}")
            for matcher in value:
                if isinstance(matcher, dict) and not set(matcher) <= set(_MATCHERS):
                    raise FilterError(f"unknown matcher {sorted(matcher)} for {key!r}")
                if isinstance(matcher, list):
                    raise FilterError(f"nested list in matchers for {key!r}")
        else:
            raise FilterError(f"{key!r}: a pattern value must be an object or a list, not {value!r}")


def matches_any(patterns: Iterable[Mapping[str, Any]], record: Mapping[str, Any]) -> bool:
    """True when there are no patterns or any pattern matches ``record``."""
    patterns = list(patterns)
    return not patterns or any(matches(pattern, record) for pattern in patterns)


def matches(pattern: Mapping[str, Any], record: Any) -> bool:
    """True when ``record`` (a JSON value) satisfies every field of ``pattern``."""
    for key, expected in pattern.items():
        if key == "$or":
            if not any(matches(sub, record) for sub in expected):
                return False
            continue
        actual = record.get(key, _MISSING) if isinstance(record, Mapping) else _MISSING
        if isinstance(expected, Mapping):
            if isinstance(actual, list):
                if not any(matches(expected, element) for element in actual):
                    return False
            elif not matches(expected, actual if isinstance(actual, Mapping) else {}):
                return False
        elif not _field_matches(expected, actual):
            return False
    return True


def _field_matches(matchers: list[Any], actual: Any) -> bool:
    values = actual if isinstance(actual, list) else [actual]
    if not values:
        values = [_MISSING]
    return any(_matcher(m, v) for m in matchers for v in values)


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None or value is _MISSING:
        return None
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            number = Decimal(value)
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _equal(expected: Any, actual: Any) -> bool:
    if actual is _MISSING:
        return False
    if expected is None or isinstance(expected, bool) or isinstance(actual, bool) or actual is None:
        return expected is actual or (expected == actual and type(expected) is type(actual))
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        # exact matching compares numbers as written: 300 and 300.0 differ (``numeric`` compares values)
        return type(expected) is type(actual) and expected == actual
    return isinstance(actual, type(expected)) and expected == actual


def _string_op(spec: Any, actual: Any, op: str) -> bool:
    if not isinstance(actual, str):
        return False
    if isinstance(spec, Mapping) and "equals-ignore-case" in spec:
        text, value = str(spec["equals-ignore-case"]).lower(), actual.lower()
    else:
        text, value = str(spec), actual
    return value.startswith(text) if op == "prefix" else value.endswith(text)


def _wildcard(spec: str, actual: Any) -> bool:
    if not isinstance(actual, str):
        return False
    regex = "".join(".*" if ch == "*" else re.escape(ch) for ch in spec)
    return re.fullmatch(regex, actual, flags=re.DOTALL) is not None


def _numeric(spec: list[Any], actual: Any) -> bool:
    number = _number(actual)
    if number is None:
        return False
    if len(spec) % 2:
        raise FilterError(f"numeric matcher needs operator/value pairs: {spec!r}")
    for op, bound in zip(spec[0::2], spec[1::2], strict=True):
        if op not in _NUMERIC_OPS:
            raise FilterError(f"unknown numeric operator {op!r}")
        if not _NUMERIC_OPS[op](number, Decimal(str(bound))):
            return False
    return True


def _anything_but(spec: Any, actual: Any) -> bool:
    if actual is _MISSING:
        return False
    if isinstance(spec, Mapping):
        if "prefix" in spec:
            return not _string_op(spec["prefix"], actual, "prefix")
        if "suffix" in spec:
            return not _string_op(spec["suffix"], actual, "suffix")
        if "equals-ignore-case" in spec:
            options = spec["equals-ignore-case"]
            options = options if isinstance(options, list) else [options]
            return not (isinstance(actual, str) and actual.lower() in {str(o).lower() for o in options})
        raise FilterError(f"unsupported anything-but form: {spec!r}")
    options = spec if isinstance(spec, list) else [spec]
    return not any(_equal(option, actual) for option in options)


def _cidr(spec: str, actual: Any) -> bool:
    if not isinstance(actual, str):
        return False
    try:
        return ipaddress.ip_address(actual) in ipaddress.ip_network(spec, strict=False)
    except ValueError:
        return False


_MATCHERS = {
    "prefix": lambda spec, actual: _string_op(spec, actual, "prefix"),
    "suffix": lambda spec, actual: _string_op(spec, actual, "suffix"),
    "equals-ignore-case": lambda spec, actual: (
        isinstance(actual, str) and actual.lower() == str(spec).lower()
    ),
    "wildcard": _wildcard,
    "anything-but": _anything_but,
    "numeric": _numeric,
    "exists": lambda spec, actual: (actual is not _MISSING) == bool(spec),
    "cidr": _cidr,
}


def _matcher(matcher: Any, actual: Any) -> bool:
    if isinstance(matcher, Mapping):
        return all(_MATCHERS[name](spec, actual) for name, spec in matcher.items())
    return _equal(matcher, actual)
