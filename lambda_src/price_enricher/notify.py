"""Success notifications: one SNS message per enrichment or revision of a tick, via PublishBatch.

Lambda destinations do not fire for stream-invoked functions, so the enricher publishes
itself. Every message carries a ``notification_id`` (``"<pk>|<sk>"``, the same for every
message about one tick) and a ``revision`` (1 for the first enrichment, +1 each time a
late tick changes the tick's indicators): a subscriber keeps, per ``notification_id``,
the message with the highest revision, and drops repeats of one it has (replays send the
same pair again). On a FIFO topic the pair also makes the MessageDeduplicationId.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

#: SNS PublishBatch takes at most 10 entries.
BATCH = 10

logger = Logger(child=True)


@dataclass(frozen=True, slots=True)
class Notification:
    """A message about one revision of one tick; ``owner`` is the record it is sent for."""

    notification_id: str
    pk: str
    sk: str
    symbol: str
    exchange: str
    ts: int
    price: Decimal
    indicators: dict[str, Decimal]
    revision: int
    owner: str
    marked: bool = False  # the stored revision carries keys.UNSENT: the mark goes once it is sent

    def body(self) -> str:
        """The JSON message (docs/design.md); decimals as strings so no digit is lost."""
        message: dict[str, Any] = {
            "notification_id": self.notification_id,
            "revision": self.revision,
            "symbol": self.symbol,
            "exchange": self.exchange,
            "ts": self.ts,
            "price": str(self.price),
        }
        message.update((name, str(value)) for name, value in self.indicators.items())
        return json.dumps(message, separators=(",", ":"), sort_keys=True)

    def entry(self, entry_id: str, fifo: bool) -> dict[str, Any]:
        """A PublishBatch request entry with the filterable attributes symbol and exchange."""
        entry: dict[str, Any] = {
            "Id": entry_id,
            "Message": self.body(),
            "MessageAttributes": {
                "symbol": {"DataType": "String", "StringValue": self.symbol},
                "exchange": {"DataType": "String", "StringValue": self.exchange},
            },
        }
        if fifo:
            entry["MessageGroupId"] = self.pk
            unique = f"{self.notification_id}#{self.revision}"
            entry["MessageDeduplicationId"] = hashlib.sha256(unique.encode()).hexdigest()
        return entry


def publish(client: Any, topic_arn: str, notifications: Sequence[Notification]) -> list[Notification]:
    """Publish in calls of up to 10; return the notifications that were not accepted.

    A failed entry, or a whole call that failed, leaves its notifications in the result
    so their records are reported as batch item failures and replayed. After a call that
    timed out or could not connect (SNS or its network is down), the rest are not tried:
    they fail at once, so a hanging SNS costs one call's timeouts, not one per chunk, and
    the invocation ends well inside the function timeout.
    """
    fifo = topic_arn.endswith(".fifo")
    failed: list[Notification] = []
    for start in range(0, len(notifications), BATCH):
        chunk = notifications[start : start + BATCH]
        # Ids only need to be unique within a call: "n0".."n9" are, and are valid.
        by_id = {f"n{i}": note for i, note in enumerate(chunk)}
        try:
            answer = client.publish_batch(
                TopicArn=topic_arn,
                PublishBatchRequestEntries=[note.entry(entry_id, fifo) for entry_id, note in by_id.items()],
            )
        except (ClientError, BotoCoreError) as error:
            logger.exception("PublishBatch failed", extra={"entries": len(chunk)})
            failed.extend(chunk)
            if isinstance(error, BotoCoreError):
                failed.extend(notifications[start + BATCH :])
                break
            continue
        accepted = {item.get("Id") for item in answer.get("Successful", [])}
        for entry_id, note in by_id.items():
            if entry_id not in accepted:
                failed.append(note)
        for item in answer.get("Failed", []):
            logger.warning(
                "Notification not accepted",
                extra={
                    "entry_id": item.get("Id"),
                    "code": item.get("Code"),
                    "sender_fault": item.get("SenderFault"),
                },
            )
    return failed
