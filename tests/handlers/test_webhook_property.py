"""Properties: whatever the body and headers, the webhook answers 2xx/4xx, never raises, never
5xx, and stores a row only for a body that an independent check finds valid; and every valid,
correctly signed POST of a new tick is answered 200 "stored" and stores one row. Both schemes
(X-Signature and Standard Webhooks) are drawn."""

from __future__ import annotations

import json
import math
import re
import time
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.handlers.conftest import CONTEXT, SECRET, Aws, signature_header, standard_headers, url_event
from webhook_processor import handler as webhook

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**60), max_value=10**60),
    st.floats(allow_nan=True, allow_infinity=True),  # json.dumps writes NaN / Infinity literals
    st.text(max_size=40),
    st.sampled_from(["1e999999999999", "0.000000012345678901234567890123456789", "1" * 50, "-0", "NaN"]),
)
json_values = st.recursive(json_leaf, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.text(max_size=10), inner, max_size=4), max_leaves=20)  # fmt: skip
field_values = st.one_of(
    json_leaf,
    st.sampled_from(["BTC", "btc-usd", "ETH/USDT", "binance", "Kraken", "x" * 33, "BTC#USD", "a|b"]),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.integers(min_value=1_230_940_800_000, max_value=1_900_000_000_000),
    st.sampled_from(["2024-05-01T12:00:00Z", "2024-05-01T12:00:00", "2100-01-01T00:00:00Z"]),
    json_values,
)
tick_like = st.fixed_dictionaries(
    {},
    optional={
        name: field_values
        for name in ("symbol", "price", "exchange", "volume", "timestamp", "event_id", "extra")
    },
)


def dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


bodies = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda s: s.encode("utf-8", "surrogatepass")),
    json_values.map(dumps),
    tick_like.map(dumps),
    tick_like.map(dumps).map(lambda b: b[: len(b) // 2]),
    st.integers(min_value=0, max_value=6000).map(lambda n: b"[" * n + b"]" * n),
    st.binary(min_size=4090, max_size=4200),
)
headers = st.dictionaries(st.text(max_size=20), st.text(max_size=60), max_size=4)
#: Standard Webhooks message ids: ids that can be an event_id, and any text the header may carry.
message_ids = st.one_of(
    st.uuids().map(lambda u: f"msg_{u.hex}"),
    st.text(max_size=140),
    st.sampled_from(["", " ", "a#b", "a|b", "x" * 128, "x" * 129]),
)


def usable_event_id(value: str) -> bool:
    """1-128 printable ASCII characters other than space, '#' and '|' (docs/design.md)."""
    return 0 < len(value) <= 128 and all(33 <= ord(c) <= 126 and c not in "#|" for c in value)


def independently_valid(body: bytes, message_id: str | None = None) -> bool:
    """A simple re-statement of the contract, not shared with the handler; ``message_id`` is
    the Standard Webhooks ``webhook-id``, the event_id when the body has none."""
    try:
        obj = json.loads(body.decode("utf-8"), parse_float=Decimal, parse_int=Decimal,
                         parse_constant=lambda _: math.nan)  # fmt: skip
    except (ValueError, InvalidOperation, RecursionError):
        return False
    if not isinstance(obj, dict) or not {"symbol", "price", "exchange"} <= set(obj):
        return False
    if not set(obj) <= {"symbol", "price", "exchange", "volume", "timestamp", "event_id"}:
        return False
    if obj.get("event_id") is None and message_id is not None:
        if not usable_event_id(message_id):
            return False
    elif obj.get("timestamp") is None and obj.get("event_id") is None:
        return False  # nothing to recognise a redelivery by
    try:
        price = Decimal(str(obj["price"]))
        volume = Decimal(str(obj.get("volume") if obj.get("volume") is not None else 0))
    except InvalidOperation:
        return False
    return (
        isinstance(obj["symbol"], str)
        and re.fullmatch(r"[A-Za-z0-9]+([-/][A-Za-z0-9]+)?", obj["symbol"]) is not None
        and isinstance(obj["exchange"], str)
        and 0 < len(obj["exchange"]) <= 32
        and price.is_finite()
        and price > 0
        and volume.is_finite()
        and volume >= 0
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=bodies,
    extra_headers=headers,
    sign=st.sampled_from(
        ["valid", "valid", "standard", "standard", "none", "wrong", "stale", "standard-wrong"]
    ),
    message_id=message_ids,
    method=st.sampled_from(["POST", "POST", "POST", "GET", "post", "PATCH"]),
    b64=st.booleans(),
)
def test_any_request_gets_a_clean_answer(
    aws: Aws, body: bytes, extra_headers: dict[str, str], sign: str, message_id: str, method: str, b64: bool
) -> None:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        b64 = True  # a Function URL base64-encodes a body that is not text
    request_headers = dict(extra_headers)
    if sign.startswith("standard"):
        key = b"nope" if sign == "standard-wrong" else SECRET.encode()
        request_headers.update(standard_headers(body, message_id, key=key))
    elif sign != "none":
        t = int(time.time()) - (1000 if sign == "stale" else 0)
        request_headers["x-signature"] = signature_header(body, SECRET if sign != "wrong" else "nope", t=t)
    rows_before = aws.count()

    answer = webhook.handler(url_event(body, headers=request_headers, method=method, b64=b64), CONTEXT)

    status = answer["statusCode"]
    payload = json.loads(answer["body"])
    # 409: an earlier example of this run used the same event_id for other content.
    assert status in {200, 400, 401, 405, 409, 413}, payload
    stored = aws.count() - rows_before
    if status == 200 and "results" in payload:
        elements = json.loads(body)
        assert isinstance(elements, list)
        assert len(payload["results"]) == len(elements)
        outcomes = [result["status"] for result in payload["results"]]
        assert set(outcomes) <= {"stored", "duplicate", "conflict", "invalid"}
        assert stored == outcomes.count("stored")
        assert sign in {"valid", "standard"}
    elif status == 200:
        assert payload["status"] in {"stored", "duplicate"}
        assert stored == (1 if payload["status"] == "stored" else 0)
        assert independently_valid(body, message_id if sign == "standard" else None), body
        assert method.upper() == "POST"
        assert sign in {"valid", "standard"}
    else:
        assert set(payload) == {"error"}
        assert stored == 0


valid_ticks = st.fixed_dictionaries(
    {
        "symbol": st.from_regex(r"[A-Za-z0-9]{1,15}([-/][A-Za-z0-9]{1,15})?", fullmatch=True).filter(
            lambda s: len(s) <= 32
        ),
        "price": st.one_of(
            st.decimals(min_value="0.00000001", max_value="1e15", places=8).map(str),
            st.integers(min_value=1, max_value=10**15),
        ),
        "exchange": st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}", fullmatch=True),
        # a past event time in epoch ms, from the first block of Bitcoin to now
        "timestamp": st.integers(min_value=1_230_940_800_000, max_value=int(time.time() * 1000)),
    },
    optional={"volume": st.decimals(min_value=0, max_value="1e12", places=6).map(str)},
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    tick=valid_ticks,
    b64=st.booleans(),
    compact=st.booleans(),
    scheme=st.sampled_from(["x-signature", "standard", "standard-id-only"]),
)
def test_every_valid_signed_tick_is_stored(
    aws: Aws, tick: dict[str, Any], b64: bool, compact: bool, scheme: str
) -> None:
    # a fresh event_id per example: a reused id with other content is a different case (409)
    event_id = f"prop-{uuid.uuid4().hex}"
    if scheme != "standard-id-only":  # else the webhook-id alone carries it
        tick = {**tick, "event_id": event_id}
    body = json.dumps(tick, separators=(",", ":") if compact else None).encode()
    if scheme == "x-signature":
        headers = {"x-signature": signature_header(body)}
    else:
        headers = standard_headers(
            body, event_id if scheme == "standard-id-only" else f"msg-{uuid.uuid4().hex}"
        )
    assert independently_valid(body, headers.get("webhook-id")), body
    rows_before = aws.count()

    answer = webhook.handler(url_event(body, headers=headers, method="POST", b64=b64), CONTEXT)

    assert answer["statusCode"] == 200, (answer, body)
    assert json.loads(answer["body"])["status"] == "stored"
    assert aws.count() == rows_before + 1
    pk, sk = json.loads(answer["body"])["tick_id"].split("|")
    assert aws.item(pk, sk) is not None
    assert sk.endswith(f"#e#{event_id}")  # the event_id lives in the key (docs/design.md)
