"""Figures that need no running pipeline: zip sizes, packaging time, import cost, plan time."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from scripts import package, plan
from scripts.envs import backend_type, env_dir, environments
from scripts.tfcli import terraform_env
from scripts.tfversion import TerraformVersionError, terraform_binary

REPO_ROOT = Path(__file__).resolve().parents[2]
_ADD_METRIC = re.compile(r"add_metric\((.*?)\)\n", re.DOTALL)
_NAME = re.compile(r'"([A-Z][A-Za-z]+)"')
#: A table of metric names an ``add_metric`` call looks up (``OUTCOME_METRICS = {...}``): its values.
_METRIC_TABLE = re.compile(r"^[A-Z_]*METRICS\b[^=\n]*=\s*\{(.*?)^\}", re.DOTALL | re.MULTILINE)
_TABLE_VALUE = re.compile(r':\s*"([A-Z][A-Za-z]+)"')
_IMPORTTIME = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)")


def custom_metrics(source: Path = REPO_ROOT / "lambda_src") -> list[str]:
    """The custom metrics the handlers can emit (EMF): each ``add_metric`` name of a function,
    and ``ColdStart`` (its own dimension, ``function_name``) where the cold-start metric is on.
    Every path counts, not only those a benchmark run takes."""
    found: set[str] = set()
    for function in package.FUNCTIONS:
        for path in sorted((source / function).glob("*.py")):
            text = path.read_text()
            for call in _ADD_METRIC.findall(text):
                found.update(_NAME.findall(call))
            for table in _METRIC_TABLE.findall(text):
                found.update(_TABLE_VALUE.findall(table))
            if "capture_cold_start_metric=True" in text:
                found.add(f"ColdStart[{function}]")
    return sorted(found)


def package_figures(out_dir: Path) -> dict[str, Any]:
    """Build the zips into out_dir twice (cold cache of nothing, then unchanged) and time it."""
    start = time.perf_counter()
    built = package.build(out_dir)
    first = time.perf_counter() - start
    start = time.perf_counter()
    package.build(out_dir)
    second = time.perf_counter() - start
    return {
        "package_seconds": round(first, 3),
        "repackage_unchanged_seconds": round(second, 3),
        "zips": {b.function: {"bytes": b.size, "sha256": b.sha256} for b in built},
    }


def import_figures(zip_dir: Path) -> dict[str, Any]:
    """Cold-start import cost of each handler, imported from its own zip (``python -X importtime``).

    The child also refuses any socket connection during import, so a handler that
    calls AWS at import time fails here instead of being measured.
    """
    figures: dict[str, Any] = {}
    guard = (
        "import socket, sys\n"
        "def _refuse(*a, **k):\n"
        "    raise RuntimeError('network call at import time')\n"
        "socket.create_connection = _refuse\n"
        "socket.socket.connect = _refuse\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "import importlib\n"
        "importlib.import_module(sys.argv[2])\n"
    )
    env = {
        **{k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        "AWS_DEFAULT_REGION": "us-east-1",
        "TABLE_NAME": "bench",
        "TOPIC_ARN": "arn:aws:sns:us-east-1:000000000000:bench",
        "WEBHOOK_SECRET_ARN": "bench",
    }
    for function in package.FUNCTIONS:
        zip_path = zip_dir / f"{function}.zip"
        module = f"{function}.handler"
        result = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", guard, str(zip_path), module],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if result.returncode != 0:
            figures[function] = {"error": result.stderr.strip().splitlines()[-1:]}
            continue
        rows = [m for m in map(_IMPORTTIME.match, result.stderr.splitlines()) if m]
        top = [m for m in rows if len(m.group(3)) == 1]  # first-level imports of the -c program
        total_us = sum(int(m.group(2)) for m in top)
        handler_row = next((m for m in rows if m.group(4) == module), None)
        heaviest = sorted(((int(m.group(2)), m.group(4)) for m in rows), reverse=True)[:5]
        figures[function] = {
            "total_import_ms": round(total_us / 1000, 1),
            "handler_cumulative_ms": round(int(handler_row.group(2)) / 1000, 1) if handler_row else None,
            "modules_imported": len(rows),
            "heaviest": [{"module": name, "cumulative_ms": round(us / 1000, 1)} for us, name in heaviest],
            "network_at_import": False,
        }
    return figures


def plan_figures(zips: Path, work: Path, envs: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Wall time of an offline `terraform plan` of each env with a remote backend (init first, not timed)."""
    if envs is None:
        envs = tuple(e for e in environments() if backend_type(env_dir(e)) not in (None, "local"))
    figures: dict[str, Any] = {}
    try:
        terraform = terraform_binary()
    except TerraformVersionError as exc:
        return {"skipped": str(exc)}
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(terraform_env())
    env.update(plan.FAKE_CREDENTIALS)
    env["AWS_DEFAULT_REGION"] = "us-east-1"
    for name in envs:
        workdir = plan.scratch_copy(name, work / name)
        run_env = {**env, "TF_DATA_DIR": str(workdir / ".terraform")}
        init = subprocess.run(
            [terraform, "init", "-input=false", "-no-color"],
            cwd=workdir, capture_output=True, text=True, env=run_env, check=False,
        )  # fmt: skip
        if init.returncode != 0:
            figures[name] = {"ok": False, "error": init.stderr.strip()[-500:]}
            continue
        start = time.perf_counter()
        result = subprocess.run(
            [terraform, "plan", "-input=false", "-no-color", "-lock=false", *plan.zip_vars(zips)],
            cwd=workdir, capture_output=True, text=True, env=run_env, check=False,
        )  # fmt: skip
        elapsed = time.perf_counter() - start
        summary = re.search(r"Plan: (\d+) to add", result.stdout)
        figures[name] = {
            "plan_seconds": round(elapsed, 2),
            "resources": int(summary.group(1)) if summary else None,
            "ok": result.returncode == 0,
        }
        if result.returncode != 0:
            figures[name]["error"] = result.stderr.strip()[-500:]
    return figures
