"""docs/senders.md's request examples, run as written: bash, pipeline-sign and curl against the
handler behind the local Function URL server, signed with the secret the document exports.
A change of the protocol, of pipeline-sign or of the document fails here."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from scripts.local.context import FunctionInfo
from scripts.local.http_server import FunctionUrlServer
from tests.handlers.conftest import Aws
from webhook_processor import handler as webhook

REPO_ROOT = Path(__file__).resolve().parents[2]
DOC = REPO_ROOT / "docs" / "senders.md"
FUNCTION = FunctionInfo(
    name="webhook",
    arn="arn:aws:lambda:us-east-1:123456789012:function:webhook",
    handler="webhook_processor.handler.handler",
    environment={},
)


def section(title: str) -> str:
    text = DOC.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def bash_blocks(text: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL)


def documented_secret(setup: str) -> str:
    match = re.search(r"WEBHOOK_SECRET='([^']+)'", setup)
    assert match, "the setup block exports WEBHOOK_SECRET"
    return match.group(1)


def format_rows(text: str) -> list[str]:
    """The rows of the request-format table (its first column names the format)."""
    return [line for line in text.splitlines() if re.match(r"\| (single|batch)", line)]


@pytest.fixture
def examples(aws: Aws) -> tuple[str, list[str]]:
    """The secret the document exports (now the deployed one) and its example blocks."""
    setup, *blocks = bash_blocks(section("Request formats"))
    secret = documented_secret(setup)
    aws.client("secretsmanager").put_secret_value(SecretId=aws.secret_arn, SecretString=secret)
    return secret, blocks


@pytest.fixture
def endpoint(aws: Aws) -> Any:
    running = FunctionUrlServer(webhook.handler, FUNCTION).start()
    try:
        yield running.url
    finally:
        running.stop()


def run_example(block: str, url: str, secret: str, cwd: Path) -> dict[str, Any]:
    env = {
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "WEBHOOK_URL": url,
        "WEBHOOK_SECRET": secret,
        "HOME": str(cwd),
    }
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_every_request_format_has_one_example_and_each_is_stored(
    aws: Aws, examples: tuple[str, list[str]], endpoint: str, tmp_path: Path
) -> None:
    secret, blocks = examples
    assert len(blocks) == len(format_rows(section("Request formats"))) == 4
    answers = [run_example(block, endpoint, secret, tmp_path) for block in blocks]
    single = [answer for answer in answers if "results" not in answer]
    batches = [answer for answer in answers if "results" in answer]
    assert [(a["status"], a["symbol"]) for a in single] == [
        ("stored", "BTC-USD"),
        ("stored", "ETH-USD"),
        ("stored", "SOL-USD"),
    ]
    assert [a["dedup"] for a in single] == ["request", "event_id", "event_id"]
    [batch] = batches
    assert [(r["status"], r["dedup"]) for r in batch["results"]] == [
        ("stored", "event_id"),
        ("stored", "content"),
        ("stored", "request"),
    ]
    assert aws.count() == 6


def test_an_example_run_again_is_a_duplicate_by_its_webhook_id(
    aws: Aws, examples: tuple[str, list[str]], endpoint: str, tmp_path: Path
) -> None:
    """The Standard Webhooks example signs anew on every run but keeps its webhook-id."""
    secret, blocks = examples
    [standard] = [block for block in blocks if "--standard" in block]
    assert run_example(standard, endpoint, secret, tmp_path)["status"] == "stored"
    assert run_example(standard, endpoint, secret, tmp_path)["status"] == "duplicate"
    assert aws.count() == 1
