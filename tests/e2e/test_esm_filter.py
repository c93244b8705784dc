"""The event source mapping filter matcher (scripts/local/esm_filter.py)."""

from __future__ import annotations

import json

import pytest

from scripts.local.esm_filter import FilterError, matches, matches_any, parse_filters

pytestmark = pytest.mark.e2e

INSERT = {
    "eventName": "INSERT",
    "eventSource": "aws:dynamodb",
    "dynamodb": {
        "Keys": {"pk": {"S": "BTC-USD#binance"}, "sk": {"S": "id#1"}},
        "NewImage": {"price": {"N": "65000.5"}, "symbol": {"S": "BTC-USD"}, "tags": {"L": []}},
        "SizeBytes": 120,
    },
}
MODIFY = {**INSERT, "eventName": "MODIFY"}


def criteria(*patterns: dict) -> dict:
    return {"Filters": [{"Pattern": json.dumps(p)} for p in patterns]}


def test_insert_only_filter_as_terraform_writes_it() -> None:
    filters = parse_filters(criteria({"eventName": ["INSERT"]}))
    assert matches_any(filters, INSERT)
    assert not matches_any(filters, MODIFY)
    assert not matches_any(filters, {**INSERT, "eventName": "REMOVE"})


def test_no_criteria_passes_everything() -> None:
    assert parse_filters(None) == []
    assert matches_any([], MODIFY)


def test_filters_are_ored_fields_are_anded() -> None:
    filters = parse_filters(criteria({"eventName": ["REMOVE"]}, {"eventName": ["MODIFY"]}))
    assert matches_any(filters, MODIFY)
    assert not matches_any(filters, INSERT)
    both = {"eventName": ["INSERT"], "eventSource": ["aws:kinesis"]}
    assert not matches(both, INSERT)


def test_nested_fields_and_value_lists() -> None:
    assert matches({"dynamodb": {"NewImage": {"symbol": {"S": ["ETH-USD", "BTC-USD"]}}}}, INSERT)
    assert not matches({"dynamodb": {"NewImage": {"symbol": {"S": ["ETH-USD"]}}}}, INSERT)
    assert not matches({"dynamodb": {"OldImage": {"symbol": {"S": ["BTC-USD"]}}}}, INSERT)


@pytest.mark.parametrize(
    ("matcher", "expected"),
    [
        ({"prefix": "BTC"}, True),
        ({"prefix": "ETH"}, False),
        ({"suffix": "-USD"}, True),
        ({"prefix": {"equals-ignore-case": "btc"}}, True),
        ({"equals-ignore-case": "btc-usd"}, True),
        ({"wildcard": "B*-U*"}, True),
        ({"wildcard": "E*"}, False),
        ({"anything-but": ["ETH-USD", "SOL-USD"]}, True),
        ({"anything-but": "BTC-USD"}, False),
        ({"anything-but": {"prefix": "BTC"}}, False),
        ({"exists": True}, True),
        ({"exists": False}, False),
    ],
)
def test_string_matchers(matcher: dict, expected: bool) -> None:
    assert matches({"dynamodb": {"NewImage": {"symbol": {"S": [matcher]}}}}, INSERT) is expected


def test_exists_false_matches_a_missing_field() -> None:
    assert matches({"dynamodb": {"OldImage": [{"exists": False}]}}, INSERT)
    assert not matches({"dynamodb": {"OldImage": [{"exists": True}]}}, INSERT)


def test_numeric_ranges_and_exact_numbers() -> None:
    assert matches({"dynamodb": {"SizeBytes": [{"numeric": [">", 100, "<=", 120]}]}}, INSERT)
    assert not matches({"dynamodb": {"SizeBytes": [{"numeric": ["<", 100]}]}}, INSERT)
    assert matches({"dynamodb": {"SizeBytes": [120.0]}}, INSERT)
    assert not matches({"dynamodb": {"SizeBytes": ["120"]}}, INSERT)  # a string is not a number


def test_or_and_arrays_in_the_record() -> None:
    pattern = {"$or": [{"eventName": ["MODIFY"]}, {"dynamodb": {"SizeBytes": [{"numeric": [">", 100]}]}}]}
    assert matches(pattern, INSERT)
    assert matches({"tags": ["b"]}, {"tags": ["a", "b"]})
    assert not matches({"tags": ["c"]}, {"tags": ["a", "b"]})


def test_null_and_booleans_are_exact() -> None:
    assert matches({"flag": [True]}, {"flag": True})
    assert not matches({"flag": [True]}, {"flag": 1})
    assert matches({"gone": [None]}, {"gone": None})
    assert not matches({"gone": [None]}, {})


@pytest.mark.parametrize(
    "pattern",
    ["not json", "[1, 2]", json.dumps({"eventName": "INSERT"}), json.dumps({"eventName": []})],
)
def test_invalid_patterns_are_rejected(pattern: str) -> None:
    with pytest.raises(FilterError):
        parse_filters({"Filters": [{"Pattern": pattern}]})
