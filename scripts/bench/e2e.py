"""(d) End to end through ``make local``'s pipeline, in a process of its own.

``python -m scripts.bench.e2e --out FILE`` starts a moto server, applies envs/local to it
with Terraform, runs the local Function URL (HTTP on 127.0.0.1) and the stream poller in
this process (scripts.local.pipeline), subscribes a probe queue to the topic, then for
each phase starts the load generator (``scripts.bench.loadgen``) in a second process.

Tick-to-notification latency = the probe queue's ``SentTimestamp`` of a notification
(moto stamps it when SNS delivers) minus the tick's ``ts`` (its send time, set by the
load generator). CPU time and peak RSS: this process (webhook, poller, enricher) and the
load generator via ``getrusage``, the moto server (AWS's part) from /proc. No terraform
destroy: the moto server, and everything in it, is stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.bench.loadgen import SECRET_ENV
from scripts.bench.stats import summary
from scripts.errors import one_line
from scripts.local.aws import Clients
from scripts.local.moto_server import MotoServer
from scripts.local.pipeline import LocalPipeline
from scripts.local.runtime import HarnessQueue
from scripts.local.summary import scan_table
from scripts.local.terraform import LocalTerraform, terraform_variables

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Phase:
    name: str
    count: int
    rate: float  # ticks/s, 0 = as fast as served
    concurrency: int
    max_seconds: float = 60.0


def default_phases(quick: bool) -> list[Phase]:
    """A warm-up; a steady rate the local pipeline sustains; a burst as fast as it is served."""
    return [
        Phase("warmup", 20, 0, 1),
        Phase("steady", 100 if quick else 200, 10, 2),
        Phase("burst", 200 if quick else 600, 0, 8),
    ]


def _proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _proc_peak_rss_mb(pid: int) -> float | None:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def _self_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Probe:
    """A raw-delivery queue on the topic; collects (notification id, latency ms) by tag."""

    def __init__(self, clients: Clients, topic_arn: str) -> None:
        self.clients = clients
        self.queue = HarnessQueue(clients, topic_arn, name="bench-latency-probe")
        self.seen: dict[str, list[float]] = {}
        self.last_sent_ms: dict[str, int] = {}

    def drain(self) -> int:
        sqs, got = self.clients("sqs"), 0
        while True:
            batch = sqs.receive_message(
                QueueUrl=self.queue.url, MaxNumberOfMessages=10, AttributeNames=["SentTimestamp"]
            ).get("Messages", [])
            if not batch:
                return got
            got += len(batch)
            for message in batch:
                body = json.loads(message["Body"])
                sent_ms = int(message["Attributes"]["SentTimestamp"])
                tag = body["exchange"].rsplit("-", 1)[0]
                self.seen.setdefault(body["notification_id"], []).append(sent_ms - int(body["ts"]))
                self.last_sent_ms[tag] = max(self.last_sent_ms.get(tag, 0), sent_ms)
            sqs.delete_message_batch(
                QueueUrl=self.queue.url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)],
            )

    def ids(self, tag: str) -> list[str]:
        return [nid for nid in self.seen if nid.split("#", 1)[1].startswith(f"{tag}-")]


def run_phase(pipeline: LocalPipeline, probe: Probe, moto_pid: int, phase: Phase) -> dict[str, Any]:
    _, poller, _ = pipeline.parts()
    invocations, batch_ms_start = poller.stats.invocations, len(poller.stats.batch_durations_ms)
    cpu_self, cpu_moto = _self_cpu_s(), _proc_cpu_s(moto_pid)
    command = [
        sys.executable, "-m", "scripts.bench.loadgen", "--url", pipeline.url, "--count", str(phase.count),
        "--rate", str(phase.rate), "--concurrency", str(phase.concurrency), "--tag", phase.name,
        "--max-seconds", str(phase.max_seconds),
    ]  # fmt: skip
    env = {**os.environ, SECRET_ENV: pipeline.secret}
    done = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=phase.max_seconds + 90
    )
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed: {done.stderr.strip()[-500:]}")
    load = json.loads(done.stdout.strip().splitlines()[-1])
    expected = load["statuses"].get("stored", 0)
    deadline = time.monotonic() + 60
    while len(probe.ids(phase.name)) < expected and time.monotonic() < deadline:
        if probe.drain() == 0:
            time.sleep(0.05)
    probe.drain()
    ids = probe.ids(phase.name)
    latencies = [probe.seen[nid][0] for nid in ids]
    last_ms = probe.last_sent_ms.get(phase.name, 0)
    pipeline_s = max(1e-9, last_ms / 1000 - load["first_send_epoch"])
    rows = [r for r in scan_table(pipeline.clients, pipeline.deployment.table_name) if _tag(r) == phase.name]  # type: ignore[union-attr]
    batches = poller.stats.invocations - invocations
    return {
        "load": load,
        "rows_stored": len(rows),
        "rows_enriched": sum(1 for r in rows if "enriched_at" in r),
        "notifications": len(ids),
        "redundant_notifications": sum(len(probe.seen[nid]) - 1 for nid in ids),
        "enriched_per_s": round(len(ids) / pipeline_s, 1),
        "tick_to_notification_ms": summary(latencies, digits=0),
        "enricher_batches": batches,
        "mean_batch_size": round(len(ids) / batches, 1) if batches else None,
        "enricher_batch_ms": summary(poller.stats.batch_durations_ms[batch_ms_start:]),
        "pipeline_cpu_s": round(_self_cpu_s() - cpu_self, 2),
        "moto_cpu_s": round(_proc_cpu_s(moto_pid) - cpu_moto, 2),
        "loadgen_cpu_s": load["cpu_s"],
    }


def _tag(row: dict[str, Any]) -> str:
    """The load phase of a row: its exchange (``pk`` is ``SYMBOL#exchange``) up to the last ``-``."""
    return str(row.get("pk", "")).partition("#")[2].rsplit("-", 1)[0]


def measure(work: Path, zips: Path, phases: list[Phase]) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    for stale in work.glob("terraform.tfstate*"):
        stale.unlink()
    moto = MotoServer(log_path=work / "moto.log").start()
    try:
        assert moto.process is not None
        tf = LocalTerraform(moto.endpoint, work)
        tf.variables = terraform_variables(tf.tf_dir, moto.endpoint, zips, [])
        started = time.monotonic()
        tf.init()
        outputs = tf.apply()
        apply_s = time.monotonic() - started
        clients = Clients(moto.endpoint)
        pipeline = LocalPipeline(clients, outputs, poll_interval_s=0.05).start()
        try:
            _, _, mapping = pipeline.parts()
            probe = Probe(clients, pipeline.deployment.topic_arn)  # type: ignore[union-attr]
            result: dict[str, Any] = {
                "mode": "moto server (separate process) + envs/local applied by terraform",
                "terraform_init_apply_s": round(apply_s, 1),
                "mapping": {
                    "batch_size": mapping.batch_size,
                    "batching_window_s": mapping.batching_window_s,
                    "poll_interval_s": 0.05,
                },
                "phases": {},
            }
            for phase in phases:
                result["phases"][phase.name] = run_phase(pipeline, probe, moto.process.pid, phase)
            result["pipeline_peak_rss_mb"] = round(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
            )
            result["moto_peak_rss_mb"] = _proc_peak_rss_mb(moto.process.pid)
            probe.queue.delete()
        finally:
            pipeline.stop()
    finally:
        moto.stop()
    return result


@one_line
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pipeline-bench-e2e", description=__doc__)
    parser.add_argument("--out", type=Path, required=True, help="JSON result file")
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=REPO_ROOT / "build" / "bench" / "e2e",
        help="terraform state and logs (default build/bench/e2e)",
    )
    parser.add_argument(
        "--zips", type=Path, default=REPO_ROOT / "build", help="folder of the function zips (default build)"
    )
    parser.add_argument("--quick", action="store_true", help="shorter load phases")
    args = parser.parse_args(argv)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    real_stdout = sys.stdout
    with (args.work_dir / "functions.log").open("w") as log:
        sys.stdout = log  # Powertools writes the handlers' logs and metrics to stdout
        try:
            result = measure(args.work_dir, args.zips, default_phases(args.quick))
        finally:
            sys.stdout = real_stdout
    args.out.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
