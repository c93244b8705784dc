"""``python -m scripts.bench`` (``make bench``): measure the pipeline, print a table, write JSON.

(a) AWS calls per tick by API and (b) handler latency, both handlers in-process on moto's
``mock_aws``; (c) import time of each handler from its zip; (d) end to end through
``make local``'s pipeline with a load generator in a second process (``scripts.bench.e2e``,
run as a child process so its CPU and memory figures are its own); (e) zip sizes, package
time, ``terraform plan`` time per env; (f) monthly cost per env from config/<env>.yaml,
the measured work per tick and the list prices in prices.yaml.

Figures come from one run on whatever machine runs it: compare them as ratios and counts.
Handler logs (Powertools writes them to stdout) go to build/bench/functions.log.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from scripts.bench import capacity, cost, ingest, inprocess, report, static
from scripts.clihelp import description
from scripts.envs import environments
from scripts.errors import one_line

REPO_ROOT = Path(__file__).resolve().parents[2]
RATES = (10.0, 100.0, 1000.0)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pipeline-bench", description=description(__doc__))
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "build" / "bench", help="output folder")
    parser.add_argument("--quick", action="store_true", help="fewer ticks, no e2e, no terraform plan")
    parser.add_argument("--skip-e2e", action="store_true", help="skip (d) (terraform apply on moto, ~2 min)")
    parser.add_argument("--skip-plan", action="store_true", help="skip terraform plan timings")
    parser.add_argument("--webhook-ticks", type=int, help="webhook ticks in-process (default 1000)")
    parser.add_argument("--enricher-batches", type=int, help="enricher batches per scenario (default 40)")
    parser.add_argument("--series", type=float, default=10, help="series per batch in the cost model")
    parser.add_argument(
        "--write-units-per-tick",
        type=float,
        help="price this many write units per tick, not the measured calls (4: main's unsent mark)",
    )
    return parser.parse_args(argv)


def _timed(name: str, log: list[str], step: Any) -> Any:
    started = time.monotonic()
    try:
        return step()
    finally:
        log.append(f"{name}: {time.monotonic() - started:.1f} s")


def _e2e(out: Path, zips: Path, quick: bool) -> dict[str, Any]:
    result = out / "e2e.json"
    result.unlink(missing_ok=True)
    command = [sys.executable, "-m", "scripts.bench.e2e", "--out", str(result), "--zips", str(zips)]
    command += ["--work-dir", str(out / "e2e")] + (["--quick"] if quick else [])
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=900)
    if done.returncode != 0 or not result.exists():
        return {"error": (done.stderr or done.stdout).strip()[-800:]}
    return json.loads(result.read_text())


def run(args: argparse.Namespace, progress: Any) -> dict[str, Any]:
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    webhook_ticks = args.webhook_ticks or (200 if args.quick else 1000)
    batches = args.enricher_batches or (10 if args.quick else 40)
    steps: list[str] = []
    figures: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        },
        "steps": steps,
    }
    zips = out / "zips"
    progress("packaging the zips and timing imports ...")
    figures["package"] = _timed("package", steps, lambda: static.package_figures(zips))
    figures["imports"] = _timed("imports", steps, lambda: static.import_figures(zips))
    progress(f"webhook in-process: {webhook_ticks} ticks ...")
    figures["webhook"] = _timed("webhook", steps, lambda: inprocess.webhook_figures(webhook_ticks))
    progress(f"ingest in-process: single and batch requests of each kind, {ingest.BATCH} ticks each ...")
    figures["ingest"] = _timed("ingest", steps, lambda: ingest.ingest_figures())
    progress(f"enricher in-process: {batches} batches x 3 scenarios ...")
    figures["enricher"] = _timed("enricher", steps, lambda: inprocess.enricher_figures(batches))
    figures["late_tick"] = figures["enricher"].pop("late_tick")
    if args.quick or args.skip_plan:
        figures["plan"] = {"skipped": "--quick" if args.quick else "--skip-plan"}
    else:
        progress("terraform plan of dev, staging, prod ...")
        figures["plan"] = _timed("plan", steps, lambda: static.plan_figures(zips, out / "plan"))
    if args.quick or args.skip_e2e:
        figures["e2e"] = None
    else:
        progress("end to end: moto server, terraform apply of envs/local, load phases ...")
        figures["e2e"] = _timed("e2e", steps, lambda: _e2e(out, zips, args.quick))
    settings = {env: cost.Settings.from_config(env) for env in environments()}
    ttl = {env: {"ttl_days": s.tick_ttl_days, "claim_days": s.claim_days} for env, s in settings.items()}
    figures["capacity"] = capacity.capacity_figures(ttl, RATES)
    rows = figures["capacity"]["envs"].items()
    figures["stored_bytes_per_tick"] = {env: row["stored_bytes_per_tick"] for env, row in rows}
    figures["custom_metrics"] = static.custom_metrics()
    figures["write_units_per_tick"] = figures["capacity"]["write_units_per_tick"]
    figures["cost"] = report.cost_figures(
        figures, environments(), RATES, args.series, args.write_units_per_tick
    )
    return figures


@one_line
def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    console = sys.stdout

    def progress(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    with (args.out / "functions.log").open("w") as functions_log:
        sys.stdout = functions_log  # the handlers' Powertools logs and metrics
        try:
            figures = run(args, progress)
        finally:
            sys.stdout = console
    (args.out / "bench.json").write_text(json.dumps(figures, indent=2, default=str))
    print(report.render(figures))
    print(f"\nsteps: {'; '.join(figures['steps'])}")
    print(f"written: {args.out / 'bench.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
