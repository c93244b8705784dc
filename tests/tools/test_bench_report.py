"""make bench: percentiles only with enough samples, human tables, an open-loop load generator."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from scripts.bench import cost, inprocess, report, static
from scripts.bench.loadgen import LoadGenerator
from scripts.bench.stats import describe, min_samples, summary

OLD_BENCH = Path(__file__).resolve().parent / "bench_figures.json"


def test_percentiles_need_enough_samples() -> None:
    assert (min_samples(50), min_samples(90), min_samples(99)) == (2, 10, 100)
    ten = summary([float(i) for i in range(1, 11)])
    assert ten == {"n": 10, "p50": 5.0, "p90": 9.0, "p99": None, "max": 10.0}
    hundred = summary([float(i) for i in range(1, 101)])
    assert (hundred["p50"], hundred["p90"], hundred["p99"], hundred["max"]) == (50.0, 90.0, 99.0, 100.0)
    assert summary([7.0]) == {"n": 1, "p50": None, "p90": None, "p99": None, "max": 7.0}


def test_describe_says_n_and_max_when_too_few() -> None:
    assert describe(summary([float(i) for i in range(1, 11)])) == "p50 5 ms (max 10, n=10) (too few for p99)"
    assert describe(summary([3.0])) == "n=1, max 3 ms (too few for p50/p99)"


def test_table_aligns_columns() -> None:
    table = report.Table(["case", "p50 ms", "n"])
    table.add("webhook", 1.25, 1000)
    table.add("redelivery, a long name", None, 10)
    assert table.render() == [
        "case                     p50 ms      n",
        "-----------------------  ------  -----",
        "webhook                    1.25  1,000",
        "redelivery, a long name       -     10",
    ]


def test_report_has_no_raw_dicts_and_no_p99_of_few_samples() -> None:
    figures = json.loads(OLD_BENCH.read_text())
    text = report.render(figures)
    assert "{'" not in text, text
    assert '{"' not in text, text
    for section in report.SECTIONS:
        shown = section(figures)
        assert shown is None or isinstance(shown, report.Section), section
    # figures of the earlier bench, whose p99 of the enricher's 10 batches was their maximum:
    # the report leaves that p99 out and shows the max and n
    assert figures["enricher"]["1_series"]["batch_latency_ms"]["n"] == 10
    (row,) = [line for line in text.splitlines() if line.startswith("enricher batch, 1 series")]
    p50, p90, p99, largest, n = row.split()[-5:]
    assert (p99, n) == ("-", "10"), row
    assert "-" not in (p50, p90, largest), row


def test_a_section_is_a_function_returning_rows() -> None:
    def extra(figures: dict) -> report.Section:
        table = report.Table(["what", "value"])
        table.add("answer", 42)
        return report.Section("(g) extra", [table])

    text = report.render({}, [extra])
    assert text.splitlines() == ["== (g) extra ==", "what    value", "------  -----", "answer     42"]


class _Slow(BaseHTTPRequestHandler):
    """Answers each POST after 100 ms, one at a time."""

    lock = threading.Lock()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        with self.lock:
            time.sleep(0.1)
        body = b'{"status": "stored"}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def slow_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_latency_is_measured_from_the_schedule(slow_server: str) -> None:
    """10 ticks scheduled 20 ms apart on a server that needs 100 ms each: the server falls
    behind, and the last tick waits about 10 x 100 - 9 x 20 = 820 ms after it was due. Timed
    from the send, every tick would look like 100 ms."""
    generator = LoadGenerator(
        slow_server, "k", count=10, rate=50, concurrency=1, tag="t", series=1, max_seconds=30
    )
    result = generator.run()
    assert result["statuses"] == {"stored": 10}
    assert result["latency_from"] == "schedule"
    assert max(generator.latencies_ms) >= 500  # the queueing delay is in the latency
    assert max(generator.send_lag_ms) >= 400  # and sends lagged their schedule
    latencies = generator.latencies_ms
    assert latencies[-1] > latencies[0]


def test_a_section_written_as_lines_keeps_its_title() -> None:
    def lines(figures: dict) -> list[str]:
        return ["", "== (h) as lines ==", "one line"] if figures else []

    section = report.from_lines(lines)
    assert report.render({"x": 1}, [section]) == "== (h) as lines ==\none line"
    assert report.render({}, [section]) == ""


def test_ingest_section_shows_invocations_and_write_units_per_tick_of_each_kind() -> None:
    case = {
        "new": {"invocations_per_tick": 0.01, "write_units_per_tick": 4, "outcomes": {"stored": 100}},
        "redelivered": {
            "invocations_per_tick": 0.01,
            "write_units_per_tick": 4,
            "outcomes": {"duplicate": 100},
        },
    }
    figures = {"ingest": {"mode": "in-process", "batch_size": 100, "batch event_id": case, "rows": 100}}
    text = report.render(figures, [report.ingest_section])
    assert "== ingest: webhook write units and Lambda invocations per tick" in text
    [row] = [line for line in text.splitlines() if line.startswith("batch event_id")]
    assert row.split()[2:5] == ["0.01", "4", "4"]
    assert report.render({}, [report.ingest_section]) == ""


# --- the cost model -------------------------------------------------------------------------


def _prod(**changes: object) -> cost.Settings:
    base = cost.Settings(tick_ttl_days=365, log_retention_days=365, batch_size=100)
    return dataclasses.replace(base, **changes)


def _item(est: cost.Estimate, prefix: str) -> cost.LineItem:
    (item,) = [i for i in est.items if i.name.startswith(prefix)]
    return item


def test_every_cost_line_says_measured_or_documented() -> None:
    est = cost.estimate(100.0, _prod(), cost.PerTick(source="measured"))
    assert est.items
    for item in est.items:
        assert item.source.startswith(("measured", "documented")), item


def test_xray_follows_lambdas_sampling_and_passthrough_records_nothing() -> None:
    assert cost.traced_per_second(0.5) == 0.5
    assert cost.traced_per_second(1000.0) == pytest.approx(1 + 0.05 * 999)
    month = cost.load_prices()["seconds_per_month"]
    active = _item(cost.estimate(1000.0, _prod(tracing_mode="Active")), "X-Ray")
    # webhook: 1 + 5 % of 999 a second; enricher: 10 batches a second (batch 100): 1 + 5 % of 9
    assert active.quantity == pytest.approx((50.95 + 1.45) * month / 1e6)
    assert _item(cost.estimate(1000.0, _prod(tracing_mode="PassThrough")), "X-Ray").monthly == 0


def test_log_bytes_count_platform_lines_sampling_and_event_overhead() -> None:
    work = cost.PerTick(success_line_bytes=400, webhook_emf_bytes=200, enricher_log_bytes=1000,
                        enricher_log_events=2)  # fmt: skip
    plain = _prod(tracing_mode="PassThrough")
    # per invocation: START 72 + END 51 + REPORT 135 and 3 x 26 B; batch of 10
    platform = 72 + 51 + 135 + 3 * 26
    expected = (400 + 26) + (200 + 26) + platform + (1000 + 2 * 26 + platform) / 10
    assert work.log_bytes(plain, 10) == pytest.approx(expected)
    sampled = dataclasses.replace(plain, success_log_every=100)
    assert work.log_bytes(plain, 10) - work.log_bytes(sampled, 10) == pytest.approx(426 * 0.99)
    quiet = dataclasses.replace(plain, system_log_level="WARN")
    assert work.log_bytes(plain, 10) - work.log_bytes(quiet, 10) == pytest.approx(platform * 1.1)
    traced = dataclasses.replace(plain, tracing_mode="Active")
    assert work.log_bytes(traced, 10) - work.log_bytes(plain, 10) == pytest.approx(90 * 1.1)


def test_storage_holds_a_claim_for_its_horizon_only() -> None:
    work = cost.PerTick(item_bytes=300, claim_bytes=280, puts_per_tick=2)
    assert work.stored_bytes(_prod(claim_ttl_days=0)) == 580
    assert work.stored_bytes(_prod(claim_ttl_days=73)) == pytest.approx(300 + 280 / 5)
    assert cost.PerTick(item_bytes=300, puts_per_tick=1).stored_bytes(_prod(claim_ttl_days=7)) == 300


def test_table_class_prices_storage_and_requests() -> None:
    standard = cost.estimate(10.0, _prod(table_class="STANDARD"))
    ia = cost.estimate(10.0, _prod(table_class="STANDARD_INFREQUENT_ACCESS"))
    assert _item(ia, "DynamoDB storage").unit_price == 0.10
    assert _item(standard, "DynamoDB storage").unit_price == 0.25
    assert _item(ia, "DynamoDB writes").unit_price == 0.78125  # 25 % above Standard's 0.625
    assert _item(ia, "DynamoDB PITR").monthly == _item(standard, "DynamoDB PITR").monthly


def test_log_lines_are_split_into_application_lines_and_emf_documents() -> None:
    emf = {"_aws": {"Timestamp": 1, "CloudWatchMetrics": [
        {"Namespace": "N", "Dimensions": [[]], "Metrics": [{"Name": "TicksStored", "Unit": "Count"}]}]},
        "TicksStored": [1.0]}  # fmt: skip
    app = '{"level":"INFO","message":"Tick accepted"}'
    lines = [app, json.dumps(emf, separators=(",", ":"))] * 2
    figures = inprocess.log_figures(lines, 2)
    assert figures["app_bytes"] == len(app) + 1
    assert figures["emf_bytes"] == len(lines[1]) + 1
    assert (figures["app_events"], figures["emf_events"]) == (1, 1)
    assert figures["metrics"] == ["N/TicksStored[]"]


def test_custom_metrics_are_counted_in_the_handlers_source() -> None:
    found = static.custom_metrics()
    assert {"TicksStored", "TicksRejected", "TicksEnriched", "RecordsFailed"} <= set(found)
    assert {"ColdStart[webhook_processor]", "ColdStart[price_enricher]"} <= set(found)


def test_the_report_prices_prod_before_and_after_side_by_side() -> None:
    figures = json.loads(OLD_BENCH.read_text())
    figures["cost"] = report.cost_figures(figures, ["prod"], (10.0, 1000.0), 10)
    prod = figures["cost"]["envs"]["prod"]
    for rate in ("10.0", "1000.0"):
        assert prod["per_million_ticks"][rate] < prod["before_issue_20_per_million_ticks"][rate]
    text = report.render(figures)
    assert "$/M ticks before" in text
    assert "table class" in text
    assert "X-Ray" in text


def test_provisioned_capacity_is_sized_from_the_rate_over_the_target_and_the_minimum() -> None:
    hours = 2629800 / 3600  # 730.5 hours in the model's month
    work = cost.PerTick(puts_per_tick=2, webhook_write_units=2, updates_per_tick=1)  # 3 write units a tick
    scaled = _prod(
        capacity_mode="provisioned",
        table_class="STANDARD",
        write_min=50,
        write_max=10000,
        target_utilization=70,
    )
    writes = _item(cost.estimate(1000.0, scaled, work), "DynamoDB write capacity")
    # 3,000 WCU/s consumed at 70 %: 4,285.7, rounded up to 4,286 units, at $0.00065 an hour.
    assert writes.quantity == pytest.approx(4286 * hours)
    assert writes.monthly == pytest.approx(4286 * hours * 0.00065)
    # 10 ticks/s: 30 / 0.7 = 42.9 -> 43 units, below the autoscaling minimum of 50.
    assert _item(cost.estimate(10.0, scaled, work), "DynamoDB write capacity").quantity == pytest.approx(
        50 * hours
    )
    ia = dataclasses.replace(scaled, table_class="STANDARD_INFREQUENT_ACCESS")
    assert _item(cost.estimate(1000.0, ia, work), "DynamoDB write capacity").unit_price == 0.00081
    # Past the maximum the table is billed at the maximum and throttles the rest; the line says so.
    capped = _item(cost.estimate(1000.0, dataclasses.replace(scaled, write_max=4000), work), "DynamoDB write")
    assert capped.quantity == pytest.approx(4000 * hours)
    assert "throttled" in capped.formula
    # No on-demand request lines on a provisioned table.
    assert not [i for i in cost.estimate(1000.0, scaled, work).items if i.name.startswith("DynamoDB writes")]


def test_write_units_per_tick_is_an_input_for_another_handler_version() -> None:
    work = cost.PerTick(puts_per_tick=2, webhook_write_units=2, updates_per_tick=1, write_units_input=4.0)
    on_demand = _item(cost.estimate(100.0, _prod(table_class="STANDARD"), work), "DynamoDB writes")
    assert on_demand.quantity == pytest.approx(100 * 2629800 * 4 / 1e6)
    scaled = _prod(capacity_mode="provisioned", write_min=50, write_max=10000, target_utilization=70)
    # 4,000 WCU/s at 70 %: 5,714.3 -> 5,715 units.
    assert _item(cost.estimate(1000.0, scaled, work), "DynamoDB write capacity").quantity == pytest.approx(
        5715 * 2629800 / 3600
    )
    assert work.legacy().write_units == 3  # before issue 20: the calls the handlers made


def test_on_demand_costs_about_2_4_times_provisioned_per_write_at_70_percent() -> None:
    # On demand: $0.625 per million writes. Provisioned at 70 %: a WCU-hour ($0.00065) buys
    # 3,600 x 0.7 = 2,520 writes: $0.258 per million. The choice names provisioned at 1,000/s.
    work = cost.PerTick(puts_per_tick=2, webhook_write_units=2, updates_per_tick=1)
    scaled = _prod(capacity_mode="provisioned", table_class="STANDARD", write_min=50, write_max=10000)
    on_demand = dataclasses.replace(scaled, capacity_mode="on_demand")
    a = _item(cost.estimate(1000.0, on_demand, work), "DynamoDB writes").monthly
    b = _item(cost.estimate(1000.0, scaled, work), "DynamoDB write capacity").monthly
    # a = 3,000 writes/s x $0.625/M; b = 4,286 WCU x $0.00065/h: 6.75 / 2.7859 per hour = 2.42.
    assert a / b == pytest.approx((3000 * 3600 * 0.625 / 1e6) / (4286 * 0.00065), rel=1e-9)
    assert 2.4 < a / b < 2.45
    (row,) = [r for r in report.choices(scaled, work, (1000.0,)) if r["choice"] == "table capacity"]
    assert row["cheaper"] == ["provisioned, autoscaled at 70 %"]
    # With a maximum below the 4,286 units 1,000 ticks/s needs, the cheaper option throttles.
    capped = dataclasses.replace(scaled, write_max=4000)
    (row,) = [r for r in report.choices(capped, work, (1000.0,)) if r["choice"] == "table capacity"]
    assert row["cheaper"] == ["provisioned, autoscaled at 70 % (throttles)"]


def test_prod_reads_its_table_capacity_from_config() -> None:
    prod = cost.Settings.from_config("prod")
    assert prod.capacity_mode == "provisioned"
    assert (prod.write_min, prod.write_max, prod.read_min, prod.read_max) == (50, 10000, 5, 2000)
    assert prod.target_utilization == 70
    assert prod.before_issue_20().capacity_mode == "on_demand"
    assert cost.Settings.from_config("dev").capacity_mode == "on_demand"  # the module default
