"""Every AWS call a function's role makes in the local runtime, as (principal, IAM action, resource ARN).

A real account authorises each call against the caller's role; moto does not. The runtime
records what a role would be asked for, so :mod:`scripts.local.iam_check` can evaluate it
against the policies Terraform attached. Calls are seen at botocore's
``before-parameter-build`` event, before any request is sent, on the boto3 sessions the
handlers and the stream poller use; calls made outside a handler invocation (the harness
reading the table, say) are not a role's and are not recorded.

An API operation is mapped to the IAM action its authorisation uses, which is not always
its own name: ``sns:PublishBatch`` is authorised as ``sns:Publish``,
``sqs:SendMessageBatch`` as ``sqs:SendMessage``, a transaction as each of its items'
actions, and the DynamoDB Streams API has the ``dynamodb`` prefix.
"""

from __future__ import annotations

import contextvars
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

#: boto3 service name -> IAM service prefix, where they differ
IAM_PREFIX = {"dynamodbstreams": "dynamodb"}

#: (IAM prefix, operation) -> the IAM action that authorises it, where it is not the operation's name
ACTION_OF = {
    ("lambda", "Invoke"): "lambda:InvokeFunction",
    ("sns", "PublishBatch"): "sns:Publish",
    ("sqs", "SendMessageBatch"): "sqs:SendMessage",
    ("sqs", "DeleteMessageBatch"): "sqs:DeleteMessage",
    ("sqs", "ChangeMessageVisibilityBatch"): "sqs:ChangeMessageVisibility",
}

#: a TransactWriteItems item kind -> the IAM action that authorises it
TRANSACT_ACTION = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}


@dataclass(frozen=True, order=True)
class Call:
    """One authorisation a role needs: ``action`` on ``resource`` by ``principal`` (a function name)."""

    principal: str
    action: str
    resource: str
    #: who makes the call with the role: the function's code, or AWS on its behalf
    via: str = "handler"


@dataclass(frozen=True)
class Where:
    region: str
    account: str

    def table(self, name: str, index: str | None = None) -> str:
        arn = f"arn:aws:dynamodb:{self.region}:{self.account}:table/{name}"
        return f"{arn}/index/{index}" if index else arn

    def function(self, name: str) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{name}"

    def queue(self, url: str) -> str:
        account, name = urlparse(url).path.strip("/").split("/")[-2:]
        return f"arn:aws:sqs:{self.region}:{account}:{name}"


def authorisations(
    service: str,
    operation: str,
    params: dict[str, Any],
    where: Where,
    stream_of: dict[str, str] | None = None,
) -> list[tuple[str, str]]:
    """The (action, resource) pairs one API call is authorised as.

    ``stream_of`` maps the shard iterators seen so far to their stream: ``GetRecords`` names
    only an iterator, and is authorised on the stream the iterator was issued for.
    """
    prefix = IAM_PREFIX.get(service, service)
    action = ACTION_OF.get((prefix, operation), f"{prefix}:{operation}")
    if prefix == "dynamodb":
        if "StreamArn" in params:
            return [(action, params["StreamArn"])]
        if "ShardIterator" in params:
            return [(action, (stream_of or {}).get(params["ShardIterator"], "unknown shard iterator"))]
        if operation == "TransactWriteItems":
            return [
                (TRANSACT_ACTION[kind], where.table(body["TableName"]))
                for item in params.get("TransactItems", [])
                for kind, body in item.items()
            ]
        if operation in ("BatchWriteItem", "BatchGetItem"):
            return [(action, where.table(name)) for name in params.get("RequestItems", {})]
        if "TableName" in params:
            return [(action, where.table(params["TableName"], params.get("IndexName")))]
        return [(action, "*")]
    if prefix == "sns":
        if "SubscriptionArn" in params:  # Unsubscribe, subscription attributes: the subscription's topic
            return [(action, params["SubscriptionArn"].rsplit(":", 1)[0])]
        return [(action, params.get("TopicArn") or params.get("TargetArn") or "*")]
    if prefix == "sqs":
        if "QueueUrl" in params:
            return [(action, where.queue(params["QueueUrl"]))]
        if "QueueName" in params:  # CreateQueue, GetQueueUrl: the queue of that name in this account
            return [(action, f"arn:aws:sqs:{where.region}:{where.account}:{params['QueueName']}")]
        return [(action, "*")]
    if prefix == "lambda" and "FunctionName" in params:
        name = params["FunctionName"]
        return [(action, name if name.startswith("arn:") else where.function(name))]
    if prefix == "secretsmanager":
        return [(action, params.get("SecretId", "*"))]
    if prefix == "kms":
        return [(action, params.get("KeyId", "*"))]
    return [(action, "*")]


class CallLog:
    """Thread-safe counts of :class:`Call` s, fed by the sessions :meth:`watch` is given."""

    def __init__(self, where: Where) -> None:
        self.where = where
        self.counts: Counter[Call] = Counter()
        self.invocations: Counter[str] = Counter()
        self._stream_of: dict[str, str] = {}
        self._lock = threading.Lock()
        self._principal: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar(
            "call_log_principal", default=None
        )

    def add(self, call: Call, times: int = 1) -> None:
        with self._lock:
            self.counts[call] += times

    @contextmanager
    def acting_as(self, principal: str, via: str = "handler") -> Iterator[None]:
        """Calls made in this block (this thread) are ``principal``'s."""
        token = self._principal.set((principal, via))
        try:
            yield
        finally:
            self._principal.reset(token)

    def watch(self, events: Any, principal: str | None = None, via: str = "handler") -> None:
        """Record the calls of clients created later from the session that owns ``events``.

        With ``principal``, every call is that principal's (a session used only for one role);
        otherwise only calls made inside :meth:`acting_as` are recorded.
        """

        def on_call(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
            who = (principal, via) if principal else self._principal.get()
            if who is None:
                return
            service = model.service_model.service_name
            pairs = authorisations(service, model.name, params, self.where, self._stream_of)
            if service == "dynamodbstreams":
                # the stream a returned iterator belongs to, for the GetRecords calls that use it
                context["call_log_stream"] = pairs[0][1]
            for action, resource in pairs:
                self.add(Call(who[0], action, resource, who[1]))

        def after_call(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
            stream = context.get("call_log_stream")
            if not stream or not isinstance(parsed, dict):
                return
            with self._lock:
                for name in ("ShardIterator", "NextShardIterator"):
                    if parsed.get(name):
                        self._stream_of[parsed[name]] = stream

        events.register("before-parameter-build", on_call)
        events.register("after-call", after_call)

    def wrap(self, principal: str, handler: Callable[[dict[str, Any], Any], Any]) -> Callable[..., Any]:
        """``handler``, its calls recorded as ``principal``'s."""

        def recorded(event: dict[str, Any], context: Any) -> Any:
            with self._lock:
                self.invocations[principal] += 1
            with self.acting_as(principal):
                return handler(event, context)

        recorded.__wrapped__ = handler  # type: ignore[attr-defined]
        return recorded

    def total(self) -> int:
        with self._lock:
            return sum(self.counts.values())

    def distinct(self) -> list[Call]:
        with self._lock:
            return sorted(self.counts)
