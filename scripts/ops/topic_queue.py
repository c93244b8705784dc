"""A new SQS queue subscribed to an SNS topic with raw delivery: the smoke test's temporary queue
and the local harness's. Its policy lets only that topic send to it."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TopicQueue:
    url: str
    arn: str
    subscription_arn: str


def queue_policy(queue_arn: str, topic_arn: str) -> str:
    """SNS may send to the queue for this topic only (aws:SourceArn)."""
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def subscribe_new_queue(
    clients: Callable[[str], Any], topic_arn: str, name: str, attributes: dict[str, str] | None = None
) -> TopicQueue:
    """Create queue ``name`` in the topic's account and region (no KMS key: SNS needs no grant to
    deliver to it), allow the topic, subscribe it. A failed subscribe deletes the queue again."""
    partition, _, region, account = topic_arn.split(":")[1:5]
    arn = f"arn:{partition}:sqs:{region}:{account}:{name}"
    sqs = clients("sqs")
    url = sqs.create_queue(QueueName=name, Attributes=attributes or {})["QueueUrl"]
    try:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": queue_policy(arn, topic_arn)})
        subscription = clients("sns").subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=arn,
            Attributes={"RawMessageDelivery": "true"},
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]
    except Exception:
        sqs.delete_queue(QueueUrl=url)
        raise
    return TopicQueue(url, arn, subscription)
