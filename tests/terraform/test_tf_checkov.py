"""checkov over modules/ and envs/: zero failed checks, in its own virtual environment.

checkov pins an old `packaging` that conflicts with pytest 9, so it lives in `.venv-checkov` at the
repository root, installed from the hash-locked requirements/checkov.txt here (or by `make checkov`)
when missing: the first run needs the package index (marker `checkov`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tfhelpers import REPO_ROOT

from scripts import checkov_env

pytestmark = pytest.mark.checkov
CHECKOV_VERSION = checkov_env.locked_version()


def _checkov() -> Path:
    return checkov_env.ensure()


def _scan(checkov: Path, folder: str, env: dict[str, str]) -> dict:
    # One folder per run: with several -d checkov 3.3 prints one JSON document per folder, and the
    # second one counts both folders.
    result = subprocess.run(
        [str(checkov), "--framework", "terraform", "--skip-download", "--output", "json", "-d", folder],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert result.returncode in (0, 1), result.stderr[-4000:]
    report = json.loads(result.stdout)
    assert report["check_type"] == "terraform", folder
    assert report["summary"]["parsing_errors"] == 0, folder
    return report


@pytest.fixture(scope="module")
def checkov_report() -> list[dict]:
    checkov = _checkov()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["BC_SKIP_MAPPING"] = "TRUE"  # offline: no download of the Prisma Cloud guideline mapping
    return [_scan(checkov, folder, env) for folder in ("modules", "envs")]


def test_checkov_has_no_failed_check(checkov_report):
    failed = [
        f"{c['check_id']} {c['resource']} {c['file_path']}:{c['file_line_range']}"
        for r in checkov_report
        for c in r.get("results", {}).get("failed_checks", [])
    ]
    passed = sum(r.get("summary", {}).get("passed", 0) for r in checkov_report)
    skipped = sum(r.get("summary", {}).get("skipped", 0) for r in checkov_report)
    print(
        f"checkov {CHECKOV_VERSION}: passed={passed} failed={len(failed)} skipped={skipped}", file=sys.stderr
    )
    assert not failed, "\n".join(failed)
    assert passed > 0


def test_every_checkov_skip_has_a_reason(checkov_report):
    skipped = [c for r in checkov_report for c in r.get("results", {}).get("skipped_checks", [])]
    assert skipped, "the documented skips should show up"
    for check in skipped:
        comment = (check.get("check_result") or {}).get("suppress_comment", "")
        assert len(comment) >= 20, f"{check['check_id']} {check['resource']}: no reason"
