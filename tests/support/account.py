"""The pipeline's AWS resources per docs/design.md, created directly on moto (no Terraform).

Used where Terraform's minute of ``apply`` is not what is measured: the in-process
benchmarks (``mock_aws``) and the load and fault tests (a moto server). ``Stack.create``
takes a client factory, so the same code serves both. The subscriber queue plays a
consumer of the topic (raw delivery); the on-failure queue is the event source
mapping's destination.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from pricing.keys import is_stored_tick
from scripts.price_table import table_definition
from tests.support.stream_reader import StreamReader

ClientFactory = Callable[[str], Any]
_DESERIALIZER = TypeDeserializer()


def plain(item: dict[str, Any]) -> dict[str, Any]:
    """A low-level DynamoDB item as Python values (numbers as Decimal)."""
    return {key: _DESERIALIZER.deserialize(value) for key, value in item.items()}


@dataclass
class Stack:
    """Table + stream, signing secret, topic, subscriber queue and on-failure queue."""

    clients: ClientFactory
    table: str
    stream_arn: str
    secret: str
    secret_arn: str
    topic_arn: str
    subscriber_url: str
    failure_queue_url: str
    failure_queue_arn: str
    _stream: StreamReader | None = None

    @classmethod
    def create(cls, clients: ClientFactory, prefix: str | None = None) -> Stack:
        prefix = prefix or f"bench-{uuid.uuid4().hex[:8]}"
        ddb, sqs, sns = clients("dynamodb"), clients("sqs"), clients("sns")
        table = ddb.create_table(**table_definition(f"{prefix}-ticks"))["TableDescription"]
        secret = secrets.token_urlsafe(32)
        secret_arn = clients("secretsmanager").create_secret(Name=f"{prefix}/webhook", SecretString=secret)[
            "ARN"
        ]
        topic_arn = sns.create_topic(Name=f"{prefix}-enriched")["TopicArn"]
        subscriber_url = sqs.create_queue(QueueName=f"{prefix}-subscriber")["QueueUrl"]
        subscriber_arn = _queue_arn(sqs, subscriber_url)
        sns.subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=subscriber_arn,
            Attributes={"RawMessageDelivery": "true"},
        )
        failure_url = sqs.create_queue(QueueName=f"{prefix}-on-failure")["QueueUrl"]
        return cls(
            clients=clients,
            table=table["TableName"],
            stream_arn=table["LatestStreamArn"],
            secret=secret,
            secret_arn=secret_arn,
            topic_arn=topic_arn,
            subscriber_url=subscriber_url,
            failure_queue_url=failure_url,
            failure_queue_arn=_queue_arn(sqs, failure_url),
        )

    def function_env(self) -> dict[str, str]:
        """The variables both functions read (docs/design.md)."""
        return {
            "TABLE_NAME": self.table,
            "WEBHOOK_SECRET_ARN": self.secret_arn,
            "TOPIC_ARN": self.topic_arn,
            "POWERTOOLS_METRICS_NAMESPACE": "Bench",
        }

    # --- table ---------------------------------------------------------------------
    def rows(self) -> list[dict[str, Any]]:
        """Every tick row (consistent scan), as Python values; claims and tombstones left out."""
        return [row for row in self.items() if is_stored_tick(row)]

    def items(self) -> list[dict[str, Any]]:
        """Every item (consistent scan), as Python values."""
        ddb = self.clients("dynamodb")
        out: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"TableName": self.table, "ConsistentRead": True}
        while True:
            page = ddb.scan(**kwargs)
            out.extend(plain(item) for item in page["Items"])
            if "LastEvaluatedKey" not in page:
                return out
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def row(self, pk: str, sk: str) -> dict[str, Any] | None:
        got = self.clients("dynamodb").get_item(
            TableName=self.table, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True
        )
        return plain(got["Item"]) if "Item" in got else None

    # --- stream --------------------------------------------------------------------
    def stream_records(self) -> list[dict[str, Any]]:
        """Stream records (Streams API shape) added since the last call, oldest first."""
        if self._stream is None:
            self._stream = StreamReader(self.clients("dynamodbstreams"), self.stream_arn)
        return self._stream.new_records()

    # --- queues --------------------------------------------------------------------
    def drain(self, queue_url: str | None = None) -> list[dict[str, Any]]:
        """Receive and delete every message now in a queue (default: the subscriber's)."""
        sqs = self.clients("sqs")
        url = queue_url or self.subscriber_url
        out: list[dict[str, Any]] = []
        while True:
            batch = sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=10,
                MessageAttributeNames=["All"],
                AttributeNames=["SentTimestamp"],
            ).get("Messages", [])
            if not batch:
                return out
            out.extend(batch)
            sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)],
            )

    def notifications(self) -> list[dict[str, Any]]:
        """Bodies of the notifications delivered to the subscriber since the last call."""
        return [json.loads(message["Body"]) for message in self.drain()]


def _queue_arn(sqs: Any, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
