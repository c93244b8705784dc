"""price_enricher: indicators, ordering, notifications, partial failures, replays, cost."""

from __future__ import annotations

import copy
import itertools
import math
import random
import statistics
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from price_enricher import clients
from tests.handlers.conftest import Aws, enrich, post, tick_body
from tests.support.callcount import count_calls

T0 = 1_714_564_800_000
# A known series with ups, downs, a flat step and a big jump.
PRICES = [
    "100", "101.5", "99.25", "102", "103", "101", "100.5", "104", "105", "103.5",
    "106", "106", "107.25", "98", "97.5", "99", "101", "110", "108.75", "109",
    "111", "112.5", "109.5", "113", "115",
]  # fmt: skip


def send(
    symbol: str, exchange: str, prices: list[str], *, start: int = 0, order: list[int] | None = None
) -> None:
    """POST ticks ``start..`` of a series (ts = T0 + i s, event_id = i), in ``order`` if given."""
    for i in order if order is not None else range(len(prices)):
        body = tick_body(symbol=symbol, exchange=exchange, price=prices[i], timestamp=T0 + (start + i) * 1000,
                         event_id=f"{symbol}-{exchange}-{start + i}")  # fmt: skip
        status, answer = post(body)
        assert status == 200, answer


def tick_sk(ts_ms: int, event_id: str) -> str:
    """The sort key docs/design.md gives a tick with a timestamp and an event_id (written out here)."""
    return f"t#{ts_ms * 1000:016d}#e#{event_id}"


def series_sk(symbol: str, exchange: str, i: int) -> str:
    """Sort key of tick ``i`` that :func:`send` posts."""
    return tick_sk(T0 + i * 1000, f"{symbol}-{exchange}-{i}")


def ticks_only(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the event source mapping's filter passes: tick INSERTs, not event-id claims."""
    return [r for r in records if r["dynamodb"]["Keys"]["sk"]["S"].startswith("t#")]


def inserts(aws: Aws) -> list[dict[str, Any]]:
    records = aws.stream_records()
    assert records
    assert {r["eventName"] for r in records} == {"INSERT"}
    return ticks_only(records)


def run_in_batches(records: list[dict[str, Any]], size: int = 10) -> list[str]:
    failed: list[str] = []
    for start in range(0, len(records), size):
        failed += enrich(records[start : start + size])
    return failed


def expected(prices: list[str], i: int) -> dict[str, float]:
    """Independent computation on floats with the statistics module."""
    window = [float(p) for p in prices[: i + 1]]
    out: dict[str, float] = {}
    if len(window) >= 5:
        out["sma_5"] = statistics.fmean(window[-5:])
    if len(window) >= 20:
        out["sma_20"] = statistics.fmean(window[-20:])
    if len(window) >= 11:
        last = window[-11:]
        out["volatility_10"] = statistics.stdev([math.log(b / a) for a, b in itertools.pairwise(last)])
    return out


def series_rows(aws: Aws, pk: str) -> list[dict[str, Any]]:
    return sorted((r for r in aws.items() if r["pk"] == pk and "price" in r), key=lambda r: r["sk"])


def assert_indicators(aws: Aws, pk: str, prices: list[str]) -> None:
    rows = series_rows(aws, pk)
    assert [str(r["price"]) for r in rows] == [str(Decimal(p)) for p in prices]
    for i, row in enumerate(rows):
        want = expected(prices, i)
        got = {k: row[k] for k in ("sma_5", "sma_20", "volatility_10") if k in row}
        assert set(got) == set(want), (i, got)  # absent, never 0, without enough history
        for name, value in want.items():
            assert isinstance(got[name], Decimal)
            assert float(got[name]) == pytest.approx(value, rel=1e-12, abs=1e-15), (i, name)
        if "sma_5" in got:  # exact: the mean of decimals, checked with fractions
            exact = sum(Fraction(p) for p in prices[i - 4 : i + 1]) / 5
            assert abs(Fraction(got["sma_5"]) - exact) <= exact * Fraction(1, 10**36)
        assert isinstance(row["enriched_at"], Decimal)


# --- indicators ------------------------------------------------------------------------------


def test_indicators_on_a_known_series_in_batches_of_ten(aws: Aws) -> None:
    send("BTC-USD", "binance", PRICES)
    assert run_in_batches(inserts(aws)) == []
    assert_indicators(aws, "BTC-USD#binance", PRICES)
    first = series_rows(aws, "BTC-USD#binance")[0]
    assert {"sma_5", "sma_20", "volatility_10"}.isdisjoint(first)  # insufficient history: absent


def test_known_values_spot_check(aws: Aws) -> None:
    send("BTC-USD", "binance", PRICES[:11])
    assert run_in_batches(inserts(aws)) == []
    row = series_rows(aws, "BTC-USD#binance")[10]
    assert row["sma_5"] == Decimal("103.8")  # (100.5 + 104 + 105 + 103.5 + 106) / 5
    assert row["sma_5"] == sum(Decimal(p) for p in PRICES[6:11]) / 5
    assert "sma_20" not in row
    assert float(row["volatility_10"]) == pytest.approx(0.0202103374913763, rel=1e-12)


def test_event_time_order_not_arrival_order(aws: Aws) -> None:
    order = list(range(len(PRICES)))
    random.Random(7).shuffle(order)
    send("ETH-USD", "kraken", PRICES, order=order)
    assert run_in_batches(inserts(aws)) == []
    assert_indicators(aws, "ETH-USD#kraken", PRICES)


def test_low_priced_coin_keeps_its_digits(aws: Aws) -> None:
    prices = [f"0.0000000{1234 + i}5678901234567890123456789" for i in range(20)]
    send("SHIB-USD", "binance", prices)
    assert run_in_batches(inserts(aws)) == []
    last = series_rows(aws, "SHIB-USD#binance")[-1]
    exact = sum(Fraction(p) for p in prices) / 20
    assert last["sma_20"] != 0
    assert abs(Fraction(last["sma_20"]) - exact) <= exact * Fraction(1, 10**36)
    assert len(last["sma_20"].as_tuple().digits) <= 38


def test_same_millisecond_ticks_are_ordered_by_tick_id(aws: Aws) -> None:
    for event_id, price in (("b", "20"), ("a", "10"), ("c", "30"), ("d", "40"), ("e", "50")):
        assert post(tick_body(price=price, timestamp=T0, event_id=event_id))[0] == 200
    assert enrich(inserts(aws)) == []
    rows = series_rows(aws, "BTC-USD#binance")
    assert [r["sk"] for r in rows] == [tick_sk(T0, e) for e in "abcde"]
    assert rows[-1]["sma_5"] == 30
    assert all("sma_5" not in r for r in rows[:-1])


def test_series_are_independent(aws: Aws) -> None:
    series = [("BTC-USD", "binance"), ("BTC-USD", "coinbase"), ("ETH-USD", "binance")]
    shifted = {s: [str(Decimal(p) * (k + 1)) for p in PRICES] for k, s in enumerate(series)}
    for i in range(len(PRICES)):  # interleaved, so every batch mixes series
        for s in series:
            send(*s, shifted[s], order=[i])
    assert run_in_batches(inserts(aws)) == []
    for symbol, exchange in series:
        assert_indicators(aws, f"{symbol}#{exchange}", shifted[(symbol, exchange)])


def test_pages_when_the_batch_spans_more_than_the_first_page(aws: Aws) -> None:
    prices = [str(100 + (i * 37) % 23) for i in range(50)]
    send("BTC-USD", "binance", prices)
    records = inserts(aws)
    with count_calls() as calls:
        # Ticks 25 and 49 together: Limit = 2 + 20 reads 49..28, not 25's predecessors.
        assert enrich([records[25], records[49]]) == []
    assert calls["dynamodb:Query"] == 2
    rows = series_rows(aws, "BTC-USD#binance")
    for i in (25, 49):
        for name, value in expected(prices, i).items():
            assert float(rows[i][name]) == pytest.approx(value, rel=1e-12)


# --- notifications ------------------------------------------------------------------------------


def test_one_notification_per_enriched_tick(aws: Aws) -> None:
    send("BTC-USD", "binance", PRICES[:12])
    assert run_in_batches(inserts(aws)) == []
    messages = sorted(aws.deliveries(), key=lambda m: m["body"]["ts"])
    assert len(messages) == 12
    rows = series_rows(aws, "BTC-USD#binance")
    for message, row in zip(messages, rows, strict=True):
        body = message["body"]
        assert message["attributes"] == {"symbol": "BTC-USD", "exchange": "binance"}
        assert body["notification_id"] == f"{row['pk']}|{row['sk']}"
        assert body["ts"] == int(row["sk"][2:18]) // 1000  # the event time the key holds, in ms
        assert Decimal(body["price"]) == row["price"]
        for name in ("sma_5", "sma_20", "volatility_10"):
            assert (name in body) == (name in row)
            if name in body:
                assert Decimal(body[name]) == row[name]
        assert body["revision"] == 1
        assert set(body) <= {"notification_id", "revision", "symbol", "exchange", "ts", "price", "sma_5",
                             "sma_20", "volatility_10"}  # fmt: skip


# --- stream filtering ---------------------------------------------------------------------------


def test_modify_and_remove_records_are_ignored(aws: Aws) -> None:
    send("BTC-USD", "binance", PRICES[:6])
    assert enrich(inserts(aws)) == []
    aws.deliveries()
    modifies = aws.stream_records()
    assert len(modifies) == 6  # per tick one write, the revision; no unsent mark when SNS accepts
    assert {r["eventName"] for r in modifies} == {"MODIFY"}  # the enricher's own writes
    delete(aws, "BTC-USD#binance", series_sk("BTC-USD", "binance", 0))
    [remove] = aws.stream_records()
    assert remove["eventName"] == "REMOVE"
    before = aws.items()
    with count_calls() as calls:
        assert enrich([*modifies, remove]) == []
    assert calls.total() - calls["sns:PublishBatch"] == 0  # no read, no write
    assert aws.items() == before
    assert aws.deliveries() == []
    assert aws.stream_records() == []  # and so no new MODIFY: no self-trigger loop


def test_deleted_tick_is_not_recreated(aws: Aws) -> None:
    send("BTC-USD", "binance", PRICES[:3])
    records = inserts(aws)
    delete(aws, "BTC-USD#binance", series_sk("BTC-USD", "binance", 2))
    assert enrich(records) == []
    assert [r["sk"] for r in series_rows(aws, "BTC-USD#binance")] == [
        series_sk("BTC-USD", "binance", 0),
        series_sk("BTC-USD", "binance", 1),
    ]
    assert len(aws.deliveries()) == 2


# --- failures -----------------------------------------------------------------------------------


def delete(aws: Aws, pk: str, sk: str) -> None:
    aws.client("dynamodb").delete_item(TableName=aws.table, Key={"pk": {"S": pk}, "sk": {"S": sk}})


def poison(record: dict[str, Any], sequence: str, mutate: Any) -> dict[str, Any]:
    bad = copy.deepcopy(record)
    bad["dynamodb"]["SequenceNumber"] = sequence
    mutate(bad)
    return bad


POISONS = {
    "no NewImage": lambda r: r["dynamodb"].pop("NewImage"),
    "price not a number": lambda r: r["dynamodb"]["NewImage"].update(price={"N": "abc"}),
    "price missing": lambda r: r["dynamodb"]["NewImage"].pop("price"),
    "price negative": lambda r: r["dynamodb"]["NewImage"].update(price={"N": "-1"}),
    "price as string": lambda r: r["dynamodb"]["NewImage"].update(price={"S": "1"}),
    "ts fraction": lambda r: r["dynamodb"]["NewImage"].update(ts={"N": "1.5"}),
    "ts enormous": lambda r: r["dynamodb"]["NewImage"].update(ts={"N": "1E+999999999"}),
    "pk mismatch": lambda r: r["dynamodb"]["NewImage"].update(pk={"S": "X#y"}),
    "legacy symbol mismatch": lambda r: r["dynamodb"]["NewImage"].update(
        symbol={"S": "ETH-USD"}, exchange={"S": "binance"}
    ),
    "legacy ts mismatch": lambda r: r["dynamodb"]["NewImage"].update(ts={"N": "1714564800001"}),
    "sk time not digits": lambda r: (
        r["dynamodb"]["NewImage"].update(sk={"S": "t#x"}),
        r["dynamodb"]["Keys"].update(sk={"S": "t#x"}),
    ),
    "NewImage not a map": lambda r: r["dynamodb"].update(NewImage=[1, 2]),
}


@pytest.mark.parametrize("kind", sorted(POISONS))
def test_poison_record_fails_alone(aws: Aws, kind: str) -> None:
    send("BTC-USD", "binance", PRICES[:9])
    records = inserts(aws)
    bad = poison(records[0], "9" * 30, POISONS[kind])
    batch = [*records[:4], bad, *records[4:]]
    assert enrich(batch) == ["9" * 30]
    assert len([r for r in series_rows(aws, "BTC-USD#binance") if "enriched_at" in r]) == 9
    assert len(aws.deliveries()) == 9


def test_failed_query_fails_only_its_series(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    send("BTC-USD", "binance", PRICES[:5])
    send("ETH-USD", "binance", PRICES[:5])
    records = inserts(aws)
    client = clients.dynamodb()
    real_query = client.query

    def query(**kwargs: Any) -> Any:
        if kwargs["ExpressionAttributeValues"][":pk"]["S"] == "ETH-USD#binance":
            raise ClientError({"Error": {"Code": "InternalServerError"}}, "Query")
        return real_query(**kwargs)

    monkeypatch.setattr(client, "query", query)
    failed = enrich(records)
    assert sorted(failed) == sorted(r["dynamodb"]["SequenceNumber"] for r in records[5:])
    assert {m["body"]["symbol"] for m in aws.deliveries()} == {"BTC-USD"}


def ten_ticks_and_sns(aws: Aws) -> tuple[list[dict[str, Any]], Any, Any]:
    """Ten stored ticks' INSERT records, the SNS client and its real ``publish_batch``."""
    send("BTC-USD", "binance", PRICES[:10])
    client = clients.sns()
    return inserts(aws), client, client.publish_batch


def test_unaccepted_notifications_fail_their_records_and_replay_cleanly(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    records, client, real_publish = ten_ticks_and_sns(aws)

    def flaky(**kwargs: Any) -> dict[str, Any]:
        entries = kwargs["PublishBatchRequestEntries"]
        rejected = [e for e in entries if e["Id"] in {"n1", "n3"}]
        answer = real_publish(
            **{**kwargs, "PublishBatchRequestEntries": [e for e in entries if e not in rejected]}
        )
        answer["Failed"] = [{"Id": e["Id"], "Code": "InternalError", "SenderFault": False} for e in rejected]
        return answer

    monkeypatch.setattr(client, "publish_batch", flaky)
    failed = enrich(records)
    assert failed == [records[1]["dynamodb"]["SequenceNumber"], records[3]["dynamodb"]["SequenceNumber"]]
    first = {m["body"]["notification_id"]: m["body"] for m in aws.deliveries()}
    assert len(first) == 8
    stored = aws.items()
    # the two revisions SNS did not accept stay marked unsent, durably; the sent ones are not
    unsent = {f"BTC-USD#binance|{series_sk('BTC-USD', 'binance', i)}" for i in (1, 3)}
    assert {f"{row['pk']}|{row['sk']}": row.get("unsent") for row in stored if "unsent" in row} == {
        nid: 1 for nid in unsent
    }

    monkeypatch.setattr(client, "publish_batch", real_publish)
    # Lambda replays from the lowest failed sequence number: records 1..9.
    assert enrich(records[1:]) == []
    replayed = [m["body"] for m in aws.deliveries()]
    # at least once: each replayed record sends the revision it wrote again (whether it went
    # out before is not recorded), the unsent ones among them; the same pairs, nothing new
    retried = {f"BTC-USD#binance|{series_sk('BTC-USD', 'binance', i)}" for i in range(1, 10)}
    assert sorted(b["notification_id"] for b in replayed) == sorted(retried)
    assert {b["revision"] for b in replayed} == {1}
    assert unsent <= retried
    for body in replayed:
        if body["notification_id"] in first:
            assert body == first[body["notification_id"]]  # a repeat a subscriber drops
    # identical values, enriched_at kept; only the marks are gone
    assert aws.items() == [{k: v for k, v in row.items() if k != "unsent"} for row in stored]


def test_crash_between_write_and_publish_loses_no_notification(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The function dies after its writes, before PublishBatch: no mark, but the retry sends."""
    records, client, real_publish = ten_ticks_and_sns(aws)

    def crash(**_: Any) -> None:
        raise RuntimeError("the sandbox died")  # neither a ClientError nor a BotoCoreError

    monkeypatch.setattr(client, "publish_batch", crash)
    with pytest.raises(RuntimeError, match="sandbox"):
        enrich(records)
    stored = aws.items()
    assert [row["revision"] for row in stored] == [1] * 10  # written, never published
    assert not [row for row in stored if "unsent" in row]  # and no mark: nothing wrote one
    assert aws.deliveries() == []

    monkeypatch.setattr(client, "publish_batch", real_publish)
    assert enrich(records) == []  # the mapping retries the whole batch
    assert aws.items() == stored  # nothing written again
    sent = sorted(m["body"]["notification_id"] for m in aws.deliveries())
    assert sent == sorted(f"{row['pk']}|{row['sk']}" for row in stored)


def test_stored_revision_of_another_batch_is_not_sent_again(aws: Aws) -> None:
    """A later batch reads earlier enriched ticks as history: it re-sends none of them."""
    send("BTC-USD", "binance", PRICES[:10])
    assert enrich(inserts(aws)) == []
    assert len(aws.deliveries()) == 10
    aws.stream_records()  # the enricher's MODIFY records
    send("BTC-USD", "binance", PRICES[10:12], start=10)
    assert enrich(inserts(aws)) == []
    assert [m["body"]["notification_id"] for m in aws.deliveries()] == [
        f"BTC-USD#binance|{series_sk('BTC-USD', 'binance', i)}" for i in (10, 11)
    ]


def test_hanging_sns_fails_fast_and_marks_every_notification(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PublishBatch that times out ends the publishing: no call per chunk, every message marked."""
    send("BTC-USD", "binance", PRICES)
    records = inserts(aws)
    calls: list[int] = []

    def hang(**kwargs: Any) -> None:
        calls.append(len(kwargs["PublishBatchRequestEntries"]))
        raise ReadTimeoutError(endpoint_url="https://sns.eu-west-1.amazonaws.com/")

    monkeypatch.setattr(clients.sns(), "publish_batch", hang)
    assert enrich(records) == [r["dynamodb"]["SequenceNumber"] for r in records]
    assert calls == [10]  # 25 notifications: one call tried, the other two chunks not
    assert {row.get("unsent") for row in aws.items()} == {1}


def test_sns_client_gives_up_well_inside_the_function_timeout() -> None:
    """Worst case of one hanging PublishBatch: every attempt's connect and read timeouts."""
    config = clients.sns().meta.config
    attempts = config.retries["total_max_attempts"]  # the first call and its retries
    worst = attempts * (config.connect_timeout + config.read_timeout)
    assert worst <= 20  # the enricher's timeout is 60 s (modules/pipeline variables.tf default)


def test_publish_call_failure_fails_every_record_of_the_call(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    send("BTC-USD", "binance", PRICES[:12])
    records = inserts(aws)

    def down(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "Throttling"}}, "PublishBatch")

    monkeypatch.setattr(clients.sns(), "publish_batch", down)
    assert enrich(records) == [r["dynamodb"]["SequenceNumber"] for r in records]


def test_replay_is_idempotent(aws: Aws) -> None:
    send("BTC-USD", "binance", PRICES)
    records = inserts(aws)
    assert run_in_batches(records) == []
    stored, sent = aws.items(), aws.deliveries()
    assert len(sent) == len(PRICES)
    assert not [row for row in stored if "unsent" in row]  # every message went out
    assert run_in_batches(records) == []
    assert aws.items() == stored
    # the replayed records wrote these revisions: sent again, the same pairs (subscribers drop them)
    again = sorted((m["body"]["notification_id"], m["body"]["revision"]) for m in aws.deliveries())
    assert again == sorted((m["body"]["notification_id"], m["body"]["revision"]) for m in sent)


def test_event_without_records_is_a_no_op(aws: Aws) -> None:
    assert enrich([]) == []


@pytest.mark.filterwarnings("ignore:No application metrics")
def test_missing_configuration_raises(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOPIC_ARN")
    with pytest.raises(RuntimeError, match="TOPIC_ARN"):
        enrich([])


# --- cost ---------------------------------------------------------------------------------------


def history_then_batch(aws: Aws, series: list[tuple[str, str]], per_series: int) -> list[dict[str, Any]]:
    """20 ticks of history per series (already enriched), then ``per_series`` new ones each."""
    for s in series:
        send(*s, PRICES[:20])
    assert run_in_batches(inserts(aws)) == []
    aws.stream_records()  # skip the MODIFY records
    aws.deliveries()
    more = [str(Decimal(120) + Decimal(i % 7) / 4) for i in range(per_series)]
    for i in range(per_series):
        for s in series:
            send(*s, more[i : i + 1], start=20 + i)
    records = ticks_only(aws.stream_records())
    assert len(records) == len(series) * per_series
    return records


@pytest.mark.parametrize(
    ("n_series", "per_series"),
    [(1, 10), (5, 2)],
)
def test_calls_per_batch_of_ten(aws: Aws, n_series: int, per_series: int) -> None:
    series = [(f"C{k}-USD", "binance") for k in range(n_series)]
    records = history_then_batch(aws, series, per_series)
    with count_calls(clients.dynamodb(), clients.sns()) as calls:  # warm container
        assert enrich(records) == []
    assert dict(calls) == {
        "dynamodb:Query": n_series,
        "dynamodb:UpdateItem": 10,  # the revisions; no mark is written when SNS accepts
        "sns:PublishBatch": 1,
    }
    assert len(aws.deliveries()) == 10
    for symbol, exchange in series:
        rows = series_rows(aws, f"{symbol}#{exchange}")
        assert {"sma_5", "sma_20", "volatility_10"} <= set(rows[-1])


def test_publish_batch_takes_ten_per_call(aws: Aws) -> None:
    send("BTC-USD", "binance", PRICES)
    records = inserts(aws)
    with count_calls() as calls:
        assert enrich(records) == []
    assert calls["sns:PublishBatch"] == 3
    assert calls["dynamodb:Query"] == 1
    assert calls["dynamodb:UpdateItem"] == 25  # the revisions; no mark is written when SNS accepts


def test_rows_of_both_item_formats_are_enriched_alike(aws: Aws) -> None:
    """Rows written before the lean format repeat symbol, exchange, ts and event_id; the enricher
    reads them as it reads new rows, in one series, and its messages are the same."""
    ddb = aws.client("dynamodb")
    for i, price in enumerate(PRICES[:12]):
        pk, sk = "BTC-USD#binance", series_sk("BTC-USD", "binance", i)
        item = {"pk": {"S": pk}, "sk": {"S": sk}, "price": {"N": price}, "volume": {"N": "1"},
                "received_at": {"N": str(T0 + i * 1000)}}  # fmt: skip
        if i % 2 == 0:  # the legacy form
            item |= {"ts": {"N": str(T0 + i * 1000)}, "symbol": {"S": "BTC-USD"},
                     "exchange": {"S": "binance"}, "event_id": {"S": f"BTC-USD-binance-{i}"}}  # fmt: skip
        ddb.put_item(TableName=aws.table, Item=item)
    assert run_in_batches(inserts(aws)) == []
    assert_indicators(aws, "BTC-USD#binance", PRICES[:12])
    messages = sorted(aws.deliveries(), key=lambda m: m["body"]["ts"])
    assert [m["body"]["ts"] for m in messages] == [T0 + i * 1000 for i in range(12)]
    assert {(m["body"]["symbol"], m["body"]["exchange"]) for m in messages} == {("BTC-USD", "binance")}
