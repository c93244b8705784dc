"""Fixtures for the handler tests: moto in-process, the table per docs/design.md, the
signing secret, the SNS topic with a raw-delivery SQS subscription, and helpers to sign
requests and to read the table's real stream."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer
from moto import mock_aws

from price_enricher import clients as enricher_clients
from price_enricher import handler as enricher
from pricing.keys import TOMBSTONE, is_stored_tick, is_tombstone
from scripts.local import moto_transactions
from scripts.price_table import table_definition
from tests.support.stream_reader import StreamReader
from webhook_processor import clients as webhook_clients
from webhook_processor import handler as webhook

REGION = "us-east-1"
# A cancelled transaction must leave the table's stream readable, as in DynamoDB.
moto_transactions.install()
SECRET = "whsec-current-0123456789"
# the attributes Powertools' inject_lambda_context reads from the Lambda context
CONTEXT = SimpleNamespace(
    aws_request_id="req-test",
    function_name="test",
    memory_limit_in_mb=128,
    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:test",
)


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials, a region, no account-id endpoints (boto3 >= 1.40 vs moto), fresh caches."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "POWERTOOLS_METRICS_NAMESPACE": "Test",
    }.items():
        monkeypatch.setenv(name, value)
    for name in (
        "AWS_PROFILE",
        "TICK_TTL_DAYS",
        "MAX_BODY_BYTES",
        "MAX_BATCH_TICKS",
        "SECRET_CACHE_TTL_SECONDS",
    ):
        monkeypatch.delenv(name, raising=False)
    # One session for the handlers' clients, one for the tests' own: a botocore session
    # caches service models, and reloading them for every test dominated the run time.
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", _session("handlers"))
    webhook_clients.reset()
    enricher_clients.reset()
    webhook.SECRETS.clear()


@functools.cache
def _session(purpose: str) -> boto3.session.Session:
    return boto3.session.Session(region_name=REGION)


@functools.cache
def _client(service: str) -> Any:
    """The tests' own clients, created once (moto 5 intercepts clients created before a mock)."""
    return _session("tests").client(service, region_name=REGION)


@dataclass
class Aws:
    """The mocked account: resources and a session of the test's own (not counted)."""

    session: boto3.session.Session
    table: str = "prices"
    secret_arn: str = ""
    topic_arn: str = ""
    queue_url: str = ""
    stream_arn: str = ""
    _stream: StreamReader | None = None

    def client(self, service: str) -> Any:
        return _client(service)

    # --- table -------------------------------------------------------------------
    def items(self) -> list[dict[str, Any]]:
        """Every tick row, deserialised (numbers as Decimal); claims and tombstones left out."""
        return [row for row in self.all_items() if is_stored_tick(row)]

    def tombstones(self) -> list[dict[str, Any]]:
        """The tombstones a takeover left at tick keys (pricing.keys.TOMBSTONE)."""
        return [row for row in self.all_items() if is_tombstone(row)]

    def claims(self) -> list[dict[str, Any]]:
        """The event-id claims (``sk`` ``e#<event_id>``)."""
        return [row for row in self.all_items() if row["sk"].startswith("e#")]

    def all_items(self) -> list[dict[str, Any]]:
        """Every item, deserialised (numbers as Decimal)."""
        deserializer = TypeDeserializer()
        return [{k: deserializer.deserialize(v) for k, v in i.items()} for i in self._scan()]

    def _scan(self, **projection: Any) -> Iterator[dict[str, Any]]:
        """Every item of the table, low-level, each page read consistently."""
        ddb, kwargs = self.client("dynamodb"), {"TableName": self.table, "ConsistentRead": True, **projection}
        while True:
            page = ddb.scan(**kwargs)
            yield from page["Items"]
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def item(self, pk: str, sk: str) -> dict[str, Any] | None:
        got = self.client("dynamodb").get_item(
            TableName=self.table, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True
        )
        if "Item" not in got:
            return None
        return {k: TypeDeserializer().deserialize(v) for k, v in got["Item"].items()}

    def count(self) -> int:
        """Tick rows in the table. Each row is read as what ``is_stored_tick`` looks at (its keys and
        tombstone mark), not whole: a property test counts the table twice per example."""
        names = {"#pk": "pk", "#sk": "sk", "#tombstone": TOMBSTONE}
        rows = self._scan(ProjectionExpression="#pk, #sk, #tombstone", ExpressionAttributeNames=names)
        return sum(1 for row in rows if is_stored_tick(row))

    # --- stream ------------------------------------------------------------------
    def stream_records(self) -> list[dict[str, Any]]:
        """Records added to the real (moto) stream since the last call, oldest first."""
        if self._stream is None:
            self._stream = StreamReader(self.client("dynamodbstreams"), self.stream_arn)
        return self._stream.new_records()

    # --- notifications -----------------------------------------------------------
    def deliveries(self) -> list[dict[str, Any]]:
        """Messages delivered to the topic's SQS subscriber (raw delivery), consumed."""
        sqs, out = self.client("sqs"), []
        while True:
            got = sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
            ).get("Messages", [])
            if not got:
                return out
            for message in got:
                out.append(
                    {
                        "body": json.loads(message["Body"]),
                        "attributes": {
                            k: v["StringValue"] for k, v in message.get("MessageAttributes", {}).items()
                        },
                    }
                )
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    """moto with the table, secret, topic and subscriber queue; env vars of both functions set."""
    with mock_aws():
        env = Aws(session=_session("tests"))
        ddb = env.client("dynamodb")
        table = ddb.create_table(**table_definition(env.table))
        env.stream_arn = table["TableDescription"]["LatestStreamArn"]
        env.secret_arn = env.client("secretsmanager").create_secret(Name="webhook", SecretString=SECRET)[
            "ARN"
        ]
        env.topic_arn = env.client("sns").create_topic(Name="prices")["TopicArn"]
        sqs = env.client("sqs")
        env.queue_url = sqs.create_queue(QueueName="subscriber")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=env.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        env.client("sns").subscribe(
            TopicArn=env.topic_arn,
            Protocol="sqs",
            Endpoint=queue_arn,
            Attributes={"RawMessageDelivery": "true"},
        )
        monkeypatch.setenv("TABLE_NAME", env.table)
        monkeypatch.setenv("WEBHOOK_SECRET_ARN", env.secret_arn)
        monkeypatch.setenv("TOPIC_ARN", env.topic_arn)
        yield env


# --- requests ------------------------------------------------------------------------


def signature_header(body: bytes, secret: str = SECRET, t: int | None = None) -> str:
    """A valid X-Signature for ``body`` (at time ``t``, default now).

    Computed here from the protocol of docs/design.md (``t=<unix seconds>,v1=<hex
    HMAC-SHA256(secret, "<t>." + body)>``) with hashlib/hmac, not with the code under test,
    so a change of the protocol in lambda_src fails the handler tests.
    """
    t = int(time.time()) if t is None else t
    digest = hmac.new(secret.encode("utf-8"), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def standard_headers(
    body: bytes, msg_id: str, key: bytes = SECRET.encode(), t: int | None = None
) -> dict[str, str]:
    """Valid Standard Webhooks headers for ``body`` under the raw ``key`` (at time ``t``, default now).

    Computed here from the specification (``webhook-signature: v1,<base64 HMAC-SHA256(key,
    "<id>.<t>." + body)>``) with hashlib/hmac/base64, not with the code under test nor the
    reference library, so a change of the protocol on either side fails the tests.
    """
    t = int(time.time()) if t is None else t
    digest = hmac.new(key, f"{msg_id}.{t}.".encode() + body, hashlib.sha256).digest()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(t),
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }


def url_event(
    body: bytes | str | None,
    *,
    headers: dict[str, str] | None = None,
    method: str = "POST",
    b64: bool = False,
) -> dict[str, Any]:
    """A Function URL (payload 2.0) event."""
    if isinstance(body, bytes):
        text: str | None = base64.b64encode(body).decode() if b64 else body.decode("utf-8")
    else:
        text = body
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/",
        "headers": headers or {},
        "requestContext": {"http": {"method": method, "path": "/"}, "requestId": "r"},
        "body": text,
        "isBase64Encoded": b64,
    }


#: The event time :func:`tick_body` gives a tick unless told otherwise (2024-05-01T12:00:00Z).
TICK_TS = 1_714_564_800_000


def tick_body(**fields: Any) -> bytes:
    """JSON bytes of a BTC-USD/binance tick at :data:`TICK_TS`; ``field=...`` leaves a default out."""
    payload: dict[str, Any] = {
        "symbol": "BTC-USD",
        "price": "65000.5",
        "exchange": "binance",
        "timestamp": TICK_TS,
    }
    payload.update(fields)
    return json.dumps({k: v for k, v in payload.items() if v is not ...}).encode()


def post(
    body: bytes, *, secret: str = SECRET, b64: bool = False, **headers: str
) -> tuple[int, dict[str, Any]]:
    """Sign and POST ``body`` to the webhook handler; (status, JSON answer)."""
    all_headers = {"x-signature": signature_header(body, secret), **headers}
    answer = webhook.handler(url_event(body, headers=all_headers, b64=b64), CONTEXT)
    return answer["statusCode"], json.loads(answer["body"])


def send(body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """POST ``body`` with exactly ``headers`` to the webhook handler; (status, JSON answer)."""
    answer = webhook.handler(url_event(body, headers=headers), CONTEXT)
    return answer["statusCode"], json.loads(answer["body"])


def enrich(records: list[dict[str, Any]]) -> list[str]:
    """Run the enricher on ``records``; the failed sequence numbers."""
    answer = enricher.handler({"Records": records}, CONTEXT)
    return [item["itemIdentifier"] for item in answer["batchItemFailures"]]
