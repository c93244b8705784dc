"""The runtime side of a deployed stack: both handlers in-process, the local Function URL,
the stream poller playing the event source mapping, and the test-harness topic queue."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from scripts.local import iam_check, runtime
from scripts.local.aws import Clients, use_moto_env
from scripts.local.calls import CallLog, Where
from scripts.local.http_server import FunctionUrlServer
from scripts.local.poller import MappingConfig, StreamPoller


class LocalPipeline:
    """Start with :meth:`start`, always :meth:`stop` (also after a failed start)."""

    def __init__(
        self,
        clients: Clients,
        outputs: Mapping[str, Any] | None = None,
        port: int = 0,
        poll_interval_s: float = 0.25,
    ) -> None:
        self.clients = clients
        self.outputs = dict(outputs or {})
        self.port = port
        self.poll_interval_s = poll_interval_s
        self.deployment: runtime.Deployment | None = None
        self.secret = ""
        self.mapping: MappingConfig | None = None
        self.harness: runtime.HarnessQueue | None = None
        self.poller: StreamPoller | None = None
        self.server: FunctionUrlServer | None = None
        self.calls: CallLog | None = None

    def start(self) -> LocalPipeline:
        """Discover the deployment, give the webhook a fresh secret, load the handlers, serve and poll.

        Sets this process's environment: moto's endpoint, fake credentials, and the
        functions' own variables (the handlers read them).
        """
        use_moto_env(self.clients.endpoint)
        deployment = self.deployment = runtime.discover(self.clients, self.outputs)
        # set before the first request: the webhook caches the secret per container
        self.secret = runtime.install_secret(self.clients, deployment.secret_arn)
        calls = self.calls = CallLog(Where(self.clients.region, deployment.webhook.arn.split(":")[4]))
        webhook = runtime.load_handler(deployment.webhook, self.clients.endpoint, calls)
        enricher = runtime.load_handler(deployment.enricher, self.clients.endpoint, calls)
        self.harness = runtime.HarnessQueue(self.clients, deployment.topic_arn)
        self.mapping = MappingConfig.from_api(deployment.mapping)
        # the event source mapping reads the stream and sends failures with the enricher's role
        mapping_clients = Clients(self.clients.endpoint, self.clients.region)
        calls.watch(mapping_clients.events, principal=deployment.enricher.name, via="event source mapping")
        self.poller = StreamPoller(
            self.mapping,
            enricher,
            deployment.enricher,
            self.clients,
            poll_interval_s=self.poll_interval_s,
            role_clients=mapping_clients,
        ).start()
        self.server = FunctionUrlServer(webhook, deployment.webhook, port=self.port).start()
        return self

    def stop(self) -> None:
        server, self.server = self.server, None
        poller, self.poller = self.poller, None
        harness, self.harness = self.harness, None
        if server is not None:
            server.stop()
        if poller is not None:
            poller.stop()
        if harness is not None:
            harness.delete()

    def iam_report(self) -> iam_check.Report:
        """Every call the functions' roles made so far, evaluated against the policies on the server."""
        if self.calls is None or self.deployment is None:
            raise RuntimeError("the pipeline is not started")
        functions = (self.deployment.webhook.name, self.deployment.enricher.name)
        return iam_check.check(self.calls, self.clients, functions)

    @property
    def url(self) -> str:
        if self.server is None:
            raise RuntimeError("the pipeline is not started")
        return self.server.url

    def parts(self) -> tuple[runtime.HarnessQueue, StreamPoller, MappingConfig]:
        """The harness queue, the poller and the mapping settings of a started pipeline."""
        if self.harness is None or self.poller is None or self.mapping is None:
            raise RuntimeError("the pipeline is not started")
        return self.harness, self.poller, self.mapping

    def wait_for_notifications(
        self, expected: int, timeout_s: float = 90, status: Callable[[int], None] | None = None
    ) -> bool:
        """Until nothing is pending in the poller and the harness queue holds ``expected`` messages."""
        harness, poller, _ = self.parts()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            harness.drain()
            got = len(harness.messages)
            if status is not None:
                status(got)
            if got >= expected and poller.pending == 0:
                return True
            time.sleep(0.2)
        return False
