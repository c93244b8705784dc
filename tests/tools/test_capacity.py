"""The bench's capacity model: DynamoDB item-size rules and write units per tick.

The unsent mark (issue 17) is written only for a notification SNS refused: 2 units per tick.
"""

from __future__ import annotations

import pytest

from scripts.bench import capacity, cost


@pytest.mark.parametrize(
    ("name", "value", "size"),
    [
        ("pk", {"S": "BTC-USD#binance"}, 2 + 15),
        ("symbol", {"S": "€"}, 6 + 3),  # UTF-8 bytes, not characters
        ("price", {"N": "65012.34"}, 5 + 1 + 4),  # 7 significant digits: 1 + ceil(7 / 2)
        ("volume", {"N": "0.500"}, 6 + 1 + 1),  # trailing zeros do not count
        ("ts", {"N": "1714564800123"}, 2 + 1 + 7),
    ],
)
def test_attribute_size_follows_dynamodb_rules(name: str, value: dict[str, str], size: int) -> None:
    assert capacity.attribute_size(name, value) == size


@pytest.mark.parametrize(("size", "units"), [(1, 1), (1024, 1), (1025, 2), (4096, 4)])
def test_a_write_costs_one_unit_per_started_kilobyte(size: int, units: int) -> None:
    assert capacity.write_units(size) == units


def test_write_units_of_each_sender_kind() -> None:
    figures = capacity.write_units_per_tick(capacity.sample_items())
    assert max(figures["item_bytes"].values()) < 1024  # every write of the paths is one unit
    assert figures["item_bytes"]["unsent"] == figures["item_bytes"]["revised"] + len("unsent") + 2
    # PutItem + UpdateItem (the revision, no mark)
    assert figures["write_units_per_tick"] == 2
    assert figures["paths"]["each follower a late tick changes"] == 1
    # only on failure: the mark written when SNS refused the message, removed once it went out
    assert figures["paths"]["notification SNS refused: unsent mark written"] == 1
    assert figures["paths"]["then sent: its unsent mark removed"] == 1
    assert figures["unsent_mark_write_units_per_refused_notification"] == 2
    assert figures["write_units_per_tick_original_body"] == 3  # + the request claim
    # the claim's PutItem, then the tick's (1 unit each), + the UpdateItem
    assert figures["write_units_per_tick_with_event_id"] == 1 + 1 + 1
    paths = figures["paths"]
    assert paths["redelivery with event_id (duplicate)"] == 2  # both conditional PutItems fail
    assert paths["orphan claim completed (same content)"] == 2
    # the claim's PutItem, then a transaction of three 1-unit items at 2 units each, + the update
    assert paths["orphan claim taken over (other content)"] == 1 + 3 * 2 + 1
    assert paths["event_id reused with other content (409)"] == 1 + 2 * 2  # claim + tick, no tombstone
    assert figures["item_bytes"]["tombstone"] < figures["item_bytes"]["claim"]


def test_capacity_per_env_follows_the_partition_limit_and_the_ttl() -> None:
    figures = capacity.capacity_figures({"prod": {"ttl_days": 365}}, (10.0,))
    prod = figures["envs"]["prod"]
    assert prod["series_max_ticks_s"] == 1000 / 2
    stored = figures["stored_bytes_per_tick"]["tick"] + figures["stored_bytes_per_tick"]["claim"]
    assert prod["table_gb"]["10"] == pytest.approx(10 * 365 * 86_400 * stored / 1e9)


def test_a_query_is_billed_on_the_full_items_it_reads() -> None:
    per_tick = cost.PerTick(query_item_bytes=330, query_extra_items=40)
    assert per_tick.read_units_per_query(10) == 5  # 50 items x 330 B = 16,500 B: 4.03 units of 4 KB
    assert per_tick.read_units_per_query(2) == 4  # 42 x 330 = 13,860 B
    figures = capacity.capacity_figures({}, ())
    assert figures["query"]["extra_items"] == 40  # the enricher's first page: 2 x 20-tick window


def test_the_lean_tick_drops_exactly_what_its_keys_hold() -> None:
    items = capacity.sample_items()
    assert not {"symbol", "exchange", "ts", "event_id"} & set(items["enriched"])
    # Written out: ts 2 + (1 + 7), symbol 6 + 7, exchange 8 + 7, event_id 8 + 24.
    sizes = {name: capacity.item_size(item) for name, item in items.items()}
    assert sizes["legacy"] - sizes["enriched"] == 10 + 13 + 15 + 32


def test_prod_stores_at_most_350_bytes_per_tick_with_claims_on_their_own_horizon() -> None:
    figures = capacity.capacity_figures({"prod": {"ttl_days": 365, "claim_days": 7}}, (10.0,))
    stored = figures["stored_bytes_per_tick"]
    prod = figures["envs"]["prod"]
    assert prod["stored_bytes_per_tick"] == pytest.approx(stored["tick"] + stored["claim"] * 7 / 365, abs=0.1)
    assert prod["stored_bytes_per_tick"] <= 350
    kept_with_tick = capacity.capacity_figures({"prod": {"ttl_days": 365}}, (10.0,))["envs"]["prod"]
    assert kept_with_tick["stored_bytes_per_tick"] == stored["tick"] + stored["claim"]


def test_a_burst_spends_300_s_of_unused_capacity_before_it_throttles() -> None:
    # At 70 %, 30 % of the capacity is banked for 300 s: 90 capacity-seconds per unit. A burst of
    # 2x consumes 140 % of the capacity, 40 % above it: the bank lasts 90 / 0.4 = 225 s.
    assert capacity.burst_seconds(70, 2.0) == pytest.approx(225)
    assert capacity.burst_seconds(70, 3.0) == pytest.approx(90 / 1.1)
    # At 50 %, a burst of 2x fits in the provisioned capacity itself.
    assert capacity.burst_seconds(50, 2.0) is None
    assert capacity.burst_seconds(90, 1.2) == pytest.approx(30 / 0.08)


def test_the_burst_lines_say_nothing_is_lost() -> None:
    text = "\n".join(capacity.burst_lines(capacity.burst_figures(70)))
    assert "2x: 225 s" in text
    assert "503" in text
    assert "event source mapping retries" in text
