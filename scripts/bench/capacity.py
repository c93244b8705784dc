"""Write units per tick and the capacity of one series and one table, from real items.

The items are built by the handlers' own code (``webhook_processor.store``) for a typical
tick, and the enriched item carries the indicators ``pricing.indicators`` computes over a
realistic window; their sizes follow DynamoDB's item-size rules. A write costs one write
unit per started KB of the larger of the item before and after; a failed conditional
write costs the same. A series' ticks all land at the top of its sort-key range, so one
partition takes them all, and one partition accepts at most 1,000 write units a second.
"""

from __future__ import annotations

import json
import math
import sys
from decimal import Decimal
from typing import Any

from tests.support.handlers import LAMBDA_SRC

#: One partition's write throughput (write units per second) and read throughput.
PARTITION_WRITE_UNITS_S = 1000
#: A TransactWriteItems costs twice a standard write per item (a ConditionCheck too).
TRANSACTION_FACTOR = 2
#: Storage DynamoDB bills per item on top of its attributes.
ITEM_OVERHEAD_BYTES = 100
KB = 1024
#: A representative tick: what the demo feed and the load generator send.
SAMPLE = {
    "symbol": "BTC-USD",
    "exchange": "binance",
    "price": "65012.34",
    "volume": "0.5321",
    "timestamp": 1_714_564_800_123,
    "event_id": "binance-trade-0001234567",
}
RECEIVED_US = 1_714_564_800_456_789
#: A provisioned table banks unused capacity for up to 300 s (burst capacity) and spends it on
#: requests above its provisioned rate; target tracking adds capacity only after its alarm sees
#: consumption above the target for 2 consecutive minutes (Developer Guide: burst capacity,
#: managing throughput capacity with auto scaling).
BURST_CREDIT_S = 300
SCALE_OUT_AFTER_S = 120
BURST_FACTORS = (1.5, 2.0, 3.0)
REFERENCE_SERIES_RATE = 10.0  # ticks/s of one busy series (BTC-USD on one exchange)


def attribute_size(name: str, value: dict[str, Any]) -> int:
    """Bytes of one attribute: its name plus its value (S: UTF-8 bytes; N: 1 + digits / 2)."""
    ((kind, raw),) = value.items()
    if kind == "S":
        size = len(raw.encode("utf-8"))
    elif kind == "N":
        digits = Decimal(raw).normalize().as_tuple().digits
        size = 1 + math.ceil(len(digits) / 2)
    else:
        raise ValueError(f"attribute type {kind} is not used by the price table")
    return len(name.encode("utf-8")) + size


def item_size(item: dict[str, dict[str, Any]]) -> int:
    """Bytes of an item (sum of its attributes), as DynamoDB counts them for capacity."""
    return sum(attribute_size(name, value) for name, value in item.items())


def write_units(size: int) -> int:
    """Write units of one write of an item of ``size`` bytes."""
    return max(1, math.ceil(size / KB))


def sample_items(ttl_days: int = 365) -> dict[str, dict[str, dict[str, Any]]]:
    """The tick, its event-id claim and the enriched tick, built by the handlers' own code.

    The window is prices on the demo feed's step (scripts/local/feed.py: 0.01 for BTC-USD),
    as an exchange quotes them; ``enriched`` is the common case (revision 1, published),
    ``revised`` the largest form (written by a late tick), ``legacy`` the enriched tick in the
    format before issue 20, which repeated symbol, exchange, ts and event_id.
    """
    if str(LAMBDA_SRC) not in sys.path:
        sys.path.insert(0, str(LAMBDA_SRC))
    from pricing.indicators import indicators
    from pricing.keys import UNSENT, claim_sort_key, request_claim_sort_key
    from pricing.signature import TOLERANCE_S
    from pricing.ticks import parse_tick
    from webhook_processor.store import build_claim, build_item, build_tombstone

    with_id = parse_tick(json.dumps(SAMPLE).encode(), now_ms=RECEIVED_US // 1000)
    without_id = parse_tick(
        json.dumps({k: v for k, v in SAMPLE.items() if k != "event_id"}).encode(), now_ms=RECEIVED_US // 1000
    )
    tick = build_item(with_id, received_us=RECEIVED_US, ttl_days=ttl_days)
    plain = build_item(without_id, received_us=RECEIVED_US, ttl_days=ttl_days)
    claim = build_claim(
        with_id,
        claim_sk=claim_sort_key(SAMPLE["event_id"]),
        tick_sk=tick["sk"]["S"],
        digest=with_id.digest(),
        received_us=RECEIVED_US,
        ttl_days=ttl_days,
    )
    original = {k: v for k, v in SAMPLE.items() if k not in ("event_id", "timestamp")}
    anonymous = parse_tick(json.dumps(original).encode(), now_ms=RECEIVED_US // 1000)
    request_claim = build_claim(
        anonymous,
        claim_sk=request_claim_sort_key("0" * 64),  # a request digest: SHA-256 in hex
        tick_sk=build_item(anonymous, received_us=RECEIVED_US, ttl_days=ttl_days)["sk"]["S"],
        digest=anonymous.digest(),
        received_us=RECEIVED_US,
        ttl_days=ttl_days,
        expires_s=RECEIVED_US // 1_000_000 + TOLERANCE_S + 1,
    )
    step = Decimal("0.01")
    window = [Decimal(SAMPLE["price"]) + step * ((i * 37) % 23 - 11) for i in range(20)]
    enriched = dict(tick)
    for name, value in indicators(window).items():
        enriched[name] = {"N": str(value)}
    enriched["revision"] = {"N": "1"}
    enriched["enriched_at"] = {"N": str(RECEIVED_US // 1000 + 850)}
    revised = dict(enriched, revision={"N": "2"}, revised_by={"S": tick["sk"]["S"]})
    # With the mark the enricher writes only when SNS did not accept the notification
    # (pricing.keys.UNSENT): the largest form, on the failure path; the common path never has it.
    unsent = {**revised, UNSENT: revised["revision"]}
    legacy = {
        **enriched,
        "ts": {"N": str(int(SAMPLE["timestamp"]))},
        "symbol": {"S": with_id.symbol},
        "exchange": {"S": with_id.exchange},
        "event_id": {"S": str(with_id.event_id)},
    }
    # An event-id takeover's tombstone at the claimed tick's key (a receive-time key: the
    # claimed tick had no timestamp), naming the tick that now holds the id.
    tombstone = build_tombstone(
        tick["pk"]["S"], plain["sk"]["S"], successor_sk=tick["sk"]["S"], received_us=RECEIVED_US
    )
    return {
        "tick": tick,
        "tick_without_id": plain,
        "claim": claim,
        "request_claim": request_claim,
        "enriched": enriched,
        "revised": revised,
        "unsent": unsent,
        "legacy": legacy,
        "tombstone": tombstone,
    }


def write_units_per_tick(items: dict[str, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """Write units per tick on each path, from the items' sizes."""
    put = write_units(item_size(items["tick_without_id"]))
    put_id = write_units(item_size(items["tick"]))
    claim = write_units(item_size(items["claim"]))
    request_claim = write_units(item_size(items["request_claim"]))
    # The revision write sets no mark; it removes a stale one, so it is billed on the revised
    # item. Only a notification SNS did not accept costs more: the mark written (a write of
    # its own, on the item with the mark), then removed once the revision went out.
    update = write_units(item_size(items["revised"]))
    marked = write_units(item_size(items["unsent"]))
    # An event_id's claim, then its tick: two conditional PutItems (a failed one is billed too).
    claimed = claim + put_id
    tombstone = write_units(item_size(items["tombstone"]))
    # A takeover, one TransactWriteItems: the claim replaced, the new tick and (when the
    # claimed tick has another key) a tombstone, twice the units of each item.
    takeover = TRANSACTION_FACTOR * (claim + put_id + tombstone)
    refused = TRANSACTION_FACTOR * (claim + put_id)  # same key: no tombstone, fails on the tick
    return {
        "item_bytes": {name: item_size(item) for name, item in items.items()},
        "paths": {
            "tick with timestamp (common path)": put + update,
            "original body, no timestamp or event_id": request_claim + put + update,
            "tick with event_id (claim, then tick)": claimed + update,
            "redelivery (duplicate)": put,
            "replay of an original-body request": request_claim + put,
            "redelivery with event_id (duplicate)": claimed,
            # the claim's PutItem finds another digest; the takeover fails on the stored tick
            "event_id reused with other content (409)": claim + refused,
            # the claim's PutItem returns the claim; the tick's PutItem at the key it names
            "orphan claim completed (same content)": claimed,
            "orphan claim taken over (other content)": claim + takeover + update,
            # the first request's tick PutItem, in flight during a takeover, fails on the tombstone
            "tick write after a takeover (409)": claimed,
            "each follower a late tick changes": update,
            "notification SNS refused: unsent mark written": marked,
            "then sent: its unsent mark removed": marked,
        },
        "write_units_per_tick": put + update,
        "write_units_per_tick_original_body": request_claim + put + update,
        "write_units_per_tick_with_event_id": claimed + update,
        "unsent_mark_write_units_per_refused_notification": 2 * marked,
    }


def capacity_figures(envs: dict[str, dict[str, Any]], rates: tuple[float, ...]) -> dict[str, Any]:
    """Per env (``{"ttl_days": ..., "claim_days": ...}``): the sustained rate one series can take
    and storage at steady state."""
    units = write_units_per_tick(sample_items())
    stored = {
        "tick": units["item_bytes"]["enriched"] + ITEM_OVERHEAD_BYTES,
        "claim": units["item_bytes"]["claim"] + ITEM_OVERHEAD_BYTES,
    }
    from price_enricher.history import first_page  # on the path: sample_items() put it there

    out: dict[str, Any] = {
        **units,
        "stored_bytes_per_tick": stored,
        # A Query is billed on the full size of the items it reads (4 KB per consistent read
        # unit), whatever its projection: first_page(0) items beyond the batch's own ticks.
        "query": {"item_bytes": units["item_bytes"]["enriched"], "extra_items": first_page(0)},
        "legacy": {
            "item_bytes": units["item_bytes"]["legacy"],
            "stored_bytes": units["item_bytes"]["legacy"] + ITEM_OVERHEAD_BYTES,
        },
        "envs": {},
    }
    for env, settings in envs.items():
        ttl_s = settings["ttl_days"] * 86_400
        kept_days = settings["ttl_days"] or 365
        claim_share = min(1.0, settings.get("claim_days", kept_days) / kept_days)
        # With event_id (the larger footprint): the tick, and its claim for the claim's horizon.
        per_tick = stored["tick"] + stored["claim"] * claim_share
        out["envs"][env] = {
            "ttl_days": settings["ttl_days"],
            "stored_bytes_per_tick": round(per_tick, 1),
            "series_max_ticks_s": PARTITION_WRITE_UNITS_S / units["write_units_per_tick"],
            "series_max_ticks_s_with_event_id": PARTITION_WRITE_UNITS_S
            / units["write_units_per_tick_with_event_id"],
            "series_gb_at_reference_rate": REFERENCE_SERIES_RATE * ttl_s * per_tick / 1e9,
            "table_gb": {f"{rate:g}": rate * ttl_s * per_tick / 1e9 for rate in rates},
        }
    return out


def capacity_section(figures: dict[str, Any]) -> list[str]:
    """The report's lines: write units per path, then capacity and storage per env."""
    cap = figures.get("capacity")
    if not cap:
        return []
    lines = ["", "== write units and capacity (DynamoDB item-size rules, real items) =="]
    sizes = ", ".join(f"{name} {size} B" for name, size in cap["item_bytes"].items())
    lines.append(f"item sizes (attribute names and values): {sizes}")
    stored = cap["stored_bytes_per_tick"]
    lines.append(
        f"stored per item (+{ITEM_OVERHEAD_BYTES} B overhead): tick {stored['tick']} B, "
        f"claim {stored['claim']} B (kept its own horizon); before issue 20: "
        f"tick {cap['legacy']['stored_bytes']} B, claim kept with it"
    )
    for env, row in cap["envs"].items():
        lines.append(f"stored_bytes_per_tick {env}: {row['stored_bytes_per_tick']:g}")
    lines.append(f"{'path':<44} {'write units':>11}")
    for path, units in cap["paths"].items():
        lines.append(f"{path:<44} {units:>11}")
    lines.append(
        f"write_units_per_tick = {cap['write_units_per_tick']} "
        f"(original body {cap.get('write_units_per_tick_original_body', '?')}, "
        f"with event_id {cap['write_units_per_tick_with_event_id']}; no index writes)"
    )
    rates = list(next(iter(cap["envs"].values()))["table_gb"]) if cap["envs"] else []
    header = f"{'env':<8} {'TTL d':>6} {'series max ticks/s':>19} {'series GB @10/s':>16}"
    header += "".join(f" {'table GB @' + r + '/s':>17}" for r in rates)
    lines += ["", header]
    for env, row in cap["envs"].items():
        line = (
            f"{env:<8} {row['ttl_days']:>6} "
            f"{row['series_max_ticks_s']:>9.0f} ({row['series_max_ticks_s_with_event_id']:.0f} id)"
            f" {row['series_gb_at_reference_rate']:>16.1f}"
        )
        line += "".join(f" {gb:>17,.1f}" for gb in row["table_gb"].values())
        lines.append(line)
    lines += [
        "Past a series' rate its partition throttles writes: the webhook answers 503 and the feed",
        "retries; the enricher's UpdateItem retries, then its record is retried by the mapping.",
        "No per-series storage ceiling: without an LSI an item collection has no 10 GB limit.",
        "A faster series needs write sharding: pk SYMBOL#exchange#<n of N>, N Queries per batch.",
    ]
    return lines


def burst_seconds(target_utilization: float, factor: float) -> float | None:
    """Seconds a burst of ``factor`` x the steady rate is served by a table autoscaled at
    ``target_utilization`` % before it throttles (burst credit of BURST_CREDIT_S of the unused
    capacity, spent on the excess), or None when the provisioned capacity covers it."""
    used = target_utilization / 100
    excess = factor * used - 1  # above the provisioned capacity, per unit of it
    if excess <= 0:
        return None
    return BURST_CREDIT_S * (1 - used) / excess


def burst_figures(target_utilization: float) -> dict[str, Any]:
    return {
        "target_utilization": target_utilization,
        "seconds_before_throttling": {f"{f:g}": burst_seconds(target_utilization, f) for f in BURST_FACTORS},
        "scale_out_after_s": SCALE_OUT_AFTER_S,
    }


def burst_lines(burst: dict[str, Any]) -> list[str]:
    """What provisioned capacity guarantees in a burst (on demand: up to the table quota)."""
    if not burst:
        return []
    served = ", ".join(
        f"{factor}x: " + ("covered" if s is None else f"{s:.0f} s")
        for factor, s in burst["seconds_before_throttling"].items()
    )
    return [
        f"provisioned at {burst['target_utilization']:g} %: a burst of N x the steady rate is served before"
        f" throttling for ({served}); the scaler adds capacity after about {burst['scale_out_after_s']} s",
        "above the target. A throttled write loses nothing: the webhook answers 503 and the sender",
        "retries; the enricher's UpdateItem retries, then the event source mapping retries its record.",
    ]
