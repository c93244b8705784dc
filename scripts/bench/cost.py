"""Monthly AWS cost of one environment at a given tick rate, from public list prices.

Every line item is ``quantity x unit price`` with its formula spelled out, so a
user sees what a setting (memory, batch size, retention, alarms) costs. Prices
live in ``prices.yaml`` beside this file; the per-tick work (AWS calls, request
units, durations) comes from the benchmark's measurements or the defaults below.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PRICES_PATH = Path(__file__).with_name("prices.yaml")


@dataclass(frozen=True)
class Settings:
    """What an environment sets that moves the bill (from config/<env>.yaml)."""

    webhook_memory_mb: int = 256
    enricher_memory_mb: int = 256
    batch_size: int = 10
    alarms: int = 3
    log_retention_days: int = 30
    pitr: bool = True


@dataclass(frozen=True)
class PerTick:
    """Work per tick, measured by the benchmark (defaults: the design's floor)."""

    webhook_ms: float = 15.0  # billed duration of one webhook invocation
    enricher_ms_per_batch: float = 60.0  # billed duration of one full enricher batch
    write_units: float = 3.0  # PutItem (item + LSI) + enricher UpdateItem
    read_units_per_batch: float = 1.0  # one consistent Query per series, <= 4 KB
    series_per_batch: float = 1.0
    notification_bytes: int = 400
    item_bytes: int = 300
    log_bytes: int = 600  # structured log lines per tick, both functions


@dataclass(frozen=True)
class LineItem:
    name: str
    quantity: float
    unit: str
    unit_price: float
    formula: str

    @property
    def monthly(self) -> float:
        return self.quantity * self.unit_price


@dataclass
class Estimate:
    ticks_per_second: float
    items: list[LineItem] = field(default_factory=list)

    @property
    def total(self) -> float:
        return sum(item.monthly for item in self.items)


def load_prices(path: Path = PRICES_PATH) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def estimate(
    ticks_per_second: float,
    settings: Settings,
    per_tick: PerTick | None = None,
    prices: dict[str, Any] | None = None,
) -> Estimate:
    """Monthly cost of the pipeline at a steady tick rate."""
    p = prices or load_prices()
    w = per_tick or PerTick()
    month = p["seconds_per_month"]
    ticks = ticks_per_second * month
    batches = ticks / settings.batch_size
    lam, ddb = p["lambda"], p["dynamodb_on_demand"]
    est = Estimate(ticks_per_second)
    add = est.items.append

    gb_s = (
        ticks * w.webhook_ms / 1000 * settings.webhook_memory_mb / 1024
        + batches * w.enricher_ms_per_batch / 1000 * settings.enricher_memory_mb / 1024
    )
    add(
        LineItem(
            "Lambda compute (arm64)",
            gb_s,
            "GB-s",
            lam["arm64_gb_second"],
            f"ticks x {w.webhook_ms} ms x {settings.webhook_memory_mb} MB + "
            f"ticks/{settings.batch_size} x {w.enricher_ms_per_batch} ms x {settings.enricher_memory_mb} MB",
        )
    )
    add(
        LineItem(
            "Lambda requests",
            (ticks + batches) / 1e6,
            "M requests",
            lam["requests_per_million"],
            f"ticks (webhook) + ticks/{settings.batch_size} (enricher batches)",
        )
    )
    add(
        LineItem(
            "DynamoDB writes",
            ticks * w.write_units / 1e6,
            "M WRU",
            ddb["write_request_units_per_million"],
            f"ticks x {w.write_units} WRU (PutItem + LSI entry + UpdateItem)",
        )
    )
    add(
        LineItem(
            "DynamoDB reads",
            batches * w.series_per_batch * w.read_units_per_batch / 1e6,
            "M RRU",
            ddb["read_request_units_per_million"],
            f"batches x {w.series_per_batch} series x {w.read_units_per_batch} RRU (consistent Query)",
        )
    )
    stored_gb = ticks * w.item_bytes / 1e9  # one month of ticks, no TTL
    add(LineItem("DynamoDB storage", stored_gb, "GB-month", ddb["storage_gb_month"], "ticks x item bytes"))
    if settings.pitr:
        add(LineItem("DynamoDB PITR", stored_gb, "GB-month", ddb["pitr_gb_month"], "table size"))
    add(
        LineItem(
            "DynamoDB Streams",
            batches / 1e6,
            "M GetRecords",
            ddb["streams_read_by_lambda"],
            "free for Lambda",
        )
    )
    calls_per_batch = math.ceil(settings.batch_size / 10)
    chunks_per_call = math.ceil(min(settings.batch_size, 10) * w.notification_bytes / 65536)
    publish_requests = batches * calls_per_batch * chunks_per_call
    add(
        LineItem(
            "SNS publish",
            publish_requests / 1e6,
            "M requests",
            p["sns"]["publish_requests_per_million"],
            "PublishBatch calls x 64 KB chunks (<= 10 messages per call)",
        )
    )
    log_gb = ticks * w.log_bytes / 1e9
    add(
        LineItem(
            "CloudWatch Logs ingestion",
            log_gb,
            "GB",
            p["cloudwatch"]["logs_ingestion_gb"],
            "ticks x log bytes",
        )
    )
    retained_gb = log_gb * min(settings.log_retention_days, 30.4375) / 30.4375
    add(
        LineItem(
            "CloudWatch Logs storage",
            retained_gb,
            "GB-month",
            p["cloudwatch"]["logs_storage_gb_month"],
            f"logs kept {settings.log_retention_days} days",
        )
    )
    add(LineItem("CloudWatch alarms", settings.alarms, "alarms", p["cloudwatch"]["alarm_month"], "per alarm"))
    add(LineItem("KMS key", 1, "keys", p["kms"]["key_month"], "one customer-managed key"))
    # Services with a CMK cache data keys (DynamoDB, SNS: minutes); Lambda decrypts
    # its environment once per cold start. A few thousand requests a month.
    add(
        LineItem(
            "KMS requests", 0.5, "10k requests", p["kms"]["requests_per_10k"], "data-key reuse, cold starts"
        )
    )
    add(
        LineItem(
            "Secrets Manager", 1, "secrets", p["secrets_manager"]["secret_month"], "webhook signing secret"
        )
    )
    return est


def format_estimate(env: str, est: Estimate) -> str:
    lines = [f"{env} at {est.ticks_per_second:g} ticks/s: ${est.total:,.2f} / month"]
    for item in est.items:
        lines.append(
            f"  {item.name:<28} {item.quantity:>14,.4f} {item.unit:<13} x ${item.unit_price:<12g}"
            f" = ${item.monthly:>11,.2f}   [{item.formula}]"
        )
    return "\n".join(lines)
