"""The event source mapping filter matcher (scripts/local/esm_filter.py)."""

from __future__ import annotations

import json

import pytest

from scripts.local.esm_filter import FilterError, matches, matches_any, parse_filters

pytestmark = pytest.mark.emulator

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
    assert matches({"dynamodb": {"SizeBytes": [120]}}, INSERT)
    assert not matches({"dynamodb": {"SizeBytes": [120.0]}}, INSERT)  # exact: numbers as written
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


# AWS's documented comparison operators (Lambda developer guide, "Lambda event filtering",
# filter rule syntax table; Lambda uses EventBridge's pattern syntax, whose table adds the
# wildcard and anything-but forms), each rule with records of the documented example and
# the outcome the example states.
DOCUMENTED = [
    # Null: UserID is null
    ("null", {"UserID": [None]}, {"UserID": None}, [{"UserID": ""}, {"Other": 1}]),
    # Empty: LastName is empty
    ("empty", {"LastName": [""]}, {"LastName": ""}, [{"LastName": None}, {"LastName": "Doe"}]),
    # Equals: Name is "Alice"
    ("equals", {"Name": ["Alice"]}, {"Name": "Alice"}, [{"Name": "alice"}, {"Name": "Bob"}]),
    # Equals (ignore case): Name is "Alice"
    (
        "equals-ignore-case",
        {"Name": [{"equals-ignore-case": "alice"}]},
        {"Name": "ALICE"},
        [{"Name": "Alicia"}],
    ),
    # And: Location is "New York" and Day is "Monday"
    (
        "and",
        {"Location": ["New York"], "Day": ["Monday"]},
        {"Location": "New York", "Day": "Monday"},
        [{"Location": "New York", "Day": "Tuesday"}, {"Location": "New York"}],
    ),
    # Or: PaymentType is "Credit" or "Debit"
    (
        "or",
        {"PaymentType": ["Credit", "Debit"]},
        {"PaymentType": "Debit"},
        [{"PaymentType": "Cash"}],
    ),
    # Or (multiple fields): Location is "New York", or Day is "Monday"
    (
        "$or",
        {"$or": [{"Location": ["New York"]}, {"Day": ["Monday"]}]},
        {"Location": "Boston", "Day": "Monday"},
        [{"Location": "Boston", "Day": "Friday"}],
    ),
    # Not: Weather is anything but "Raining"
    (
        "anything-but",
        {"Weather": [{"anything-but": ["Raining"]}]},
        {"Weather": "Sunny"},
        [{"Weather": "Raining"}],
    ),
    # Numeric (equals): Price is 100
    ("numeric equals", {"Price": [{"numeric": ["=", 100]}]}, {"Price": 100.0}, [{"Price": 101}]),
    # Numeric (range): Price is more than 10, and less than or equal to 20
    (
        "numeric range",
        {"Price": [{"numeric": [">", 10, "<=", 20]}]},
        {"Price": 20},
        [{"Price": 10}, {"Price": 20.5}],
    ),
    # Exists: ProductName exists
    ("exists", {"ProductName": [{"exists": True}]}, {"ProductName": "Widget"}, [{"Product": "Widget"}]),
    # Does not exist: ProductName does not exist
    (
        "does not exist",
        {"ProductName": [{"exists": False}]},
        {"Product": "Widget"},
        [{"ProductName": "Widget"}],
    ),
    # Begins with: Region is in the US
    ("prefix", {"Region": [{"prefix": "us-"}]}, {"Region": "us-east-1"}, [{"Region": "eu-west-1"}]),
    # Ends with: FileName ends with a .png extension
    (
        "suffix",
        {"FileName": [{"suffix": ".png"}]},
        {"FileName": "photo.png"},
        [{"FileName": "photo.jpg"}, {"FileName": "photo.PNG"}],
    ),
    # Wildcard: FilePath is a file path that includes /lib/
    (
        "wildcard",
        {"FilePath": [{"wildcard": "*/lib/*"}]},
        {"FilePath": "/usr/lib/python3"},
        [{"FilePath": "/usr/bin/python3"}],
    ),
    # Anything-but (begins with): Region is not in the US
    (
        "anything-but prefix",
        {"Region": [{"anything-but": {"prefix": "us-"}}]},
        {"Region": "eu-west-1"},
        [{"Region": "us-west-2"}],
    ),
    # Anything-but (ends with): FileName does not end with a .png extension
    (
        "anything-but suffix",
        {"FileName": [{"anything-but": {"suffix": ".png"}}]},
        {"FileName": "notes.txt"},
        [{"FileName": "photo.png"}],
    ),
    # Anything-but (ignore case): State is any value besides "initializing", in any casing
    (
        "anything-but equals-ignore-case",
        {"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]},
        {"state": "running"},
        [{"state": "INITIALIZING"}, {"state": "initializing"}],
    ),
]


@pytest.mark.parametrize(
    ("rule", "pattern", "matching", "not_matching"), DOCUMENTED, ids=[d[0] for d in DOCUMENTED]
)
def test_documented_filter_examples(
    rule: str, pattern: dict, matching: dict, not_matching: list[dict]
) -> None:
    (parsed,) = parse_filters(criteria(pattern))
    assert matches(parsed, matching), f"{rule}: {matching} should match"
    for record in not_matching:
        assert not matches(parsed, record), f"{rule}: {record} should not match"


def test_documented_exact_numbers_compare_as_written() -> None:
    """The documented note: for exact matching numbers compare by their string form, so 300,
    300.0 and 3.0e2 are not equal (the numeric operator compares values). JSON parsing keeps
    int and float apart, so 300 differs from both 300.0 and 3.0e2 here."""
    (parsed,) = parse_filters(criteria({"Amount": [300]}))
    assert matches(parsed, json.loads('{"Amount": 300}'))
    assert not matches(parsed, json.loads('{"Amount": 300.0}'))
    assert not matches(parsed, json.loads('{"Amount": 3.0e2}'))
    (numeric,) = parse_filters(criteria({"Amount": [{"numeric": ["=", 300]}]}))
    assert matches(numeric, json.loads('{"Amount": 3.0e2}'))


def test_documented_dynamodb_multi_level_example() -> None:
    """The guide's multi-level example: only records whose key Id N is "101"."""
    (parsed,) = parse_filters(criteria({"dynamodb": {"Keys": {"Id": {"N": ["101"]}}}}))
    record = {
        "dynamodb": {
            "Keys": {"Id": {"N": "101"}},
            "NewImage": {"Message": {"S": "New item!"}, "Id": {"N": "101"}},
            "SequenceNumber": "111",
            "SizeBytes": 26,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        }
    }
    assert matches(parsed, record)
    other = json.loads(json.dumps(record).replace('"101"', '"102"'))
    assert not matches(parsed, other)


def test_the_pipeline_filter_drops_claims_and_tombstones() -> None:
    """The pattern modules/pipeline/main.tf writes: tick INSERTs that are no tombstone; a malformed
    tick row passes, so the enricher fails it into the on-failure queue instead of dropping it."""
    tick_only = {
        "eventName": ["INSERT"],
        "dynamodb": {
            "Keys": {"sk": {"S": [{"prefix": "t#"}]}},
            "NewImage": {"tombstone_for": {"S": [{"exists": False}]}},
        },
    }
    filters = parse_filters(criteria(tick_only))
    keys = {"pk": {"S": "BTC-USD#binance"}, "sk": {"S": "t#1714564800000000#e#id-1"}}
    tick = {"eventName": "INSERT", "dynamodb": {"Keys": keys, "NewImage": {**keys, "price": {"N": "1.5"}}}}
    tombstone_image = {**keys, "tombstone_for": {"S": "t#1714564800000001#e#id-1"}}
    tombstone = {"eventName": "INSERT", "dynamodb": {"Keys": keys, "NewImage": tombstone_image}}
    claim_keys = {"pk": keys["pk"], "sk": {"S": "e#id-1"}}
    claim = {
        "eventName": "INSERT",
        "dynamodb": {"Keys": claim_keys, "NewImage": {**claim_keys, "price": {"N": "1"}}},
    }
    assert matches_any(filters, tick)
    assert not matches_any(filters, tombstone)
    assert not matches_any(filters, claim)
    malformed = {**keys, "price": {"S": "not-a-price"}}
    assert matches_any(filters, {"eventName": "INSERT", "dynamodb": {"Keys": keys, "NewImage": malformed}})
