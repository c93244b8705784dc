"""The benchmark's figures as plain-text tables a person reads.

A report is a list of sections; a section is a function ``figures -> Section`` whose blocks are
:class:`Table` objects or lines of text. To add one, write such a function and add it to
:data:`SECTIONS` (or pass your own list to :func:`render`). Latency cells follow
scripts/bench/stats.py: a percentile without enough samples is shown as ``-``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from scripts.bench import capacity, cost, ingest
from scripts.bench.stats import describe, min_samples

TOO_FEW = "-"


def _cell(value: Any) -> str:
    if value is None:
        return TOO_FEW
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 1000 else f"{value:g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _is_number(text: str) -> bool:
    stripped = text.replace(",", "").replace("$", "").lstrip("-")
    return stripped.replace(".", "", 1).isdigit() or text == TOO_FEW


@dataclass
class Table:
    """Rows under a header; columns whose cells are all numbers are right-aligned."""

    columns: Sequence[str]
    rows: list[Sequence[Any]] = field(default_factory=list)

    def add(self, *cells: Any) -> None:
        self.rows.append(cells)

    def render(self) -> list[str]:
        body = [[_cell(value) for value in row] for row in self.rows]
        header = [str(column) for column in self.columns]
        widths = [max([len(header[i])] + [len(row[i]) for row in body]) for i in range(len(header))]
        numeric = [bool(body) and all(_is_number(row[i]) for row in body) for i in range(len(header))]

        def line(cells: Sequence[str]) -> str:
            padded = [
                cell.rjust(widths[i]) if numeric[i] else cell.ljust(widths[i]) for i, cell in enumerate(cells)
            ]
            return "  ".join(padded).rstrip()

        return [line(header), "  ".join("-" * w for w in widths), *(line(row) for row in body)]


@dataclass
class Section:
    """A titled part of the report: tables and lines of text, in order."""

    title: str
    blocks: list[Table | str] = field(default_factory=list)

    def render(self) -> str:
        lines = [f"== {self.title} =="]
        for block in self.blocks:
            lines.extend(block.render() if isinstance(block, Table) else [block])
        return "\n".join(lines)


#: A section: figures -> Section, or None when the figures hold nothing for it.
SectionFunction = Callable[[Mapping[str, Any]], "Section | None"]


def from_lines(function: Callable[[Mapping[str, Any]], list[str]]) -> SectionFunction:
    """A section written as lines of text (first line ``== title ==``; no lines: nothing to
    show) as a :data:`SectionFunction`."""

    def section(figures: Mapping[str, Any]) -> Section | None:
        lines = list(function(figures))
        while lines and not lines[0].strip():
            lines.pop(0)
        if not lines:
            return None
        if not lines[0].startswith("=="):
            return Section(getattr(function, "__name__", "section"), lines)
        return Section(lines[0].strip("= ").strip(), lines[1:])

    section.__name__ = getattr(function, "__name__", "section")
    return section


def _ops(calls: Mapping[str, float]) -> str:
    return ", ".join(f"{op} {n:g}" for op, n in sorted(calls.items())) or "none"


def _floor_verdict(calls: Mapping[str, float], floor: Mapping[str, float]) -> str:
    ok = all(abs(calls.get(op, 0) - n) < 1e-9 for op, n in floor.items()) and set(calls) <= set(floor)
    return "at floor" if ok else "ABOVE FLOOR"


def _pairs(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={_cell(v)}" for k, v in values.items())


def _latency_columns(unit: str = "ms") -> list[str]:
    return ["case", f"p50 {unit}", f"p90 {unit}", f"p99 {unit}", f"max {unit}", "n"]


def _latency_row(name: str, s: Mapping[str, Any] | None) -> list[Any]:
    """The row of one latency summary; a percentile of too few samples is left out even
    when the figures (e.g. an older bench.json) hold one."""
    s = s or {}
    n = s.get("n", 0)
    cells = [s.get(f"p{q}") if n >= min_samples(q) else None for q in (50, 90, 99)]
    return [name, *cells, s.get("max"), n]


TOO_FEW_NOTE = (
    f"{TOO_FEW}: too few samples for that percentile (p90 needs {min_samples(90)}, "
    f"p99 {min_samples(99)}); the max and n are shown instead"
)


def calls_section(figures: Mapping[str, Any]) -> Section:
    section = Section("(a) AWS calls by API (counted with botocore before-call)")
    table = Table(["handler", "case", "per", "calls", "floor", "verdict"])
    web = figures.get("webhook")
    if web:
        table.add(
            "webhook", "new tick", "tick", _ops(web["calls_per_tick"]), _ops(web["floor_per_tick"]),
            _floor_verdict(web["calls_per_tick"], web["floor_per_tick"]),
        )  # fmt: skip
        table.add(
            "webhook", "redelivery", "tick", _ops(web["calls_per_duplicate"]), "", "conditional put fails"
        )
        table.add(
            "webhook", "cold start", "call", _ops(web["cold_start"]["calls"]), "", "secret cached after"
        )
    enr = figures.get("enricher")
    if enr:
        for s in (v for k, v in enr.items() if k.endswith("_series")):
            case = f"batch of {enr['batch_size']}, {s['series_per_batch']} series"
            verdict = _floor_verdict(s["calls_per_batch"], s["floor_per_batch"])
            table.add(
                "enricher", case, "batch", _ops(s["calls_per_batch"]), _ops(s["floor_per_batch"]), verdict
            )
            table.add("", "", "tick", _ops(s["calls_per_tick"]), "", "")
    section.blocks.append(table)
    if enr:
        outcome = Table(["enricher case", "records", "failures", "notified (distinct ids)"])
        for s in (v for k, v in enr.items() if k.endswith("_series")):
            outcome.add(
                f"{s['series_per_batch']} series/batch",
                s["records"],
                s["failures"],
                s["distinct_notification_ids"],
            )
        section.blocks += ["", outcome]
    return section


def latency_section(figures: Mapping[str, Any]) -> Section:
    section = Section("(b) handler latency, in-process: handler + moto mock_aws in one process (no network)")
    table = Table(_latency_columns())
    web = figures.get("webhook")
    if web:
        table.add(*_latency_row("webhook new tick", web["latency_ms"]))
        table.add(*_latency_row("  of which handler (moto's time subtracted)", web["own_ms"]))
        table.add(*_latency_row("webhook redelivery", web["duplicate_latency_ms"]))
        table.add(
            "webhook cold start (clients + secret)", None, None, None, web["cold_start"]["latency_ms"], 1
        )
    enr = figures.get("enricher")
    if enr:
        for s in (v for k, v in enr.items() if k.endswith("_series")):
            table.add(*_latency_row(f"enricher batch, {s['series_per_batch']} series", s["batch_latency_ms"]))
            table.add(*_latency_row("  of which handler", s["own_batch_ms"]))
            table.add(*_latency_row("  per record (batch / size)", s["record_latency_ms"]))
    section.blocks += [table, TOO_FEW_NOTE]
    return section


def import_section(figures: Mapping[str, Any]) -> Section:
    section = Section("(c) cold-start import of each handler from its zip (python -X importtime, no sockets)")
    table = Table(["function", "import ms", "modules", "heaviest (cumulative ms)"])
    for function, f in (figures.get("imports") or {}).items():
        if "error" in f:
            table.add(function, None, None, f"ERROR {f['error']}")
            continue
        heaviest = ", ".join(f"{h['module']} {h['cumulative_ms']:g}" for h in f["heaviest"][:3])
        table.add(function, f["total_import_ms"], f["modules_imported"], heaviest)
    section.blocks.append(table)
    return section


def e2e_section(figures: Mapping[str, Any]) -> Section:
    section = Section(
        "(d) end to end through make local's pipeline (open-loop load generator, second process)"
    )
    e2e = figures.get("e2e")
    if not e2e:
        section.blocks.append("skipped")
        return section
    if "error" in e2e:
        section.blocks.append(f"ERROR {e2e['error']}")
        return section
    m = e2e["mapping"]
    section.blocks.append(
        f"{e2e['mode']}; terraform init+apply {e2e['terraform_init_apply_s']:g} s; mapping batch "
        f"{m['batch_size']}, window {m['batching_window_s']:g} s; poller every {m['poll_interval_s']:g} s"
    )
    load_table = Table(
        ["phase", "ticks", "limit/s", "conc", "5xx", "accepted/s", "enriched/s", "batches", "mean batch",
         "CPU s pipeline", "CPU s moto", "CPU s loadgen"]
    )  # fmt: skip
    latency = Table(["phase", "latency from schedule", "p50 ms", "p90 ms", "p99 ms", "max ms", "n"])
    rows = Table(["phase", "rows", "enriched", "notified", "redundant", "enricher batch"])
    for name, p in e2e["phases"].items():
        load = p["load"]
        load_table.add(
            name, load["sent"], load["rate_limit"] or "max", load["concurrency"], load["server_errors"],
            load["accepted_per_s"], p["enriched_per_s"], p["enricher_batches"], p["mean_batch_size"],
            p["pipeline_cpu_s"], p["moto_cpu_s"], p["loadgen_cpu_s"],
        )  # fmt: skip
        latency.add(name, *_latency_row("webhook HTTP answer", load["client_latency_ms"]))
        latency.add(name, *_latency_row("tick -> notification", p["tick_to_notification_ms"]))
        rows.add(
            name, p["rows_stored"], p["rows_enriched"], p["notifications"], p["redundant_notifications"],
            describe(p["enricher_batch_ms"]),
        )  # fmt: skip
    last = list(e2e["phases"].values())[-1]["load"]
    section.blocks += [
        load_table, "", latency,
        "Latency is measured from each tick's scheduled send time (open loop), so a server that falls "
        "behind shows its queueing delay.",
        TOO_FEW_NOTE, "", rows,
        f"peak RSS: pipeline process {e2e['pipeline_peak_rss_mb']:g} MB, moto server "
        f"{e2e['moto_peak_rss_mb']} MB, load generator {last['peak_rss_mb']:g} MB",
    ]  # fmt: skip
    return section


def static_section(figures: Mapping[str, Any]) -> Section:
    section = Section("(e) zips, packaging, terraform plan")
    pkg = figures.get("package")
    if pkg:
        zips = Table(["function", "bytes", "sha256"])
        for function, z in pkg["zips"].items():
            zips.add(function, z["bytes"], z["sha256"][:16] + "...")
        section.blocks += [
            zips,
            f"package (scripts/package.py, what make package runs): {pkg['package_seconds']:g} s; "
            f"again, unchanged: {pkg['repackage_unchanged_seconds']:g} s",
        ]
    plans = figures.get("plan") or {}
    if "skipped" in plans:
        section.blocks.append(f"terraform plan: skipped ({plans['skipped']})")
    else:
        table = Table(["terraform plan", "seconds", "resources to add", "result"])
        for env, p in plans.items():
            if isinstance(p, dict):
                state = "ok" if p.get("ok") else f"FAILED: {p.get('error', '')[:200]}"
                table.add(env, p.get("plan_seconds"), p.get("resources"), state)
        section.blocks.append(table)
    return section


def cost_section(figures: Mapping[str, Any]) -> Section:
    section = Section("(f) monthly cost per environment (public list prices: scripts/bench/prices.yaml)")
    c = figures.get("cost")
    if not c:
        section.blocks.append("skipped")
        return section
    section.blocks += [
        "billed duration = handler's own time measured in (b) + calls x typical in-region latency "
        "(prices.yaml call_latency_ms); per-tick work:",
        "  " + _pairs(c["per_tick"]),
    ]
    table = Table(["env", *(f"$/month at {r:g} ticks/s" for r in c["rates"])])
    for env, e in c["envs"].items():
        table.add(env, *("$" + format(e["totals"][str(r)], ",.2f") for r in c["rates"]))
    section.blocks += [table, "settings:"]
    section.blocks += [f"  {env:<8} {_pairs(e['settings'])}" for env, e in c["envs"].items()]
    section.blocks += ["", *_before_after(figures, c), "", *_choices(c), ""]
    section.blocks.extend(c["detail"])
    return section


def _before_after(figures: Mapping[str, Any], c: Mapping[str, Any]) -> list[Table | str]:
    """Cost per million ticks before issue 20 (its item format and choices) and now, one model."""
    table = Table(["env", "ticks/s", "$/M ticks before", "$/M ticks now", "now/before", "PITR share"])
    for env, e in c["envs"].items():
        if "before_issue_20_per_million_ticks" not in e:
            continue  # figures of a bench before issue 20
        for r in c["rates"]:
            old, new = e["before_issue_20_per_million_ticks"][str(r)], e["per_million_ticks"][str(r)]
            table.add(
                env, r, f"${old:,.3f}", f"${new:,.3f}", f"{new / old:.2f}", f"{e['pitr_share'][str(r)]:.0%}"
            )
    stored = figures.get("stored_bytes_per_tick") or {}
    lines: list[Table | str] = [
        "cost per million ticks, before issue 20 (tick repeating its keys, claims kept with the tick, "
        "Standard table, Active tracing, a line per tick, platform lines) and now, priced by the same model:",
        table,
    ]
    lines += [f"stored_bytes_per_tick {env} = {value:g}" for env, value in stored.items() if env == "prod"]
    design = c.get("fewer_writes")
    if design:
        lines.append(
            "design not built (docs/design.md): webhook computes indicators, enricher writes only on change: "
            + ", ".join(
                f"{r:g}/s ${now:,.2f} -> ${then:,.2f}"
                for r, now, then in zip(c["rates"], design["now"], design["design"], strict=True)
            )
            + f" a month (prod; +{design['read_units_per_tick']:g} RRU per tick)"
        )
    return lines


def _choices(c: Mapping[str, Any]) -> list[Table | str]:
    """Each environment's priced choices: both options and the cheaper one at each rate."""
    table = Table(["env", "choice", "option A", "option B", *(f"cheaper at {r:g}/s" for r in c["rates"])])
    for env, e in c["envs"].items():
        for row in e.get("choices", []):
            cheaper = [
                f"{name} (-${abs(a - b):,.2f})"
                for name, a, b in zip(row["cheaper"], row["a_cost"], row["b_cost"], strict=True)
            ]
            table.add(env, row["choice"], row["a"], row["b"], *cheaper)
    lines: list[Table | str] = [
        "choices, each priced with the env's other settings (-$: the monthly saving):",
        table,
    ]
    return lines + capacity.burst_lines(c.get("burst") or {})


def late_tick_section(figures: Mapping[str, Any]) -> Section | None:
    late = figures.get("late_tick")
    if not late:
        return None
    table = Table(["late tick", "followers in window", "revised", "failures", "calls", "in order", "extra"])
    extra = ", ".join(f"{name} {count:+d}" for name, count in late["extra_calls"].items())
    table.add(
        "arrives after its followers were enriched", late["followers_in_window"], late["followers_revised"],
        late["failures"], _ops(late["calls"]), _ops(late["floor_in_order"]), extra,
    )  # fmt: skip
    return Section("a late tick (arrives after the ticks behind it were enriched)", [table])


def ingest_section(figures: Mapping[str, Any]) -> Section | None:
    """Write units and Lambda invocations per tick, single requests and batches of each kind."""
    measured = figures.get("ingest")
    if not measured:
        return None
    title = (
        f"ingest: webhook write units and Lambda invocations per tick, single and batch of"
        f" {measured['batch_size']} (the enricher adds its UpdateItem)"
    )
    return Section(title, ingest.ingest_lines(measured))


#: The report, in order; add a section by appending a function ``figures -> Section``.
SECTIONS: list[SectionFunction] = [
    calls_section,
    latency_section,
    import_section,
    e2e_section,
    static_section,
    from_lines(capacity.capacity_section),
    ingest_section,
    late_tick_section,
    cost_section,
]


def render(figures: Mapping[str, Any], sections: Sequence[SectionFunction] = SECTIONS) -> str:
    shown = (section(figures) for section in sections)
    return "\n\n".join(section.render() for section in shown if section is not None)


def cost_figures(
    figures: dict[str, Any],
    envs: list[str],
    rates: tuple[float, ...],
    series_per_batch: float,
    write_units_per_tick: float | None = None,
) -> dict[str, Any]:
    """The cost model's figures; ``write_units_per_tick`` replaces the measured write units (to
    price another handler version's writes)."""
    per_tick = replace(
        cost.PerTick.from_bench(figures, series_per_batch), write_units_input=write_units_per_tick
    )
    out: dict[str, Any] = {
        "rates": list(rates),
        "per_tick": per_tick.__dict__ | {"write_units": per_tick.write_units},
    }
    out["envs"], detail = {}, []
    for env in envs:
        settings = cost.Settings.from_config(env)
        estimates = [cost.estimate(rate, settings, per_tick) for rate in rates]
        before = [cost.estimate(rate, settings.before_issue_20(), per_tick.legacy()) for rate in rates]
        out["envs"][env] = {
            "settings": settings.__dict__,
            "totals": {str(rate): round(e.total, 2) for rate, e in zip(rates, estimates, strict=True)},
            "per_million_ticks": {
                str(rate): round(cost.per_million_ticks(e), 4)
                for rate, e in zip(rates, estimates, strict=True)
            },
            "before_issue_20_per_million_ticks": {
                str(rate): round(cost.per_million_ticks(e), 4) for rate, e in zip(rates, before, strict=True)
            },
            "pitr_share": {
                str(rate): round(e.share("DynamoDB PITR (35 d)"), 4)
                for rate, e in zip(rates, estimates, strict=True)
            },
            "choices": choices(settings, per_tick, rates),
            "items": {
                str(rate): [
                    {
                        "name": i.name,
                        "quantity": i.quantity,
                        "unit": i.unit,
                        "monthly": round(i.monthly, 4),
                        "source": i.source,
                    }
                    for i in e.items
                ]
                for rate, e in zip(rates, estimates, strict=True)
            },
        }
        detail.extend(cost.format_estimate(env, e) for e in estimates)
    out["detail"] = detail
    shown = cost.Settings.from_config("prod") if "prod" in envs else cost.Settings()
    out["burst"] = capacity.burst_figures(shown.target_utilization)
    if "prod" in envs:
        out["fewer_writes"] = fewer_writes_design(per_tick, cost.Settings.from_config("prod"), rates)
    return out


def choices(
    settings: cost.Settings, per_tick: cost.PerTick, rates: tuple[float, ...]
) -> list[dict[str, Any]]:
    """Each priced choice of an environment: both options' $/month at each rate, and the cheaper."""
    every = settings.success_log_every if settings.success_log_every > 1 else 100
    options = [
        ("table class", "STANDARD", replace(settings, table_class="STANDARD"),
         "STANDARD_INFREQUENT_ACCESS", replace(settings, table_class="STANDARD_INFREQUENT_ACCESS")),
        ("success log line", "every tick", replace(settings, success_log_every=1),
         f"1 in {every} (counts in metrics)", replace(settings, success_log_every=every)),
        ("X-Ray", "Active (1/s + 5 %)", replace(settings, tracing_mode="Active"),
         "PassThrough", replace(settings, tracing_mode="PassThrough")),
        ("Lambda platform lines", "START/END/REPORT", replace(settings, system_log_level=None),
         "system_log_level WARN", replace(settings, system_log_level="WARN")),
        ("table capacity", "on demand", replace(settings, capacity_mode="on_demand"),
         f"provisioned, autoscaled at {settings.target_utilization:g} %",
         replace(settings, capacity_mode="provisioned")),
    ]  # fmt: skip
    rows = []
    for name, a_label, a, b_label, b in options:
        a_est = [cost.estimate(rate, a, per_tick) for rate in rates]
        b_est = [cost.estimate(rate, b, per_tick) for rate in rates]
        a_cost, b_cost = [e.total for e in a_est], [e.total for e in b_est]
        cheaper = [
            (a_label if x.total <= y.total else b_label)
            # An option billed at a capacity it cannot serve is cheaper only by throttling.
            + (
                " (throttles)"
                if any("throttled" in i.formula for i in (x if x.total <= y.total else y).items)
                else ""
            )
            for x, y in zip(a_est, b_est, strict=True)
        ]
        rows.append({"choice": name, "a": a_label, "b": b_label, "a_cost": a_cost, "b_cost": b_cost,
                     "cheaper": cheaper})  # fmt: skip
    return rows


def fewer_writes_design(
    per_tick: cost.PerTick, settings: cost.Settings, rates: tuple[float, ...]
) -> dict[str, Any]:
    """Issue 20 item 4, priced: the webhook reads the series' last ticks (one eventually
    consistent Query of MAX_WINDOW - 1 items, half a read unit per 4 KB) and stores the tick
    with its indicators, so the enricher writes only after a late tick or a race."""
    window = 19
    read_units = max(1, math.ceil(window * per_tick.query_item_bytes / 4096)) / 2
    design = replace(per_tick, updates_per_tick=0.0, webhook_ms=per_tick.webhook_ms + 6)
    now = [cost.estimate(rate, settings, per_tick) for rate in rates]
    then = [cost.estimate(rate, settings, design) for rate in rates]
    extra = [rate * cost.load_prices()["seconds_per_month"] * read_units / 1e6 for rate in rates]
    ia = settings.table_class == "STANDARD_INFREQUENT_ACCESS"
    price = cost.load_prices()["dynamodb_on_demand_infrequent_access" if ia else "dynamodb_on_demand"]
    return {
        "read_units_per_tick": read_units,
        "now": [round(e.total, 2) for e in now],
        "design": [
            round(e.total + x * price["read_request_units_per_million"], 2)
            for e, x in zip(then, extra, strict=True)
        ],
    }
