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

from scripts.tfvariables import default_of, read_variables

PRICES_PATH = Path(__file__).with_name("prices.yaml")
CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
#: Alarms modules/pipeline creates when alarms are enabled: webhook errors, throttles and 5xx
#: (3); enricher errors, throttles, iterator age, on-failure depth and age (5); records
#: failed, table write throttles, stalled mapping (3).
ALARMS_WHEN_ENABLED = 11


@dataclass(frozen=True)
class Settings:
    """What an environment sets that moves the bill (from config/<env>.yaml)."""

    webhook_memory_mb: int = 256
    enricher_memory_mb: int = 256
    batch_size: int = 10
    batching_window_s: float = 1.0
    alarms: int = ALARMS_WHEN_ENABLED
    log_retention_days: int = 30
    pitr: bool = True
    tick_ttl_days: int = 365  # 0: no TTL (the model then holds one year of ticks)

    @classmethod
    def from_config(cls, env: str, config_dir: Path = CONFIG_DIR) -> Settings:
        """The settings of ``config/<env>.yaml``; what it leaves out, the pipeline module's default."""
        config = yaml.safe_load((config_dir / f"{env}.yaml").read_text())
        webhook, enricher = config.get("webhook") or {}, config.get("enricher") or {}
        variables = read_variables()

        def setting(section: dict[str, Any], variable: str, attribute: str = "") -> Any:
            value = section.get(attribute or variable)
            return value if value is not None else default_of(variables[variable], attribute)

        return cls(
            webhook_memory_mb=int(setting(webhook, "webhook", "memory_size")),
            enricher_memory_mb=int(setting(enricher, "enricher", "memory_size")),
            batch_size=int(setting(enricher, "enricher", "batch_size")),
            batching_window_s=float(setting(enricher, "enricher", "maximum_batching_window_in_seconds")),
            alarms=ALARMS_WHEN_ENABLED if setting(config.get("alarms") or {}, "alarms", "enabled") else 0,
            log_retention_days=int(setting(config, "log_retention_days")),
            tick_ttl_days=int(setting(config, "tick_ttl_days")),
            pitr=True,  # modules/pipeline turns point-in-time recovery on in every environment
        )

    def effective_batch(self, ticks_per_second: float) -> float:
        """Records per enricher batch: full, or what arrives in one batching window (one shard)."""
        return min(float(self.batch_size), max(1.0, ticks_per_second * self.batching_window_s))


@dataclass(frozen=True)
class PerTick:
    """Work per tick, measured by the benchmark (defaults: the design's floor)."""

    webhook_ms: float = 15.0  # billed duration of one webhook invocation
    enricher_ms_per_record: float = 6.0  # billed duration of an enricher batch, per record
    puts_per_tick: float = 1.0  # items the webhook writes per accepted tick (the tick, and its claim)
    webhook_write_units: float = 1.0  # WRU of those writes (a transaction's items count twice)
    updates_per_tick: float = (
        2.0  # enricher UpdateItem calls per tick (floor 2: revision, unsent mark removed)
    )
    queries_per_series: float = 1.0  # enricher Query calls per series and batch (floor 1)
    series_per_batch: float = 10.0  # distinct series in a batch (at most the batch size)
    query_item_bytes: int = 330  # an enriched tick, as a Query reads it
    query_extra_items: int = 40  # items a Query reads beyond the batch's ticks of the series
    notification_bytes: int = 400
    item_bytes: int = 430  # enriched tick as stored (with the 100 B per-item overhead)
    claim_bytes: int = 282  # event-id claim as stored, when the tick has an event_id
    log_bytes: int = 600  # structured log lines per tick, both functions
    source: str = "design floor"

    @property
    def write_units(self) -> float:
        """WRU per tick: the webhook's writes and the enricher's UpdateItem (under 1 KB); no index."""
        return self.webhook_write_units + self.updates_per_tick

    @property
    def stored_bytes(self) -> float:
        """Table bytes per tick: the tick, and its claim when the webhook wrote one (2 puts)."""
        return self.item_bytes + max(0.0, self.puts_per_tick - 1) * self.claim_bytes

    def read_units_per_query(self, ticks_in_batch: float) -> int:
        """Consistent read units of one Query: the items it reads, 4 KB a unit, rounded up."""
        return max(1, math.ceil((ticks_in_batch + self.query_extra_items) * self.query_item_bytes / 4096))

    @classmethod
    def from_bench(
        cls, figures: dict[str, Any], series_per_batch: float = 10.0, prices: dict[str, Any] | None = None
    ) -> PerTick:
        """Work per tick from ``make bench``: calls counted in (a), handler time in (b).

        Billed duration = the handler's own time (measured in-process, moto's time in the
        calls subtracted) + calls x the typical in-region latency of prices.yaml.
        """
        latency = (prices or load_prices()).get("call_latency_ms", {})
        ddb_ms, sns_ms = float(latency.get("dynamodb", 6)), float(latency.get("sns", 20))
        webhook = figures.get("webhook") or {}
        enricher = figures.get("enricher") or {}
        values: dict[str, Any] = {"series_per_batch": series_per_batch, "source": "measured"}
        capacity = figures.get("capacity")
        if capacity:  # item sizes as make bench computed them from real items
            values["item_bytes"] = capacity["stored_bytes_per_tick"]["tick"]
            values["claim_bytes"] = capacity["stored_bytes_per_tick"]["claim"]
            values["query_item_bytes"] = capacity["query"]["item_bytes"]
            values["query_extra_items"] = capacity["query"]["extra_items"]
        if webhook.get("own_ms", {}).get("p50") is not None:
            calls = webhook["calls_per_tick"]
            puts, transactions = (
                calls.get("dynamodb:PutItem", 0.0),
                calls.get("dynamodb:TransactWriteItems", 0.0),
            )
            values["puts_per_tick"] = (puts + 2 * transactions) or 1.0  # a transaction: claim + tick
            values["webhook_write_units"] = webhook.get("write_units_per_tick", values["puts_per_tick"])
            # billed per 1 ms
            values["webhook_ms"] = math.ceil(webhook["own_ms"]["p50"] + (puts + transactions) * ddb_ms)
        scenario = enricher.get(f"{int(series_per_batch)}_series")
        if scenario:
            per_tick = scenario["calls_per_tick"]
            values["updates_per_tick"] = per_tick.get("dynamodb:UpdateItem", 2.0)
            values["queries_per_series"] = (
                scenario["calls_per_batch"].get("dynamodb:Query", series_per_batch) / series_per_batch
            )
            ddb_calls = per_tick.get("dynamodb:UpdateItem", 0) + per_tick.get("dynamodb:Query", 0)
            values["enricher_ms_per_record"] = round(
                scenario["own_batch_ms"]["p50"] / enricher.get("batch_size", 10)
                + ddb_calls * ddb_ms
                + per_tick.get("sns:PublishBatch", 0) * sns_ms,
                2,
            )
        return cls(**values)


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
    batch = settings.effective_batch(ticks_per_second)
    batches = ticks / batch
    series = min(w.series_per_batch, batch)
    lam, ddb = p["lambda"], p["dynamodb_on_demand"]
    est = Estimate(ticks_per_second)
    add = est.items.append

    gb_s = (
        ticks * w.webhook_ms / 1000 * settings.webhook_memory_mb / 1024
        + ticks * w.enricher_ms_per_record / 1000 * settings.enricher_memory_mb / 1024
    )
    add(
        LineItem(
            "Lambda compute (arm64)",
            gb_s,
            "GB-s",
            lam["arm64_gb_second"],
            f"ticks x ({w.webhook_ms:g} ms x {settings.webhook_memory_mb} MB"
            f" + {w.enricher_ms_per_record:g} ms x {settings.enricher_memory_mb} MB)",
        )
    )
    add(
        LineItem(
            "Lambda requests",
            (ticks + batches) / 1e6,
            "M requests",
            lam["requests_per_million"],
            f"ticks + ticks/{batch:g} "
            f"(batch = min({settings.batch_size}, rate x {settings.batching_window_s:g} s window))",
        )
    )
    add(
        LineItem(
            "DynamoDB writes",
            ticks * w.write_units / 1e6,
            "M WRU",
            ddb["write_request_units_per_million"],
            f"ticks x {w.write_units:g} WRU "
            f"({w.webhook_write_units:g} webhook + {w.updates_per_tick:g} UpdateItem, no index)",
        )
    )
    add(
        LineItem(
            "DynamoDB reads",
            batches * series * w.queries_per_series * w.read_units_per_query(batch / series) / 1e6,
            "M RRU",
            ddb["read_request_units_per_million"],
            f"batches x {series:g} series x {w.queries_per_series:g} Query x "
            f"{w.read_units_per_query(batch / series):g} RRU ({batch / series:g} + {w.query_extra_items}"
            f" items of {w.query_item_bytes} B, 4 KB a unit)",
        )
    )
    # Steady state: the table holds the ticks of the last TTL, every month.
    kept_days = settings.tick_ttl_days or 365
    stored_gb = ticks_per_second * kept_days * 86_400 * w.stored_bytes / 1e9
    kept = f"{settings.tick_ttl_days} d TTL" if settings.tick_ttl_days else "no TTL: one year shown"
    add(
        LineItem(
            "DynamoDB storage",
            stored_gb,
            "GB-month",
            ddb["storage_gb_month"],
            f"rate x {kept} x {w.stored_bytes:g} B (tick + claim, per-item overhead)",
        )
    )
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
    calls_per_batch = math.ceil(batch / 10)
    chunks_per_call = math.ceil(min(batch, 10) * w.notification_bytes / 65536)
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
    retained_gb = log_gb * settings.log_retention_days / 30.4375  # steady state over the retention
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
    add(
        LineItem(
            "CloudWatch dashboard", 1, "dashboards", p["cloudwatch"]["dashboard_month"], "the pipeline's"
        )
    )
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


def per_million_ticks(est: Estimate, prices: dict[str, Any] | None = None) -> float:
    """Dollars per million ticks at the estimate's rate (the month's bill over its ticks)."""
    month = (prices or load_prices())["seconds_per_month"]
    return est.total / (est.ticks_per_second * month / 1e6)


def format_estimate(env: str, est: Estimate) -> str:
    lines = [
        f"{env} at {est.ticks_per_second:g} ticks/s: ${est.total:,.2f} / month"
        f" (${per_million_ticks(est):,.2f} per million ticks)"
    ]
    for item in est.items:
        lines.append(
            f"  {item.name:<28} {item.quantity:>14,.4f} {item.unit:<13} x ${item.unit_price:<12g}"
            f" = ${item.monthly:>11,.2f}   [{item.formula}]"
        )
    return "\n".join(lines)
