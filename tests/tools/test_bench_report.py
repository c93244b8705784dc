"""make bench: percentiles only with enough samples, human tables, an open-loop load generator."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from scripts.bench import report
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
