"""The operator's tools run against the local deployment, their AWS calls recorded for the
IAM-by-execution check against the module's ``operator_policy_json`` output.

The tools are the product's own (``pipeline-smoke``'s :class:`~scripts.ops.smoke.Smoke`,
``pipeline-secret``'s rotate and revoke, ``pipeline-redrive``'s :class:`~scripts.redrive.core.Redriver`),
given clients whose calls are recorded as the ``operator`` principal's. The one stand-in: the
redrive invokes the local runtime's enricher in this process, and records the
``lambda:InvokeFunction`` that ``pipeline-redrive`` makes on the deployed function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scripts.local import iam_check, runtime
from scripts.local.aws import Clients
from scripts.local.calls import Call, CallLog, Where
from scripts.local.pipeline import LocalPipeline
from scripts.local.redrive import InProcessInvoker
from scripts.ops import secret as pipeline_secret
from scripts.ops.smoke import Smoke
from scripts.ops.target import Target
from scripts.redrive.core import Outcome, Redriver

OPERATOR = "operator"


@dataclass
class OperatorSession:
    """Clients of the operator's role on the local moto server, every call recorded."""

    pipeline: LocalPipeline
    outputs: Mapping[str, Any]
    calls: CallLog = field(init=False)
    clients: Clients = field(init=False)

    def __post_init__(self) -> None:
        deployment = self.pipeline.deployment
        if deployment is None:
            raise RuntimeError("the pipeline is not started")
        self.account = deployment.webhook.arn.split(":")[4]
        self.calls = CallLog(Where(self.pipeline.clients.region, self.account))
        self.clients = Clients(self.pipeline.clients.endpoint, self.pipeline.clients.region)
        self.calls.watch(self.clients.events, principal=OPERATOR, via="operator tool")

    def target(self) -> Target:
        """What ``pipeline-smoke --env local`` resolves: outputs, these clients, the local Function URL."""
        return Target("local", dict(self.outputs), self.clients, self.pipeline.url)

    def smoke(self, say: Callable[[str], None] = print, timeout_s: float = 60) -> Smoke:
        smoke = Smoke(self.target(), timeout_s=timeout_s, poll_s=0.2, say=say)
        smoke.run()
        return smoke

    def rotate_and_revoke(self) -> tuple[pipeline_secret.Rotation, str | None]:
        client, secret_id = self.clients("secretsmanager"), str(self.outputs["webhook_secret_arn"])
        return pipeline_secret.rotate(client, secret_id), pipeline_secret.revoke(client, secret_id)

    def redrive(self, max_messages: int = 10) -> list[Outcome]:
        """``pipeline-redrive`` of the on-failure queue, replaying into the running enricher."""
        _, poller, mapping = self.pipeline.parts()
        deployment = self.pipeline.deployment
        assert deployment is not None
        invoker = InProcessInvoker(poller.handler, deployment.enricher)

        def invoke(event: dict[str, Any]) -> list[str]:
            self.calls.add(Call(OPERATOR, "lambda:InvokeFunction", deployment.enricher.arn, "operator tool"))
            return invoker(event)

        # the operator passes --queue-url (an output): looking it up is the harness's call, not the role's
        queue_url = runtime.queue_url(self.pipeline.clients, mapping.on_failure_destination or "")
        redriver = Redriver(
            sqs=self.clients("sqs"),
            streams=self.clients("dynamodbstreams"),
            ddb=self.clients("dynamodb"),
            queue_url=queue_url,
            invoker_for=lambda info: invoke,
        )
        return redriver.run(max_messages)

    def report(self) -> iam_check.Report:
        """The operator's calls so far against the operator_policy_json output."""
        return iam_check.check_policy(
            self.calls, self.pipeline.clients, OPERATOR, self.outputs["operator_policy_json"], self.account
        )
