"""The benchmark's figures as a plain-text table."""

from __future__ import annotations

from typing import Any

from scripts.bench import capacity, cost


def _ops(calls: dict[str, float], floor: dict[str, float] | None = None) -> str:
    parts = []
    for op, n in sorted(calls.items()):
        text = f"{op} {n:g}"
        if floor is not None:
            target = floor.get(op)
            text += f" (floor {target:g})" if target is not None else " (not in floor)"
        parts.append(text)
    missing = [op for op in (floor or {}) if op not in calls]
    parts.extend(f"{op} 0 (floor {floor[op]:g})" for op in missing if floor)
    return ", ".join(parts) or "none"


def _at_floor(calls: dict[str, float], floor: dict[str, float]) -> str:
    ok = all(abs(calls.get(op, 0) - n) < 1e-9 for op, n in floor.items()) and set(calls) <= set(floor)
    return "AT FLOOR" if ok else "ABOVE FLOOR"


def _pct(s: dict[str, Any], unit: str = "ms") -> str:
    if not s or s.get("n", 0) == 0:
        return "n/a"
    return f"p50 {s['p50']:g} {unit}, p99 {s['p99']:g} {unit} (max {s['max']:g}, n={s['n']})"


def calls_section(figures: dict[str, Any]) -> list[str]:
    lines = ["== (a) AWS calls per tick, by API (counted with botocore before-call) =="]
    web = figures.get("webhook")
    if web:
        lines.append(
            f"webhook, new tick      {_ops(web['calls_per_tick'], web['floor_per_tick'])}"
            f"  -> {_at_floor(web['calls_per_tick'], web['floor_per_tick'])}"
        )
        lines.append(f"webhook, redelivery    {_ops(web['calls_per_duplicate'])} (conditional put fails)")
        lines.append(f"webhook, cold start    {_ops(web['cold_start']['calls'])} (secret cached afterwards)")
    enr = figures.get("enricher")
    if enr:
        for key, s in enr.items():
            if not key.endswith("_series"):
                continue
            lines.append(
                f"enricher, batch of {enr['batch_size']} with {s['series_per_batch']:>2} series: per batch "
                f"{_ops(s['calls_per_batch'], s['floor_per_batch'])}  -> "
                f"{_at_floor(s['calls_per_batch'], s['floor_per_batch'])}"
            )
            lines.append(
                f"{'':38}per tick  {_ops(s['calls_per_tick'])}; {s['failures']} failures, "
                f"{s['distinct_notification_ids']}/{s['records']} notified"
            )
    return lines


def latency_section(figures: dict[str, Any]) -> list[str]:
    lines = ["== (b) handler latency, in-process: handler + moto mock_aws in one process (no network) =="]
    web = figures.get("webhook")
    if web:
        lines.append(f"webhook new tick       {_pct(web['latency_ms'])}")
        lines.append(
            f"  of which handler     {_pct(web['own_ms'])} (moto's time inside the calls subtracted)"
        )
        lines.append(f"webhook redelivery     {_pct(web['duplicate_latency_ms'])}")
        lines.append(
            f"webhook cold start     {web['cold_start']['latency_ms']:g} ms (first call: clients + secret)"
        )
    enr = figures.get("enricher")
    if enr:
        for s in (v for v in enr.values() if isinstance(v, dict)):
            lines.append(
                f"enricher {s['series_per_batch']:>2} series/batch  per batch {_pct(s['batch_latency_ms'])}; "
                f"per record p50 {s['record_latency_ms']['p50']:g} ms, "
                f"p99 {s['record_latency_ms']['p99']:g} ms"
            )
            lines.append(f"  of which handler     per batch {_pct(s['own_batch_ms'])}")
    return lines


def import_section(figures: dict[str, Any]) -> list[str]:
    lines = [
        "== (c) cold-start import of each handler from its zip (python -X importtime, sockets refused) =="
    ]
    for function, f in (figures.get("imports") or {}).items():
        if "error" in f:
            lines.append(f"{function:<18} ERROR {f['error']}")
            continue
        heaviest = ", ".join(f"{h['module']} {h['cumulative_ms']:g}" for h in f["heaviest"][:3])
        lines.append(
            f"{function:<18} {f['total_import_ms']:g} ms total, {f['modules_imported']} modules, "
            f"no network at import; heaviest (ms): {heaviest}"
        )
    return lines


def e2e_section(figures: dict[str, Any]) -> list[str]:
    e2e = figures.get("e2e")
    lines = ["== (d) end to end through make local's pipeline (load generator in a second process) =="]
    if not e2e:
        return [*lines, "skipped"]
    if "error" in e2e:
        return [*lines, f"ERROR {e2e['error']}"]
    m = e2e["mapping"]
    lines.append(
        f"{e2e['mode']}; terraform init+apply {e2e['terraform_init_apply_s']:g} s; mapping batch "
        f"{m['batch_size']}, window {m['batching_window_s']:g} s; poller every {m['poll_interval_s']:g} s"
    )
    header = (
        f"{'phase':<7} {'ticks':>5} {'limit/s':>7} {'conc':>4} {'5xx':>3} {'accepted/s':>10} "
        f"{'enriched/s':>10} {'tick->notification p50/p99 ms':>30} {'webhook HTTP p50/p99 ms':>24} "
        f"{'batches':>7} {'CPU s: pipeline/moto/loadgen':>29}"
    )
    lines.append(header)
    for name, p in e2e["phases"].items():
        load, lat, http = p["load"], p["tick_to_notification_ms"], p["load"]["client_latency_ms"]
        notify = f"{lat['p50']} / {lat['p99']}"
        webhook = f"{http['p50']:g} / {http['p99']:g}"
        cpu = f"{p['pipeline_cpu_s']:g} / {p['moto_cpu_s']:g} / {p['loadgen_cpu_s']:g}"
        lines.append(
            f"{name:<7} {load['sent']:>5} {load['rate_limit'] or 'max':>7} {load['concurrency']:>4} "
            f"{load['server_errors']:>3} {load['accepted_per_s']:>10g} {p['enriched_per_s']:>10g} "
            f"{notify:>30} {webhook:>24} {p['enricher_batches']:>7} {cpu:>29}"
        )
        lines.append(
            f"{'':7} rows {p['rows_stored']}, enriched {p['rows_enriched']}, notified {p['notifications']} "
            f"(+{p['redundant_notifications']} redundant), mean batch {p['mean_batch_size']}, "
            f"enricher batch {_pct(p['enricher_batch_ms'])}"
        )
    last = list(e2e["phases"].values())[-1]["load"]
    lines.append(
        f"peak RSS: pipeline process {e2e['pipeline_peak_rss_mb']:g} MB, moto server "
        f"{e2e['moto_peak_rss_mb']} MB, load generator {last['peak_rss_mb']:g} MB"
    )
    return lines


def static_section(figures: dict[str, Any]) -> list[str]:
    lines = ["== (e) zips, packaging, terraform plan =="]
    pkg = figures.get("package")
    if pkg:
        for function, z in pkg["zips"].items():
            lines.append(f"{function:<18} {z['bytes']:>10,} bytes  sha256 {z['sha256'][:16]}...")
        lines.append(
            f"package (scripts/package.py, what make package runs): {pkg['package_seconds']:g} s; "
            f"again, unchanged: {pkg['repackage_unchanged_seconds']:g} s"
        )
    plans = figures.get("plan") or {}
    if "skipped" in plans:
        lines.append(f"terraform plan: skipped ({plans['skipped']})")
    for env, p in plans.items():
        if isinstance(p, dict):
            state = "ok" if p.get("ok") else f"FAILED: {p.get('error', '')[:200]}"
            lines.append(
                f"terraform plan {env:<8} {p.get('plan_seconds', 'n/a')} s, "
                f"{p.get('resources')} resources to add, {state}"
            )
    return lines


def cost_section(figures: dict[str, Any]) -> list[str]:
    lines = ["== (f) monthly cost per environment (public list prices: scripts/bench/prices.yaml) =="]
    c = figures.get("cost")
    if not c:
        return [*lines, "skipped"]
    lines.append(
        "billed duration = handler's own time measured in (b) + calls x typical in-region latency "
        "(prices.yaml call_latency_ms); per-tick work:"
    )
    lines.append(f"  {c['per_tick']}")
    rates = [f"{r:g} ticks/s" for r in c["rates"]]
    lines.append(f"{'env':<8} " + " ".join(f"{r:>14}" for r in rates) + "   settings")
    for env, e in c["envs"].items():
        amounts = ["$" + format(e["totals"][str(r)], ",.2f") for r in c["rates"]]
        totals = " ".join(f"{a:>14}" for a in amounts)
        lines.append(f"{env:<8} {totals}   {e['settings']}")
    lines.append("")
    lines.extend(c["detail"])
    return lines


def late_tick_section(figures: dict[str, Any]) -> list[str]:
    late = figures.get("late_tick")
    if not late:
        return []
    extra = ", ".join(f"{name} {count:+d}" for name, count in late["extra_calls"].items())
    return [
        "== a late tick (arrives after the ticks behind it were enriched) ==",
        f"followers in its window {late['followers_in_window']}, revised {late['followers_revised']}, "
        f"failures {late['failures']}",
        f"calls {late['calls']} vs in order {late['floor_in_order']}: extra {extra}",
    ]


def render(figures: dict[str, Any]) -> str:
    sections = [
        calls_section(figures),
        latency_section(figures),
        import_section(figures),
        e2e_section(figures),
        static_section(figures),
        capacity.capacity_section(figures),
        late_tick_section(figures),
        cost_section(figures),
    ]
    return "\n\n".join("\n".join(section) for section in sections)


def cost_figures(
    figures: dict[str, Any], envs: list[str], rates: tuple[float, ...], series_per_batch: float
) -> dict[str, Any]:
    per_tick = cost.PerTick.from_bench(figures, series_per_batch)
    out: dict[str, Any] = {
        "rates": list(rates),
        "per_tick": per_tick.__dict__ | {"write_units": per_tick.write_units},
    }
    out["envs"], detail = {}, []
    for env in envs:
        settings = cost.Settings.from_config(env)
        estimates = [cost.estimate(rate, settings, per_tick) for rate in rates]
        out["envs"][env] = {
            "settings": settings.__dict__,
            "totals": {str(rate): round(e.total, 2) for rate, e in zip(rates, estimates, strict=True)},
            "per_million_ticks": {
                str(rate): round(cost.per_million_ticks(e), 4)
                for rate, e in zip(rates, estimates, strict=True)
            },
            "items": {
                str(rate): [
                    {"name": i.name, "quantity": i.quantity, "unit": i.unit, "monthly": round(i.monthly, 4)}
                    for i in e.items
                ]
                for rate, e in zip(rates, estimates, strict=True)
            },
        }
        detail.extend(cost.format_estimate(env, e) for e in estimates)
    out["detail"] = detail
    return out
