"""Monthly AWS cost of one environment at a given tick rate, from public list prices.

Every line item is ``quantity x unit price`` with its formula spelled out, so a
user sees what a setting (memory, batch size, retention, alarms) costs, and its
source: ``measured`` (by ``make bench``: calls, handler time, log lines, item sizes)
or ``documented`` (a constant from an AWS page, named). Prices live in
``prices.yaml`` beside this file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from scripts.tfvariables import default_of, read_variables

PRICES_PATH = Path(__file__).with_name("prices.yaml")
CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
#: Alarm metrics modules/pipeline creates when alarms are enabled: webhook errors, throttles and
#: 5xx (3); enricher errors, throttles, iterator age, on-failure depth and age (5); records
#: failed, table write throttles (2); the stalled-mapping alarm, metric math over 2 metrics
#: (modules/pipeline/alarms.tf). CloudWatch bills a metric-math alarm per metric it reads.
ALARM_METRICS_WHEN_ENABLED = 10 + 2
#: Lambda's platform lines per invocation (text format), at the sizes of the Lambda developer
#: guide's examples: START ... Version: $LATEST (72 B), END (51 B), REPORT (135 B); with
#: Active tracing REPORT also carries ``XRAY TraceId ... SegmentId ... Sampled`` (90 B).
PLATFORM_LINE_BYTES = 72 + 51 + 135
PLATFORM_LINES = 3
XRAY_REPORT_BYTES = 90
#: CloudWatch Logs counts an event as its UTF-8 message plus 26 bytes (PutLogEvents quota).
LOG_EVENT_OVERHEAD_BYTES = 26
#: Lambda's sampling with Active tracing: the first request each second, then 5 % of the rest.
XRAY_RESERVOIR_PER_S = 1.0
XRAY_FIXED_RATE = 0.05
#: What the sources of the documented constants are, printed beside the line items.
DOCUMENTED = {
    "platform": "Lambda guide: START/END/REPORT line formats",
    "event": "CloudWatch Logs quotas: 26 B per event",
    "xray": "Lambda guide: Active tracing samples 1 req/s + 5 %",
    "alarms": "modules/pipeline/alarms.tf: 10 alarms + 1 metric-math alarm of 2 metrics",
    "prices": "prices.yaml (AWS pricing pages)",
    "latency": "prices.yaml call_latency_ms",
}


@dataclass(frozen=True)
class Settings:
    """What an environment sets that moves the bill (from config/<env>.yaml)."""

    webhook_memory_mb: int = 256
    enricher_memory_mb: int = 256
    batch_size: int = 10
    batching_window_s: float = 1.0
    alarms: int = ALARM_METRICS_WHEN_ENABLED
    log_retention_days: int = 30
    pitr: bool = True
    tick_ttl_days: int = 365  # 0: no TTL (the model then holds one year of ticks)
    table_class: str = "STANDARD"
    tracing_mode: str = "Active"
    success_log_every: int = 1  # one "Tick accepted" line per N accepted ticks
    system_log_level: str | None = None  # WARN: no START/END/REPORT lines (JSON log format)
    claim_ttl_days: int = 0  # 0: a claim is kept as long as its tick
    capacity_mode: str = "on_demand"  # or "provisioned": autoscaled capacity units (table.capacity)
    read_min: int = 5
    read_max: int = 1000
    write_min: int = 5
    write_max: int = 4000
    target_utilization: float = 70.0  # percent of provisioned capacity the scaler keeps consumed

    @classmethod
    def from_config(cls, env: str, config_dir: Path = CONFIG_DIR) -> Settings:
        """The settings of ``config/<env>.yaml``; what it leaves out, the pipeline module's default."""
        config = yaml.safe_load((config_dir / f"{env}.yaml").read_text())
        webhook, enricher = config.get("webhook") or {}, config.get("enricher") or {}
        variables = read_variables()
        capacity = (config.get("table") or {}).get("capacity") or {}

        def setting(section: dict[str, Any], variable: str, attribute: str = "") -> Any:
            value = section.get(attribute or variable)
            return value if value is not None else default_of(variables[variable], attribute)

        return cls(
            webhook_memory_mb=int(setting(webhook, "webhook", "memory_size")),
            enricher_memory_mb=int(setting(enricher, "enricher", "memory_size")),
            batch_size=int(setting(enricher, "enricher", "batch_size")),
            batching_window_s=float(setting(enricher, "enricher", "maximum_batching_window_in_seconds")),
            alarms=ALARM_METRICS_WHEN_ENABLED
            if setting(config.get("alarms") or {}, "alarms", "enabled")
            else 0,
            log_retention_days=int(setting(config, "log_retention_days")),
            tick_ttl_days=int(setting(config, "tick_ttl_days")),
            pitr=True,  # modules/pipeline turns point-in-time recovery on in every environment
            table_class=str(setting(config.get("table") or {}, "table", "table_class")),
            tracing_mode=str(setting(config, "tracing_mode")),
            system_log_level=config.get("system_log_level"),
            success_log_every=int(setting(webhook, "webhook", "success_log_every")),
            claim_ttl_days=int(setting(webhook, "webhook", "claim_ttl_days")),
            capacity_mode=str(capacity.get("mode") or default_of(variables["table"], "capacity.mode")),
            **{
                f"{kind}_{bound}": int(
                    (capacity.get(kind) or {}).get(bound)
                    or default_of(variables["table"], f"capacity.{kind}.{bound}")
                )
                for kind in ("read", "write")
                for bound in ("min", "max")
            },
            target_utilization=float(
                capacity.get("target_utilization")
                or default_of(variables["table"], "capacity.target_utilization")
            ),
        )

    def before_issue_20(self) -> Settings:
        """These settings with the choices issue 20 priced as they were before it: Standard
        table, Active tracing, a line per accepted tick, Lambda's platform lines, claims kept as
        long as their tick."""
        return replace(
            self,
            table_class="STANDARD",
            tracing_mode="Active",
            success_log_every=1,
            claim_ttl_days=0,
            system_log_level=None,
            capacity_mode="on_demand",
        )

    @property
    def claim_days(self) -> int:
        """Days a claim is stored (the webhook's rule: its horizon, never past its tick)."""
        kept = self.tick_ttl_days or 365
        return min(self.claim_ttl_days, kept) if self.claim_ttl_days else kept

    def provisioned_units(self, per_second: float, kind: str) -> int:
        """Capacity units the scaler holds for ``per_second`` units consumed: consumption over the
        target utilisation, rounded up, never below the autoscaling minimum. Above the maximum the
        table throttles; the units are still capped there (what is billed)."""
        minimum, maximum = (
            (self.read_min, self.read_max) if kind == "read" else (self.write_min, self.write_max)
        )
        return min(maximum, max(minimum, math.ceil(per_second * 100 / self.target_utilization)))

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
    updates_per_tick: float = 1.0  # enricher UpdateItem calls per tick (floor 1: the revision)
    queries_per_series: float = 1.0  # enricher Query calls per series and batch (floor 1)
    series_per_batch: float = 10.0  # distinct series in a batch (at most the batch size)
    query_item_bytes: int = 330  # an enriched tick, as a Query reads it
    query_extra_items: int = 40  # items a Query reads beyond the batch's ticks of the series
    notification_bytes: int = 400
    item_bytes: int = 350  # enriched tick as stored (with the 100 B per-item overhead)
    claim_bytes: int = 282  # event-id claim as stored, when the tick has an event_id
    success_line_bytes: float = 420.0  # the webhook's "Tick accepted" line
    webhook_emf_bytes: float = 200.0  # the webhook's EMF document per invocation
    webhook_emf_events: float = 1.0
    enricher_log_bytes: float = 700.0  # the enricher's lines and EMF document per batch
    enricher_log_events: float = 2.0
    custom_metrics: int = 11  # distinct EMF metrics (name and dimensions) the handlers emit
    legacy_item_bytes: int = 430  # the enriched tick in the format before issue 20
    legacy_query_item_bytes: int = 330
    #: Write units per tick when set (``--write-units-per-tick``): another handler version's
    #: figure (e.g. 4 with the enricher's unsent mark and its clearing update), else the calls'.
    write_units_input: float | None = None
    source: str = "design floor"

    def legacy(self) -> PerTick:
        """The same work with the item format before issue 20 (the tick repeated its keys), and
        the write units the handlers measured (an input for a newer version does not apply)."""
        return replace(
            self,
            item_bytes=self.legacy_item_bytes,
            query_item_bytes=self.legacy_query_item_bytes,
            write_units_input=None,
        )

    @property
    def write_units(self) -> float:
        """WRU per tick: the webhook's writes and the enricher's UpdateItem (each under 1 KB), no
        index; or the input when one is set."""
        if self.write_units_input is not None:
            return self.write_units_input
        return self.webhook_write_units + self.updates_per_tick

    def stored_bytes(self, settings: Settings) -> float:
        """Table bytes per tick at steady state: the tick, and its claim (when the webhook wrote
        one: 2 puts) for the share of the tick's life the claim is kept."""
        share = settings.claim_days / (settings.tick_ttl_days or 365)
        return self.item_bytes + max(0.0, self.puts_per_tick - 1) * self.claim_bytes * min(1.0, share)

    def log_bytes(self, settings: Settings, batch: float) -> float:
        """CloudWatch Logs bytes per tick, both functions: lines as measured, platform lines as
        documented, 26 B per event."""
        traced = XRAY_REPORT_BYTES if settings.tracing_mode == "Active" else 0
        platform = PLATFORM_LINE_BYTES + traced + PLATFORM_LINES * LOG_EVENT_OVERHEAD_BYTES
        if settings.system_log_level == "WARN":
            platform = 0  # Lambda sends its per-invocation lines at INFO
        every = max(1, settings.success_log_every)
        webhook = (
            (self.success_line_bytes + LOG_EVENT_OVERHEAD_BYTES) / every
            + self.webhook_emf_bytes
            + self.webhook_emf_events * LOG_EVENT_OVERHEAD_BYTES
            + platform
        )
        enricher = self.enricher_log_bytes + self.enricher_log_events * LOG_EVENT_OVERHEAD_BYTES + platform
        return webhook + enricher / batch

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
            values["legacy_item_bytes"] = capacity["legacy"]["stored_bytes"]
            values["legacy_query_item_bytes"] = capacity["legacy"]["item_bytes"]
        logs = webhook.get("logs_per_tick") or {}
        if logs.get("measured"):
            values["success_line_bytes"] = logs["app_bytes"] / max(logs["app_events"], 1e-9)
            values["webhook_emf_bytes"] = logs["emf_bytes"]
            values["webhook_emf_events"] = logs["emf_events"]
        if figures.get("custom_metrics"):
            values["custom_metrics"] = len(figures["custom_metrics"])
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
            values["updates_per_tick"] = per_tick.get("dynamodb:UpdateItem", 1.0)
            values["queries_per_series"] = (
                scenario["calls_per_batch"].get("dynamodb:Query", series_per_batch) / series_per_batch
            )
            ddb_calls = per_tick.get("dynamodb:UpdateItem", 0) + per_tick.get("dynamodb:Query", 0)
            batch_logs = scenario.get("logs_per_batch") or {}
            if batch_logs.get("measured"):
                values["enricher_log_bytes"] = batch_logs["app_bytes"] + batch_logs["emf_bytes"]
                values["enricher_log_events"] = batch_logs["app_events"] + batch_logs["emf_events"]
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
    source: str = "documented: " + DOCUMENTED["prices"]

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

    def share(self, name: str) -> float:
        """The fraction of the total the line items called ``name`` make."""
        return sum(i.monthly for i in self.items if i.name == name) / self.total if self.total else 0.0


def load_prices(path: Path = PRICES_PATH) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def traced_per_second(requests_per_second: float) -> float:
    """Requests X-Ray records per second under Lambda's sampling with Active tracing."""
    first = min(requests_per_second, XRAY_RESERVOIR_PER_S)
    return first + XRAY_FIXED_RATE * max(0.0, requests_per_second - XRAY_RESERVOIR_PER_S)


def estimate(
    ticks_per_second: float,
    settings: Settings,
    per_tick: PerTick | None = None,
    prices: dict[str, Any] | None = None,
) -> Estimate:
    """Monthly cost of the pipeline at a steady tick rate."""
    p = prices or load_prices()
    w = per_tick or PerTick()
    measured = "measured" if w.source == "measured" else f"assumed ({w.source})"
    month = p["seconds_per_month"]
    ticks = ticks_per_second * month
    batch = settings.effective_batch(ticks_per_second)
    batches = ticks / batch
    series = min(w.series_per_batch, batch)
    lam = p["lambda"]
    ia = settings.table_class == "STANDARD_INFREQUENT_ACCESS"
    ddb = p["dynamodb_on_demand_infrequent_access" if ia else "dynamodb_on_demand"]
    table = "Standard-IA" if ia else "Standard"
    provisioned = settings.capacity_mode == "provisioned"
    units = p["dynamodb_provisioned_infrequent_access" if ia else "dynamodb_provisioned"]
    hours = month / 3600
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
            f"{measured} handler time + documented: {DOCUMENTED['latency']}",
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
    write_what = (
        f"{w.write_units:g} WRU (input)"
        if w.write_units_input is not None
        else f"{w.write_units:g} WRU ({w.webhook_write_units:g} webhook + {w.updates_per_tick:g} UpdateItem)"
    )
    write_source = (
        "documented: --write-units-per-tick"
        if w.write_units_input is not None
        else f"{measured} calls per tick"
    )
    query_units = w.read_units_per_query(batch / series)
    read_units = batches * series * w.queries_per_series * query_units
    read_what = (
        f"{series:g} series x {w.queries_per_series:g} Query x {query_units:g} RRU "
        f"({batch / series:g} + {w.query_extra_items} items of {w.query_item_bytes} B, 4 KB a unit)"
    )
    if provisioned:
        target = f"{settings.target_utilization:g} %"
        wcu = settings.provisioned_units(ticks_per_second * w.write_units, "write")
        rcu = settings.provisioned_units(read_units / month, "read")
        over = (
            f"; needs more than max {settings.write_max}: throttled"
            if ticks_per_second * w.write_units * 100 / settings.target_utilization > settings.write_max
            else ""
        )
        add(
            LineItem(
                f"DynamoDB write capacity ({table})",
                wcu * hours,
                "WCU-hours",
                units["wcu_hour"],
                f"max({settings.write_min}, rate x {write_what} / {target}) = {wcu} WCU, autoscaled{over}",
                write_source,
            )
        )
        add(
            LineItem(
                f"DynamoDB read capacity ({table})",
                rcu * hours,
                "RCU-hours",
                units["rcu_hour"],
                f"max({settings.read_min}, batches/s x {read_what} / {target}) = {rcu} RCU, autoscaled",
                f"{measured} calls and item sizes",
            )
        )
    else:
        add(
            LineItem(
                f"DynamoDB writes ({table})",
                ticks * w.write_units / 1e6,
                "M WRU",
                ddb["write_request_units_per_million"],
                f"ticks x {write_what}",
                write_source,
            )
        )
        add(
            LineItem(
                f"DynamoDB reads ({table})",
                read_units / 1e6,
                "M RRU",
                ddb["read_request_units_per_million"],
                f"batches x {read_what}",
                f"{measured} calls and item sizes",
            )
        )
    # Steady state: the table holds the ticks of the last TTL (claims: of their horizon).
    kept_days = settings.tick_ttl_days or 365
    stored = w.stored_bytes(settings)
    stored_gb = ticks_per_second * kept_days * 86_400 * stored / 1e9
    kept = f"{settings.tick_ttl_days} d TTL" if settings.tick_ttl_days else "no TTL: one year shown"
    add(
        LineItem(
            f"DynamoDB storage ({table})",
            stored_gb,
            "GB-month",
            ddb["storage_gb_month"],
            f"rate x {kept} x {stored:.0f} B (tick {w.item_bytes} B + claim {w.claim_bytes} B"
            f" kept {settings.claim_days} d, per-item overhead)",
            f"{measured} item sizes (DynamoDB item-size rules)",
        )
    )
    if settings.pitr:
        add(
            LineItem(
                "DynamoDB PITR (35 d)", stored_gb, "GB-month", ddb["pitr_gb_month"], "table size",
                f"{measured} item sizes",
            )
        )  # fmt: skip
    add(
        LineItem(
            "DynamoDB Streams",
            batches / 1e6,
            "M GetRecords",
            p["dynamodb_on_demand"]["streams_read_by_lambda"],
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
    log_bytes = w.log_bytes(settings, batch)
    log_gb = ticks * log_bytes / 1e9
    every = "every accepted tick" if settings.success_log_every <= 1 else f"1 in {settings.success_log_every}"
    add(
        LineItem(
            "CloudWatch Logs ingestion",
            log_gb,
            "GB",
            p["cloudwatch"]["logs_ingestion_gb"],
            f"ticks x {log_bytes:.0f} B (success line {every}, EMF, platform lines, 26 B/event)",
            f"{measured} lines and EMF; documented: {DOCUMENTED['platform']}; {DOCUMENTED['event']}",
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
            f"{measured} log bytes",
        )
    )
    if settings.tracing_mode == "Active":
        traces = (traced_per_second(ticks_per_second) + traced_per_second(ticks_per_second / batch)) * month
    else:
        traces = 0.0  # PassThrough: only requests an upstream caller sampled, and no caller does
    add(
        LineItem(
            "X-Ray traces",
            traces / 1e6,
            "M traces",
            p["xray"]["traces_recorded_per_million"],
            f"tracing {settings.tracing_mode}: webhook and enricher invocations sampled",
            f"documented: {DOCUMENTED['xray']}",
        )
    )
    add(
        LineItem(
            "CloudWatch custom metrics",
            w.custom_metrics,
            "metrics",
            p["cloudwatch"]["custom_metric_month"],
            "EMF metric names x dimensions the handlers emit",
            f"{'measured' if w.source == 'measured' else 'assumed'}: counted in lambda_src",
        )
    )
    add(
        LineItem(
            "CloudWatch alarms", settings.alarms, "alarm metrics", p["cloudwatch"]["alarm_month"],
            "per metric an alarm reads", f"documented: {DOCUMENTED['alarms']}",
        )
    )  # fmt: skip
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
            f"  {item.name:<34} {item.quantity:>16,.4f} {item.unit:<13} x ${item.unit_price:<12g}"
            f" = ${item.monthly:>11,.2f}   [{item.formula}] ({item.source})"
        )
    return "\n".join(lines)
