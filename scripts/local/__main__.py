"""``python -m scripts.local``: deploy envs/local to a local moto server with Terraform and run it.

1. start moto on 127.0.0.1 (free port);
2. ``terraform init`` + ``apply`` of envs/local against it (state under build/local/);
3. run the pipeline on what Terraform created: the webhook handler behind a local
   Function URL (HTTP on 127.0.0.1), the enricher fed by a stream poller that applies
   the event source mapping Terraform created;
4. send a signed random-walk feed (plus a few bad requests) over HTTP;
5. print a summary and draw a chart; ``terraform destroy``; stop moto.

Everything started is stopped on exit, Ctrl-C or SIGTERM. moto runs through
``scripts.local.moto_main`` (see there: moto would otherwise empty the stream).
``--keep`` skips the destroy only; moto never outlives a run, so each run starts
from fresh state.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import shlex
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import TextIO

from pricing.signature import signature_header
from scripts.errors import one_line
from scripts.local import chart, iam_check, runtime
from scripts.local.aws import Clients
from scripts.local.feed import MAIN_SERIES, FeedResult, FeedSender, RandomWalk
from scripts.local.moto_server import MotoServer
from scripts.local.operator import OperatorSession
from scripts.local.pipeline import LocalPipeline
from scripts.local.poller import StreamPoller
from scripts.local.sign import curl_command
from scripts.local.summary import Summary, scan_table, series_rows
from scripts.local.terraform import (
    ZIP_NAMES,
    LocalTerraform,
    Progress,
    ProgressCallback,
    TerraformError,
    terraform_variables,
)
from scripts.ops.target import OpsError, write_local_session

log = logging.getLogger("scripts.local")

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD = REPO_ROOT / "build"
WORK_DIR = BUILD / "local"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="pipeline-local",
        description="Deploy envs/local to a local moto server with Terraform, run the pipeline on it "
        "with a signed demo feed, print a summary and a chart, then destroy and stop everything.",
    )
    parser.add_argument("--ticks", type=int, default=120, help="demo ticks to send (default 120; 0: none)")
    parser.add_argument("--seed", type=int, default=7, help="random walk seed (default 7)")
    parser.add_argument(
        "--rate", type=float, default=0.0, help="ticks per second (default: as fast as served)"
    )
    parser.add_argument(
        "--port", type=int, default=0, help="webhook HTTP port on 127.0.0.1 (default: a free one)"
    )
    parser.add_argument("--moto-port", type=int, default=0, help="moto port (default: a free one)")
    parser.add_argument("--serve", action="store_true", help="keep serving after the demo until Ctrl-C")
    parser.add_argument(
        "--keep", action="store_true", help="skip terraform destroy at the end (moto stops anyway)"
    )
    parser.add_argument(
        "--var", action="append", default=[], metavar="NAME=VALUE", help="extra terraform -var"
    )
    parser.add_argument(
        "--work-dir", type=Path, default=WORK_DIR, help="state, logs, chart (default build/local)"
    )
    parser.add_argument(
        "--zips", type=Path, default=BUILD, help="folder of the function zips (default build)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return parser.parse_args(argv)


class Console:
    """User output on the real terminal (handler logs go to a file)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self._line_open = False

    def print(self, text: str = "") -> None:
        if self._line_open:
            self.stream.write("\n")
            self._line_open = False
        self.stream.write(text + "\n")
        self.stream.flush()

    def status(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r\033[K" + text)
            self._line_open = True
            self.stream.flush()


def terraform_progress(console: Console, min_interval_s: float = 2.0) -> ProgressCallback:
    """Show ``terraform apply``/``destroy`` progress: a status line on a terminal; elsewhere a
    line when the done count changed, at most every ``min_interval_s``, and the last one."""
    last = {"at": 0.0, "done": -1}

    def show(progress: Progress) -> None:
        if console.tty:
            console.status(progress.line())
            return
        finished = progress.total > 0 and progress.done == progress.total
        due = time.monotonic() - last["at"] >= min_interval_s
        applying = bool(progress.current)  # the plan's events are in: the total is known
        if applying and progress.done != last["done"] and (due or finished):
            last.update(at=time.monotonic(), done=progress.done)
            console.print(progress.line())

    return show


@contextlib.contextmanager
def interrupts_as_keyboard_interrupt() -> Iterator[Callable[[], None]]:
    """SIGTERM (and SIGHUP) raise KeyboardInterrupt like Ctrl-C; the yielded callable shields cleanup."""
    shielded = False

    def raise_interrupt(signum: int, frame: FrameType | None) -> None:
        if shielded:
            print("\n(cleaning up, please wait)", file=sys.stderr)
            return
        raise KeyboardInterrupt(signal.Signals(signum).name)

    def shield() -> None:
        nonlocal shielded
        shielded = True

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    for sig in previous:
        signal.signal(sig, raise_interrupt)
    try:
        yield shield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def progress_printer(console: Console, total: int, poller: StreamPoller, harness: runtime.HarnessQueue):
    last = [0.0]

    def show(result: FeedResult) -> None:
        good = result.sent - len(result.bad)
        line = (
            f"sent {good}/{total + total // 10} | stored {result.stored} dup {result.duplicate} "
            f"rejected {result.rejected} | enriched batches {poller.stats.invocations} "
            f"records {poller.stats.records_succeeded}"
        )
        if console.tty:
            console.status(line)
        elif time.monotonic() - last[0] > 2 or good == total:
            last[0] = time.monotonic()
            console.print(line)

    return show


def wait_for_pipeline(
    pipeline: LocalPipeline, expected: int, console: Console, timeout_s: float = 90
) -> bool:
    """Until the poller has nothing pending and the harness queue holds ``expected`` notifications."""
    harness, poller, _ = pipeline.parts()

    def status(got: int) -> None:
        console.status(
            f"waiting for the enricher: {poller.stats.records_succeeded} records enriched, "
            f"{got}/{expected} notifications"
        )

    done = pipeline.wait_for_notifications(expected, timeout_s, status)
    got = len(harness.messages)
    if done:
        console.print(f"enricher done: {got} notifications")
    else:
        console.print(f"timed out after {timeout_s:.0f} s waiting for the enricher ({got} notifications)")
    return done


def run(args: argparse.Namespace, console: Console, shield: Callable[[], None]) -> int:
    work: Path = args.work_dir
    work.mkdir(parents=True, exist_ok=True)
    missing = [str(args.zips / name) for name in ZIP_NAMES.values() if not (args.zips / name).is_file()]
    if missing:
        console.print(f"error: {', '.join(missing)} missing: run `make package` first (or `make local`)")
        return 2
    # moto never outlives a run, so any earlier state describes resources that are gone
    for stale in work.glob("terraform.tfstate*"):
        stale.unlink()
    for name in ("terraform.log", "moto.log", "functions.log"):
        (work / name).unlink(missing_ok=True)
    session_file = work / "session.json"
    timings: dict[str, float] = {}
    started = time.monotonic()
    rc = 0
    with contextlib.ExitStack() as stack:
        try:
            moto = MotoServer(port=args.moto_port or None, log_path=work / "moto.log").start()
            stack.callback(moto.stop)
            stack.callback(console.print, "moto stopped")
            console.print(f"moto server on {moto.endpoint} (log {work / 'moto.log'})")
            clients = Clients(moto.endpoint)

            tf = LocalTerraform(moto.endpoint, work)
            tf.variables = terraform_variables(tf.tf_dir, moto.endpoint, args.zips, args.var)
            console.print(f"terraform init + apply of envs/local (log {tf.log_path}) ...")
            t0 = time.monotonic()
            tf.init()
            if not args.keep:
                stack.callback(destroy, tf, console)
            outputs = tf.apply(progress=terraform_progress(console))
            timings["terraform apply"] = time.monotonic() - t0
            console.print(f"terraform apply done ({timings['terraform apply']:.1f} s)")
            deployment = runtime.discover(clients, outputs)
            console.print("deployed: " + ", ".join(f"{k}={v}" for k, v in deployment.describe().items()))

            # handler logs and metrics (Powertools writes to stdout) go to a file
            functions_log = (work / "functions.log").open("a")
            stack.callback(functions_log.close)
            stack.callback(setattr, sys, "stdout", sys.stdout)
            sys.stdout = functions_log

            pipeline = LocalPipeline(clients, outputs, port=args.port)
            stack.callback(pipeline.stop)
            pipeline.start()
            harness, poller, mapping = pipeline.parts()
            console.print(
                f"test-harness queue {harness.arn} subscribed to the topic (raw delivery; not deployed)"
            )
            console.print(
                f"event source mapping {mapping.uuid}: batch {mapping.batch_size}, window "
                f"{mapping.batching_window_s:g} s, retries {mapping.max_retry_attempts}, bisect "
                f"{mapping.bisect_on_error}, partial failures {mapping.report_batch_item_failures}, "
                f"filters {json.dumps(list(mapping.filters))}, on failure {mapping.on_failure_destination}"
            )
            # pipeline-smoke / pipeline-secret --env local read the endpoint, the URL and the outputs here
            write_local_session(session_file, moto.endpoint, pipeline.url, deployment.secret_arn, outputs)
            stack.callback(session_file.unlink, missing_ok=True)
            console.print(
                f"webhook (local Function URL) on {pipeline.url}; handler logs in {work / 'functions.log'}"
            )

            summary: Summary | None = None
            if args.ticks > 0:
                t0 = time.monotonic()
                sender = FeedSender(pipeline.url, runtime.read_secret(clients, deployment.secret_arn))
                sender.progress = progress_printer(console, args.ticks, poller, harness)
                result = sender.run(RandomWalk(seed=args.seed), args.ticks, rate=args.rate)
                console.print(f"feed done: {result.sent} requests in {time.monotonic() - t0:.1f} s")
                wait_for_pipeline(pipeline, result.stored, console)
                timings["feed + enrichment"] = time.monotonic() - t0
                rows = scan_table(clients, deployment.table_name)
                failures = (
                    runtime.queue_messages(clients, deployment.failure_destination)
                    if deployment.failure_destination and ":sqs:" in deployment.failure_destination
                    else []
                )
                summary = Summary(result, rows, harness.bodies(), failures, poller.stats, timings)
                series = "#".join(MAIN_SERIES)
                summary.chart_path = str(
                    chart.plot_series(
                        series_rows(rows, series), f"{series}: price, SMA-5, SMA-20", work / "chart.png"
                    )
                )
                for line in summary.lines():
                    console.print(line)
                iam = pipeline.iam_report()
                console.print(iam.headline())
                for line in iam.table():
                    console.print(line)
                operator_iam, smoke_problems = run_operator_tools(pipeline, outputs, console)
                problems = (
                    summary.problems() + iam_problems(iam) + iam_problems(operator_iam) + smoke_problems
                )
                if problems:
                    console.print("problems: " + "; ".join(problems))
                    rc = 1
            if args.serve:
                serve_forever(console, pipeline.url, pipeline.secret, session_file)
        except KeyboardInterrupt:
            console.print("interrupted: stopping everything")
            rc = 130
        except (TerraformError, runtime.DeploymentError) as exc:
            console.print(f"error: {exc}")
            rc = 1
        except OSError as exc:  # e.g. --port already in use
            console.print(f"error: {exc}")
            rc = 1
        finally:
            shield()  # a second Ctrl-C must not cut the cleanup short
            console.print("cleaning up ...")
    console.print(f"done in {time.monotonic() - started:.1f} s")
    return rc


def iam_problems(report: iam_check.Report) -> list[str]:
    """A denied call fails in a real account; an unexplained unused grant is more than least privilege."""
    problems = [f"IAM denies {len(report.denied)} call(s)"] if report.denied else []
    if report.unexplained:
        problems.append("unused grants: " + ", ".join(f"{g.role} {g.action}" for g in report.unexplained))
    return problems


def run_operator_tools(
    pipeline: LocalPipeline, outputs: dict, console: Console
) -> tuple[iam_check.Report, list[str]]:
    """``make smoke ENV=local`` and a redrive of the (empty) on-failure queue as the operator, then
    the IAM line of the operator policy (operator_policy_json) for their calls."""
    operator, problems = OperatorSession(pipeline, outputs), []
    console.print("smoke test (pipeline-smoke --env local) as the operator:")
    try:
        smoke = operator.smoke(say=console.print)
        console.print(f"smoke test passed in {sum(seconds for _, seconds in smoke.steps):.2f} s")
    except OpsError as exc:
        console.print(f"error: {exc}")
        problems.append(str(exc))
    outcomes = operator.redrive()
    console.print(f"redrive as the operator: {len(outcomes)} message(s) in the on-failure queue")
    report = operator.report()
    console.print(report.headline().replace("IAM:", "IAM (operator policy):", 1))
    for line in report.table():
        console.print(line)
    return report, problems


def destroy(tf: LocalTerraform, console: Console) -> None:
    console.print("terraform destroy ...")
    try:
        tf.destroy(progress=terraform_progress(console))
        console.print(f"destroyed ({tf.timings.get('destroy', 0):.1f} s)")
    except TerraformError as exc:
        console.print(f"warning: {exc}")


def sign_command(session_file: Path) -> str:
    """How to call the signing helper from the repository root, as the user would type it."""
    python = Path(sys.executable)
    try:
        shown = str(python.relative_to(REPO_ROOT))
    except ValueError:
        shown = str(python)
    command = f"{shown} -m scripts.local.sign"
    if session_file.resolve() != (WORK_DIR / "session.json").resolve():
        command += f" --session {shlex.quote(str(session_file))}"
    return command


def serve_forever(console: Console, url: str, secret: str, session_file: Path) -> None:
    body = json.dumps(
        {"symbol": "BTC-USD", "price": "65000.50", "exchange": "binance", "event_id": "my-tick-1"}
    )
    console.print("")
    console.print(f"serving on {url}: send your own signed tick (Ctrl-C to stop). From {REPO_ROOT}:")
    console.print("")
    console.print(f"  BODY={shlex.quote(body)}")
    console.print(
        f'  curl -sS -X POST {url} -H "Content-Type: application/json" '
        f'-H "X-Signature: $({sign_command(session_file)} --body "$BODY")" --data-binary "$BODY"'
    )
    console.print(
        f"  (Standard Webhooks headers instead: {sign_command(session_file)} --standard --curl --body ...)"
    )
    console.print("")
    console.print("or, valid for the next 5 minutes:")
    console.print("  " + curl_command(url, body, signature_header(secret, body.encode("utf-8"))))
    console.print("")
    while True:
        time.sleep(3600)


@one_line
def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    console = Console(sys.stdout)
    with interrupts_as_keyboard_interrupt() as shield:
        return run(args, console, shield)


if __name__ == "__main__":
    sys.exit(main())
