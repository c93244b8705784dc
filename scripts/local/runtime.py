"""What Terraform deployed, found through the AWS APIs, and the handlers loaded to run on it.

The deployment is discovered from the Lambda configuration itself (the functions whose
``Handler`` is the one docs/design.md names, their environment, the enricher's event
source mapping, by the ``event_source_mapping_uuid`` output when there is one), so the
runtime runs what Terraform created; other ``terraform output`` values are cross-checked.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import secrets
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from scripts.local.aws import Clients, aws_env
from scripts.local.calls import CallLog
from scripts.local.context import FunctionInfo
from scripts.ops.topic_queue import subscribe_new_queue

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
LAMBDA_SRC = REPO_ROOT / "lambda_src"
WEBHOOK_HANDLER = "webhook_processor.handler.handler"
ENRICHER_HANDLER = "price_enricher.handler.handler"
HARNESS_QUEUE = "local-harness-notifications"

Handler = Callable[[dict[str, Any], Any], Any]


class DeploymentError(RuntimeError):
    pass


@dataclass(frozen=True)
class Deployment:
    webhook: FunctionInfo
    enricher: FunctionInfo
    mapping: dict[str, Any]
    table_name: str
    stream_arn: str
    topic_arn: str
    secret_arn: str
    failure_destination: str | None

    def describe(self) -> dict[str, Any]:
        return {
            "webhook_function": self.webhook.name,
            "enricher_function": self.enricher.name,
            "event_source_mapping": self.mapping["UUID"],
            "table": self.table_name,
            "stream": self.stream_arn,
            "topic": self.topic_arn,
            "secret": self.secret_arn,
            "on_failure_destination": self.failure_destination,
        }


def _functions(clients: Clients) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for page in clients("lambda").get_paginator("list_functions").paginate():
        found.extend(page.get("Functions", []))
    return found


def _one(functions: list[dict[str, Any]], handler: str) -> FunctionInfo:
    matching = [f for f in functions if f.get("Handler") == handler]
    if len(matching) != 1:
        names = [f["FunctionName"] for f in matching]
        raise DeploymentError(f"expected one function with handler {handler}, found {names or 'none'}")
    return FunctionInfo.from_configuration(matching[0])


def _stream_mapping(
    clients: Clients, enricher: FunctionInfo, stream_arn: str, uuid: str | None
) -> dict[str, Any]:
    """The enricher's mapping on the table's stream (by the UUID Terraform output, else by listing)."""
    lam = clients("lambda")
    if not uuid:
        found = []
        for page in lam.get_paginator("list_event_source_mappings").paginate(EventSourceArn=stream_arn):
            found.extend(page.get("EventSourceMappings", []))
        # FunctionArn may carry a qualifier; compare the unqualified ARN
        found = [m for m in found if ":".join(m.get("FunctionArn", "").split(":")[:7]) == enricher.arn]
        if len(found) != 1:
            raise DeploymentError(
                f"expected one mapping of {stream_arn} to {enricher.name}, found {len(found)}"
            )
        uuid = found[0]["UUID"]
    mapping = lam.get_event_source_mapping(UUID=uuid)
    mapping.pop("ResponseMetadata", None)
    if mapping["EventSourceArn"] != stream_arn:
        raise DeploymentError(
            f"mapping {uuid} reads {mapping['EventSourceArn']}, the table streams to {stream_arn}"
        )
    return dict(mapping)


def discover(clients: Clients, outputs: Mapping[str, Any] | None = None) -> Deployment:
    """Find the pipeline's parts in the account (moto) by the contract of docs/design.md."""
    functions = _functions(clients)
    webhook = _one(functions, WEBHOOK_HANDLER)
    enricher = _one(functions, ENRICHER_HANDLER)
    lam = clients("lambda")
    # the full configuration (list_functions may leave out parts of it)
    webhook = FunctionInfo.from_configuration(lam.get_function_configuration(FunctionName=webhook.name))
    enricher = FunctionInfo.from_configuration(lam.get_function_configuration(FunctionName=enricher.name))
    table_name = enricher.environment.get("TABLE_NAME") or webhook.environment.get("TABLE_NAME", "")
    if not table_name:
        raise DeploymentError("TABLE_NAME is not set on the functions")
    table = clients("dynamodb").describe_table(TableName=table_name)["Table"]
    stream_arn = table.get("LatestStreamArn", "")
    if not stream_arn:
        raise DeploymentError(f"table {table_name} has no stream")
    mapping = _stream_mapping(clients, enricher, stream_arn, (outputs or {}).get("event_source_mapping_uuid"))
    deployment = Deployment(
        webhook=webhook,
        enricher=enricher,
        mapping=mapping,
        table_name=table_name,
        stream_arn=stream_arn,
        topic_arn=enricher.environment.get("TOPIC_ARN", ""),
        secret_arn=webhook.environment.get("WEBHOOK_SECRET_ARN", ""),
        failure_destination=((mapping.get("DestinationConfig") or {}).get("OnFailure") or {}).get(
            "Destination"
        ),
    )
    if outputs:
        _cross_check(deployment, outputs)
    return deployment


def _cross_check(deployment: Deployment, outputs: Mapping[str, Any]) -> None:
    """Warn when a terraform output names something other than what the runtime found."""
    expected = {
        "table_name": deployment.table_name,
        "stream_arn": deployment.stream_arn,
        "topic_arn": deployment.topic_arn,
        "webhook_secret_arn": deployment.secret_arn,
        "webhook_function_name": deployment.webhook.name,
        "enricher_function_name": deployment.enricher.name,
        "on_failure_queue_arn": deployment.failure_destination,
    }
    for name, value in expected.items():
        if name in outputs and outputs[name] != value:
            log.warning(
                "terraform output %s=%s, the deployed configuration says %s", name, outputs[name], value
            )


def function_environment(functions: list[FunctionInfo], endpoint: str) -> dict[str, str]:
    """The handlers' environment: each function's variables, then moto's endpoint and fake credentials."""
    env: dict[str, str] = {}
    for function in functions:
        for key, value in function.environment.items():
            if key in env and env[key] != value:
                log.info("%s differs between the functions; %s keeps %s's value", key, function.name, key)
            env[key] = value
    env.update(aws_env(endpoint))
    return env


def load_handler(function: FunctionInfo, endpoint: str, calls: CallLog | None = None) -> Handler:
    """Import ``function.handler`` from lambda_src with the function's environment applied.

    Both handlers share this process: each module is imported with its own function's
    variables in ``os.environ`` (import-time reads such as the Powertools service name get
    the right value); the union stays for the lazy reads at invocation time. With ``calls``,
    every AWS call an invocation makes is recorded as the function's.
    """
    if str(LAMBDA_SRC) not in sys.path:
        sys.path.insert(0, str(LAMBDA_SRC))
    os.environ.update(function.environment)
    os.environ.update(aws_env(endpoint))
    module_name, _, attribute = function.handler.rpartition(".")
    # a cold start: a fresh import of the function's package (nothing cached from an earlier
    # import in this process, such as clients bound to another endpoint) and a fresh default
    # boto3 session that reads the environment above
    package = module_name.split(".", 1)[0]
    for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
        del sys.modules[name]
    boto3.DEFAULT_SESSION = None
    if calls is not None:
        boto3.setup_default_session()
        calls.watch(boto3.DEFAULT_SESSION.events)
    module = importlib.import_module(module_name)
    handler = getattr(module, attribute)
    if not callable(handler):
        raise DeploymentError(f"{function.handler} is not callable")
    return calls.wrap(function.name, handler) if calls is not None else handler


def install_secret(clients: Clients, secret_arn: str) -> str:
    """Give the webhook a fresh signing secret (a new AWSCURRENT version) and read it back."""
    manager = clients("secretsmanager")
    manager.put_secret_value(SecretId=secret_arn, SecretString=secrets.token_urlsafe(32))
    return manager.get_secret_value(SecretId=secret_arn, VersionStage="AWSCURRENT")["SecretString"]


def read_secret(clients: Clients, secret_arn: str) -> str:
    return clients("secretsmanager").get_secret_value(SecretId=secret_arn, VersionStage="AWSCURRENT")[
        "SecretString"
    ]


class HarnessQueue:
    """A test-harness SQS queue subscribed to the topic (raw delivery): not part of the deployment."""

    def __init__(self, clients: Clients, topic_arn: str, name: str = HARNESS_QUEUE) -> None:
        self.clients = clients
        self.topic_arn = topic_arn
        queue = subscribe_new_queue(clients, topic_arn, name)
        self.url, self.arn, self.subscription_arn = queue.url, queue.arn, queue.subscription_arn
        self.messages: list[dict[str, Any]] = []

    def drain(self) -> list[dict[str, Any]]:
        """Receive (and delete) whatever is in the queue now; returns the new messages."""
        sqs = self.clients("sqs")
        new: list[dict[str, Any]] = []
        while True:
            reply = sqs.receive_message(
                QueueUrl=self.url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], WaitTimeSeconds=0
            )
            batch = reply.get("Messages", [])
            if not batch:
                break
            new.extend(batch)
            sqs.delete_message_batch(
                QueueUrl=self.url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)],
            )
        self.messages.extend(new)
        return new

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(message["Body"]) for message in self.messages]

    def delete(self) -> None:
        try:
            self.clients("sns").unsubscribe(SubscriptionArn=self.subscription_arn)
        finally:
            self.clients("sqs").delete_queue(QueueUrl=self.url)


def queue_url(clients: Clients, arn: str) -> str:
    _, _, _, _, account, name = arn.split(":", 5)
    return clients("sqs").get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]


def queue_messages(clients: Clients, arn: str, delete: bool = False) -> list[dict[str, Any]]:
    """Every message currently in a queue (received with a short visibility timeout)."""
    sqs = clients("sqs")
    url = queue_url(clients, arn)
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    while True:
        reply = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30, WaitTimeSeconds=0
        )
        batch = [m for m in reply.get("Messages", []) if m["MessageId"] not in seen]
        if not batch:
            break
        for message in batch:
            seen.add(message["MessageId"])
            found.append(message)
            if delete:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    if not delete and found:
        for message in found:  # make them visible again for the operator (or a redrive)
            sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
    return found
